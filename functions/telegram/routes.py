"""Every way into the bot, as one typed table: commands, buttons, update kinds, questions.

Each route says who may use it and, for a command, one line of help: `/help` is generated
from the table per role, and the router gives one answer to a command of a role the user
lacks. A handler is a lazy reference (module + attribute) imported on first use, so
`/balance` never imports the shop; `tests/unit/test_routes.py` resolves every reference and
checks its signature, which mypy cannot do for a string.

Each bounded context declares its own routes (functions/contexts/); the table is their
union, `REGISTRY.routes`, so a new context brings its commands without an edit here.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

from functions import texts
from functions.lazy import Lazy

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
    # Chats the bot administers: its own status there, join requests, members coming and
    # going (chat_member is sent only when allowed_updates names it).
    "my_chat_member": "my_chat_member",
    "chat_join_request": "chat_join_request",
    "chat_member": "chat_member",
}
# Update types in the order setWebhook's allowed_updates lists them.
UPDATE_TYPES = (
    "message",
    "callback_query",
    "pre_checkout_query",
    "my_chat_member",
    "chat_join_request",
    "chat_member",
)
ROLES: dict[Role, Callable[[Context], bool]] = {
    "anyone": lambda ctx: True,
    "admin": lambda ctx: ctx.is_admin,
}

T = TypeVar("T")


# A module attribute imported when first used: `Ref[Handler]("functions.telegram.shop",
# "on_shop")`; the contexts' jobs use the same reference.
Ref = Lazy


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
    # The catalogue key of its line in /help (`help.<command>`, English in
    # functions/texts/english/account.py); commands without one are not listed.
    help: str = ""
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


def allowed_updates(routes: Iterable[Route]) -> tuple[str, ...]:
    """The update types the routes act on: the deployment asks Telegram (setWebhook
    allowed_updates) for these only, so it never pays an invocation for anything else."""
    used = {route.update_type for route in routes}
    unknown = used - set(UPDATE_TYPES)
    if unknown:
        raise ValueError(f"no place in UPDATE_TYPES for {sorted(unknown)}")
    return tuple(kind for kind in UPDATE_TYPES if kind in used)


def help_text(routes: Iterable[Route], language: str, holds: Callable[[Role], bool]) -> str:
    """/help: the listed commands of each role the user holds, a section per role (its head
    is `account.help_head_<role>`)."""
    listed = [r for r in routes if r.kind == "command" and r.help]
    sections = []
    for role in ROLES:
        lines = [_help_line(language, r) for r in listed if r.role == role]
        if lines and holds(role):
            head = texts.text(language, f"account.help_head_{role}")
            sections.append("\n".join([head, *lines]))
    return "\n\n".join(sections)


def _help_line(language: str, route: Route) -> str:
    usage = html.escape(f"{route.key} {route.args}".strip())
    return f"{usage} — {texts.text(language, route.help)}"
