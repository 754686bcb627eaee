"""Users and their wallets: registration, balances per currency, credits and debits."""

from functions.contexts.base import BoundedContext, Function, Subscriber, projection, reactor, rule
from functions.telegram.routes import Route, command

BALANCES = projection("functions.projections.balances", "balances")
OPEN_WALLET = reactor("functions.reactors.open_wallet", "open_wallet")
RULES = "functions.notifications.rules"

ACCOUNT = "functions.telegram.account"
ROUTES: tuple[Route, ...] = (
    command("/start", ACCOUNT, "on_start", "help.start"),
    command("/balance", ACCOUNT, "on_balance", "help.balance"),
    command("/help", ACCOUNT, "on_help", "help.help"),
)

CONTEXT = BoundedContext(
    name="wallet",
    routes=ROUTES,
    categories=("user", "wallet"),
    commands_append_to=("user", "wallet"),
    projections=(BALANCES,),
    reactors=(OPEN_WALLET,),
    rules={"wallet.credited.v1": (rule(RULES, "deposit_credited"),)},
    subscribers=(
        Subscriber(Function("project_balances", "pubsub", concurrency=4), projections=(BALANCES,)),
        Subscriber(
            Function(
                "open_wallets", "pubsub", concurrency=4, family="reactor", publishes=("wallet",)
            ),
            reactors=(OPEN_WALLET,),
        ),
    ),
)
