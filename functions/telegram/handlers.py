"""Telegram updates -> commands and replies. One routing table, one function per command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update

from events import Money
from events.money import format_money
from functions.domain import users
from functions.runtime import logs
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.telegram import messages


@dataclass(frozen=True)
class Context:
    runtime: Runtime
    update: Update
    message: Message
    trace: Trace
    language: str

    @property
    def user_id(self) -> int:
        assert self.message.from_user is not None
        return self.message.from_user.id


Reply = dict[str, Any]
Handler = Callable[[Context, str], Reply]


# The update kinds `handle` acts on: the deployment asks Telegram (setWebhook
# allowed_updates) for these only, so it never pays an invocation for anything else.
ALLOWED_UPDATES: tuple[str, ...] = ("message",)


def handle(runtime: Runtime, update: Update) -> Reply | None:
    """The webhook's answer to one update: a Bot API call to make, or None."""
    message = update.message
    if message is None or message.from_user is None or message.text is None:
        return None  # other update kinds arrive with later features
    trace = Trace(
        idempotency_key=f"tg:{runtime.settings.bot_id()}:{update.update_id}",
        causation_id=f"tg-update-{update.update_id}",
        correlation_id=f"tg-user-{message.from_user.id}",
    )
    logs.bind(correlation_id=trace.correlation_id)
    language = messages.language_of(message.from_user.language_code)
    command, _, argument = message.text.strip().partition(" ")
    handler = ROUTES.get(command.split("@", 1)[0].lower(), on_unknown)
    return handler(Context(runtime, update, message, trace, language), argument.strip())


def on_start(ctx: Context, argument: str) -> Reply:
    sender = ctx.message.from_user
    assert sender is not None
    appended = ctx.runtime.pipeline.execute(
        users.users,
        users.stream_of(sender.id),
        users.Register(
            user_id=sender.id,
            chat_id=ctx.message.chat.id,
            first_name=sender.first_name,
            language=ctx.language,
            referral_code=argument.removeprefix("ref_") if argument.startswith("ref_") else None,
        ),
        ctx.trace,
    )
    key = "welcome" if appended.events else "welcome_back"
    return reply(ctx, messages.text(ctx.language, key, name=sender.first_name))


def on_balance(ctx: Context, argument: str) -> Reply:
    doc = ctx.runtime.read_models.get("balances", str(ctx.user_id))
    amounts: dict[str, int] = dict(doc["balances"]) if doc else {}
    if not any(amounts.values()):
        amounts = {ctx.runtime.settings.default_currency: 0}
    lines = "\n".join(
        format_money(Money(amount=amount, currency=currency))
        for currency, amount in sorted(amounts.items())
        if amount or len(amounts) == 1
    )
    return reply(ctx, messages.text(ctx.language, "balance", lines=lines))


def on_help(ctx: Context, argument: str) -> Reply:
    return reply(ctx, messages.text(ctx.language, "help"))


def on_unknown(ctx: Context, argument: str) -> Reply:
    return reply(ctx, messages.text(ctx.language, "unknown"))


def reply(ctx: Context, text: str) -> Reply:
    """A sendMessage call returned as the webhook's response body: no extra round trip."""
    return {
        "method": "sendMessage",
        "chat_id": ctx.message.chat.id,
        "text": text,
        "parse_mode": "HTML",
    }


def _deposit(ctx: Context, argument: str) -> Reply:
    from functions.telegram.deposits import on_deposit  # payments code only when used

    return on_deposit(ctx, argument)


def _history(ctx: Context, argument: str) -> Reply:
    from functions.telegram.deposits import on_history

    return on_history(ctx, argument)


ROUTES: dict[str, Handler] = {
    "/start": on_start,
    "/balance": on_balance,
    "/help": on_help,
    "/deposit": _deposit,
    "/history": _history,
}
