"""Telegram updates -> commands and replies. One routing table, one function per command."""

from __future__ import annotations

import importlib
import logging

from telegram import Update, User

from events import Money
from events.money import format_money
from functions.domain import users
from functions.domain.decider import DomainError
from functions.runtime import logs
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.telegram import messages
from functions.telegram.chat import (
    Context,
    Handler,
    Reply,
    answer_query,
    on_stale_button,
    on_unknown,
    refusal_text,
    reply,
    stop_spinner,
)

log = logging.getLogger(__name__)


# The update kinds `handle` acts on: the deployment asks Telegram (setWebhook
# allowed_updates) for these only, so it never pays an invocation for anything else.
ALLOWED_UPDATES: tuple[str, ...] = ("message", "callback_query", "pre_checkout_query")


def handle(runtime: Runtime, update: Update) -> Reply | None:
    """The webhook's answer to one update: a Bot API call to make, or None.

    The error boundary of every route: a domain refusal (a decider's DomainError, which
    wrote nothing) becomes a reply saying why, never a 5xx that Telegram would retry."""
    user = update.effective_user
    if user is None:
        return None
    ctx = _context(runtime, update, user)
    try:
        return _dispatch(ctx, update)
    except DomainError as refusal:
        log.info("refused %s: %s", refusal.code, refusal)
        if update.callback_query is not None:
            return answer_query(ctx, refusal_text(refusal), alert=True)
        return reply(ctx, refusal_text(refusal))


def _dispatch(ctx: Context, update: Update) -> Reply | None:
    if update.pre_checkout_query is not None:
        return _routed(PRE_CHECKOUT, ctx, "")
    if update.callback_query is not None:
        prefix, _, rest = (update.callback_query.data or "").partition(":")
        path = CALLBACKS.get(prefix)
        answer = _routed(path, ctx, rest) if path else on_stale_button(ctx, rest)
        if answer.get("method") != "answerCallbackQuery":
            stop_spinner(ctx)  # Telegram shows a spinner until the query is answered
        return answer
    message = update.message
    if message is None:
        return None
    if message.successful_payment is not None:
        return _routed(PAID, ctx, "")
    if message.refunded_payment is not None:
        return _routed(REFUNDED, ctx, "")
    if message.photo and (message.caption or "").startswith("/photo"):
        return _routed(PHOTO, ctx, (message.caption or "").removeprefix("/photo").strip())
    if message.text is None:
        return None
    command, _, argument = message.text.strip().partition(" ")
    handler = ROUTES.get(command.split("@", 1)[0].lower())
    if handler is None and message.reply_to_message is not None:
        return _routed(REPLIES, ctx, message.text.strip())  # an answer to a bot question
    return (handler or on_unknown)(ctx, argument.strip())


def _context(runtime: Runtime, update: Update, user: User) -> Context:
    trace = Trace(
        idempotency_key=f"tg:{runtime.settings.bot_id()}:{update.update_id}",
        causation_id=f"tg-update-{update.update_id}",
        correlation_id=f"tg-user-{user.id}",
    )
    logs.bind(correlation_id=trace.correlation_id)
    chat = update.effective_chat
    return Context(
        runtime=runtime,
        update=update,
        user=user,
        chat_id=chat.id if chat is not None else user.id,  # private chat id == user id
        trace=trace,
        language=messages.language_of(user.language_code),
        message=update.message,
    )


def lazy(handler_path: str) -> Handler:
    """A route whose module is imported on first use (the shop is not needed for /balance)."""
    return lambda ctx, argument: _routed(handler_path, ctx, argument)


def _routed(handler_path: str, ctx: Context, argument: str) -> Reply:
    """Handlers of rarer update kinds live in their own modules, imported when used."""
    module_name, _, name = handler_path.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), name)
    return handler(ctx, argument)


def on_start(ctx: Context, argument: str) -> Reply:
    sender = ctx.user
    appended = ctx.runtime.pipeline.execute(
        users.users,
        users.stream_of(sender.id),
        users.Register(
            user_id=sender.id,
            chat_id=ctx.chat_id,
            first_name=sender.first_name,
            language=ctx.language,
            referral_code=argument.removeprefix("ref_") if argument.startswith("ref_") else None,
        ),
        ctx.trace,
    )
    registered = any(e.type == "user.registered.v1" for e in appended.events)
    key = "welcome" if registered else "welcome_back"  # not after unblocking the bot
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


def _deposit(ctx: Context, argument: str) -> Reply:
    from functions.telegram.deposits import on_deposit  # payments code only when used

    return on_deposit(ctx, argument)


def _history(ctx: Context, argument: str) -> Reply:
    from functions.telegram.deposits import on_history

    return on_history(ctx, argument)


def _refund(ctx: Context, argument: str) -> Reply:
    from functions.telegram.refunds import on_refund  # admins only: imported when used

    return on_refund(ctx, argument)


def _held(ctx: Context, argument: str) -> Reply:
    from functions.telegram.manual import on_held  # admins only: imported when used

    return on_held(ctx, argument)


SHOP_ADMIN = ("addproduct", "editproduct", "stock", "discount", "hide", "unhide", "reseller",
              "products")  # fmt: skip
ROUTES: dict[str, Handler] = {
    "/start": on_start,
    "/balance": on_balance,
    "/help": on_help,
    "/deposit": _deposit,
    "/history": _history,
    "/held": _held,
    "/credit": lazy("functions.telegram.manual.on_credit"),
    "/refund": _refund,
    "/shop": lazy("functions.telegram.shop.on_shop"),
    "/orders": lazy("functions.telegram.shop.on_orders"),
    **{f"/{name}": lazy(f"functions.telegram.shop_admin.on_{name}") for name in SHOP_ADMIN},
}


# Handlers of callback buttons by the prefix of their callback_data (`<prefix>:<rest>`), and
# of the rarer update kinds, as import paths: each family of features adds its own lines.
CALLBACKS: dict[str, str] = {
    "adm": "functions.telegram.manual.on_admin_tap",  # an admin's Approve / Reject
    "shop": "functions.telegram.shop.on_button",  # browsing, buying, paying, orders
    "dep": "functions.telegram.deposits.on_option_button",  # /deposit's option buttons
}
PRE_CHECKOUT = "functions.telegram.stars.on_pre_checkout"
PAID = "functions.telegram.stars.on_successful_payment"
REFUNDED = "functions.telegram.stars.on_refunded_payment"
REPLIES = "functions.telegram.replies.on_reply"
PHOTO = "functions.telegram.shop_admin.on_photo"  # an admin's product photo, captioned /photo
