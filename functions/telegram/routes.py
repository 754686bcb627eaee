"""Every way into the bot, as one typed table: commands, buttons, update kinds, questions.

Each route says who may use it and, for a command, one line of help: `/help` is generated
from the table per role, and the router gives one answer to a command of a role the user
lacks. A handler is a lazy reference (module + attribute) imported on first use, so
`/balance` never imports the shop; `tests/unit/test_routes.py` resolves every reference and
checks its signature, which mypy cannot do for a string.

The table is built from one tuple per area, so each can move into its context's module.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, cast

from functions.telegram import messages

if TYPE_CHECKING:
    from functions.domain.decider import DomainError
    from functions.telegram.chat import Context, Handler, Reply

Kind = Literal["command", "callback", "update", "question"]
# Who may use a route. Later: "circle_owner", "channel_owner" (each with its check below).
Role = Literal["anyone", "admin"]
# Telegram update kinds that are not a typed command, and the update type each arrives in.
UPDATE_KINDS: dict[str, str] = {
    "pre_checkout_query": "pre_checkout_query",
    "successful_payment": "message",
    "refunded_payment": "message",
}
# Update types in the order setWebhook's allowed_updates lists them.
UPDATE_TYPES = ("message", "callback_query", "pre_checkout_query")
ROLES: dict[Role, Callable[[Context], bool]] = {
    "anyone": lambda ctx: True,
    "admin": lambda ctx: ctx.is_admin,
}

T = TypeVar("T")


@dataclass(frozen=True)
class Ref(Generic[T]):
    """A module attribute imported when first used: `Ref[Handler]("functions.telegram.shop",
    "on_shop")`."""

    module: str
    attribute: str

    def resolve(self) -> T:
        return cast(T, getattr(importlib.import_module(self.module), self.attribute))

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}"


Refused = Callable[["Context", "DomainError"], "Reply"]


@dataclass(frozen=True)
class Route:
    """One way in: its kind, the key it is found by, who may use it and what it runs."""

    kind: Kind
    # "/balance"; a callback_data prefix before the first ":"; an UPDATE_KINDS key; a
    # question's key (see replies.ask).
    key: str
    handler: Ref[Handler]
    role: Role = "anyone"
    help: str = ""  # one line for /help; commands without it are not listed
    args: str = ""  # what follows the command, shown in /help: "<payment id>"
    # How a DomainError is told; None: chat.refusal_reply (an alert for a button).
    refused: Ref[Refused] | None = None
    in_caption: bool = False  # the command is a photo's caption (/photo <id>)

    @property
    def update_type(self) -> str:
        """The Telegram update type this route arrives in (for setWebhook allowed_updates)."""
        if self.kind == "callback":
            return "callback_query"
        return UPDATE_KINDS[self.key] if self.kind == "update" else "message"


def command(
    key: str, module: str, name: str, help: str, role: Role = "anyone", args: str = ""
) -> Route:
    return Route("command", key, Ref(module, name), role, help, args)


def button(prefix: str, module: str, name: str, role: Role = "anyone") -> Route:
    return Route("callback", prefix, Ref(module, name), role)


def update(kind: str, module: str, name: str) -> Route:
    return Route("update", kind, Ref(module, name))


def question(key: str, module: str, name: str) -> Route:
    """The answer to a question `replies.ask(ctx, key, payload, …)` asked; the handler gets
    `<payload> <answer>`, as if the user had typed it after a command."""
    return Route("question", key, Ref(module, name))


ACCOUNT = "functions.telegram.account"
DEPOSITS = "functions.telegram.deposits"
STARS = "functions.telegram.stars"
SHOP = "functions.telegram.shop"
SHOP_ADMIN = "functions.telegram.shop_admin"
MANUAL = "functions.telegram.manual"

CORE: tuple[Route, ...] = (
    command("/start", ACCOUNT, "on_start", "begin"),
    command("/balance", ACCOUNT, "on_balance", "your wallet"),
    command("/help", ACCOUNT, "on_help", "what I can do"),
)
PAYMENTS: tuple[Route, ...] = (
    command("/deposit", DEPOSITS, "on_deposit", "top up your wallet"),
    command("/history", DEPOSITS, "on_history", "your payments"),
    button("dep", DEPOSITS, "on_option_button"),  # /deposit's option buttons
    question("deposit_amount", DEPOSITS, "on_deposit"),  # `<option> <amount> [extra]`
    update("pre_checkout_query", STARS, "on_pre_checkout"),
    update("successful_payment", STARS, "on_successful_payment"),
    update("refunded_payment", STARS, "on_refunded_payment"),
)
SHOP_ROUTES: tuple[Route, ...] = (
    command("/shop", SHOP, "on_shop", "browse the shop"),
    command("/orders", SHOP, "on_orders", "your orders"),
    # Browsing, buying, paying, orders: the shop routes its own `shop:<action>` buttons.
    Route("callback", "shop", Ref(SHOP, "on_button"), refused=Ref(SHOP, "refused")),
    question("order_phone", "functions.telegram.shop_rails", "on_phone_answer"),
)


def _admin(key: str, args: str, help: str) -> Route:
    return command(f"/{key}", SHOP_ADMIN, f"on_{key}", help, "admin", args)


SHOP_ADMIN_ROUTES: tuple[Route, ...] = (
    _admin("addproduct", "Name | Category | price [| kind=unique] […]", "list a product"),
    _admin("editproduct", "<id> | name=… | price=…", "change a product"),
    _admin("stock", "<id> <count>, or one item per line", "add stock"),
    _admin("discount", "<id> | category=… | location=… <percent>", "set a discount"),
    _admin("hide", "<id>", "take a product off sale"),
    _admin("unhide", "<id>", "put it back on sale"),
    _admin("reseller", "<user id> on|off", "reseller prices for a user"),
    _admin("products", "", "every product, hidden ones too"),
    Route("command", "/photo", Ref(SHOP_ADMIN, "on_photo"), "admin",
          "a photo with this caption becomes the product's picture", "<id>", in_caption=True),
)  # fmt: skip
OPS: tuple[Route, ...] = (
    command("/held", MANUAL, "on_held", "payments waiting for an admin", "admin"),
    command("/credit", MANUAL, "on_credit", "approve held money at what arrived", "admin",
            "<payment id> <amount> <currency>"),
    command("/refund", "functions.telegram.refunds", "on_refund", "give a Stars payment back",
            "admin", "<payment id>"),
    button("adm", MANUAL, "on_admin_tap", "admin"),  # Approve / Reject under a payment
)  # fmt: skip

ROUTES: tuple[Route, ...] = CORE + PAYMENTS + SHOP_ROUTES + SHOP_ADMIN_ROUTES + OPS


def allowed_updates(routes: Iterable[Route]) -> tuple[str, ...]:
    """The update types the routes act on: the deployment asks Telegram (setWebhook
    allowed_updates) for these only, so it never pays an invocation for anything else."""
    used = {route.update_type for route in routes}
    unknown = used - set(UPDATE_TYPES)
    if unknown:
        raise ValueError(f"no place in UPDATE_TYPES for {sorted(unknown)}")
    return tuple(kind for kind in UPDATE_TYPES if kind in used)


ALLOWED_UPDATES = allowed_updates(ROUTES)


def help_text(routes: Iterable[Route], language: str, holds: Callable[[Role], bool]) -> str:
    """/help: the listed commands of each role the user holds, a section per role."""
    listed = [r for r in routes if r.kind == "command" and r.help]
    sections = []
    for role in ROLES:
        lines = [_help_line(language, r) for r in listed if r.role == role]
        if lines and holds(role):
            sections.append("\n".join([messages.text(language, f"help_head:{role}"), *lines]))
    return "\n\n".join(sections)


def _help_line(language: str, route: Route) -> str:
    usage = html.escape(f"{route.key} {route.args}".strip())
    what = messages.text_or(language, f"help:{route.key}", route.help)
    return f"{usage} — {what}"
