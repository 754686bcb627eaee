"""The account: /start, /balance, /help (the line of every listed command, `help.<command>`,
named by its route), and the router's own answers (unknown command, stale button, role
refusals: `account.<answer>_<role>`, one per role in functions/telegram/routes.py)."""

TEXTS: dict[str, str] = {
    "account.welcome": "Welcome to Soko, {name}!\n\n/balance — your wallet\n/help — what I can do",
    "account.welcome_back": "Welcome back, {name}!\n\n/balance — your wallet",
    "account.balance": "Your balance:\n{lines}",
    "account.balance_held": "Of which held as circle deposits (not spendable): {amounts}",
    # /help: a head per role, then each command's line.
    "account.help_head_anyone": "I understand:",
    "account.help_head_admin": "For admins:",
    # A command or button of a role the user lacks: one answer, from the router.
    "account.role_refused_admin": "This command is for shop admins.",
    "account.role_refused_button_admin": "Not allowed: this button is for shop admins.",
    "account.unknown": "I did not understand that. Send /help to see what I can do.",
    "account.stale_button": "That button is no longer active.",
    # Each command's line in /help (the route declares which: functions/contexts/).
    "help.start": "begin",
    "help.balance": "your wallet",
    "help.help": "what I can do",
    "help.deposit": "top up your wallet",
    "help.phone": "your phone for mobile money",
    "help.rails": "the payment rails' health",
    "help.coins": "crypto deposits: addresses handed out, the wallet's gap limit",
    "help.history": "your payments",
    "help.held": "payments waiting for an admin",
    "help.credit": "approve held money at what arrived",
    "help.refund": "give a Stars payment back",
    "help.shop": "browse the shop",
    "help.orders": "your orders",
    "help.addproduct": "list a product",
    "help.editproduct": "change a product",
    "help.stock": "add stock",
    "help.discount": "set a discount",
    "help.hide": "take a product off sale",
    "help.unhide": "put it back on sale",
    "help.reseller": "reseller prices for a user",
    "help.products": "every product, hidden ones too",
    "help.photo": "a photo with this caption becomes the product's picture",
    "account.slow_down": "You are going a little fast. Please wait a moment, then try again.",
}
