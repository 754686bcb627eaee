"""Manual transfers (bank, BLIK): the user declares a transfer, an admin approves or rejects.

`/deposit bank 100.00 <reference>` records a payment on the `manual` rail (requested, then
started with the user's reference) and answers with where to send the money. The
notification rules put Approve / Reject buttons in front of every admin; only an admin's
tap moves money (AdminDecide), and a payment settles once: a second tap changes nothing.
`/held` lists what waits for an admin: held payments and manual transfers to check.
"""

from __future__ import annotations

import html
import logging
import re
from typing import TYPE_CHECKING, Any

from telegram import Message

from events import Money
from events.money import format_money
from functions.domain import payments
from functions.domain.decider import DomainError
from functions.notifications.notice import inline_keyboard
from functions.notifications.rules import ADMIN_PREFIX, MANUAL_RAIL, decision_buttons
from functions.payments.ids import payment_id_for
from functions.runtime.pipeline import Trace
from functions.telegram.chat import (
    Context,
    Reply,
    answer_query,
    on_stale_button,
    on_unknown,
    reply,
    stop_spinner,
)

if TYPE_CHECKING:
    from functions.telegram.deposits import DepositOption

log = logging.getLogger(__name__)

# What people type in a transfer title; also safe to show in HTML and in a button's data.
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{2,34}")
PAYMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
HELD_LIMIT = 20  # rows of buttons in one /held message
SETTLED = {"succeeded": "approved", "failed": "rejected", "expired": "expired"}


def start_manual(
    ctx: Context, option: DepositOption, amount: Money, reference: str | None
) -> Reply:
    """Record the declared transfer and tell the user where to send it."""
    from functions.telegram.deposits import usage

    if reference is None or not REFERENCE.fullmatch(reference):
        return reply(
            ctx,
            "The reference is the text you put in the transfer's title: 3 to 35 letters, "
            f"digits or - _ . /\n\n{usage([option])}",
        )
    # Derived from the update, so Telegram re-sending it cannot declare a second payment.
    payment_id = payment_id_for(ctx.trace)
    stream = payments.stream_of(payment_id)
    request = payments.Request(
        payment_id=payment_id, user_id=ctx.user_id, purpose="wallet_deposit", amount=amount,
        rail=MANUAL_RAIL,
    )  # fmt: skip
    ctx.runtime.pipeline.execute(payments.payments, stream, request, _step(ctx.trace, "request"))
    started = payments.MarkStarted(provider_ref=reference)
    ctx.runtime.pipeline.execute(payments.payments, stream, started, _step(ctx.trace, "start"))
    details = html.escape(ctx.runtime.settings.manual_transfer_details or "")
    return reply(
        ctx,
        f"Send {format_money(amount)} to:\n{details}\n\n"
        f"Title of the transfer: <code>{html.escape(reference)}</code>\n"
        f"An admin credits your wallet once the money arrives (ref {payment_id}).",
    )


def on_admin_tap(ctx: Context, rest: str) -> Reply:
    """`adm:ok:<payment id>` / `adm:no:<payment id>` from an admin's message."""

    if not ctx.is_admin:
        return answer_query(ctx, "Not allowed: only admins settle payments.", alert=True)
    verb, _, payment_id = rest.partition(":")
    if verb not in {"ok", "no"} or not PAYMENT_ID.fullmatch(payment_id):
        return on_stale_button(ctx, rest)
    stream = payments.stream_of(payment_id)
    decide = payments.AdminDecide(admin_id=ctx.user_id, approve=verb == "ok")
    try:
        appended = ctx.runtime.pipeline.execute(payments.payments, stream, decide, ctx.trace)
    except payments.AmountNeeded:
        text = f"Nothing says what arrived: send /credit {payment_id} <amount> <currency>."
        return answer_query(ctx, text, alert=True)
    except DomainError:
        return answer_query(ctx, "No such payment.", alert=True)
    if appended.events:  # this tap settled it (or is Telegram re-sending that very tap)
        done = "✅ Approved" if decide.approve else "❌ Rejected"
        outcome = f"{done} by {ctx.user.first_name} (id {ctx.user_id})."
    else:
        state = ctx.runtime.pipeline.current(payments.payments, stream).state
        outcome = f"Already {SETTLED.get(state, state)}: this tap changed nothing."

    stop_spinner(ctx, outcome)  # plain text; the edit is HTML
    return _edited(ctx, payment_id, html.escape(f"{payment_id}: {outcome}"))


def on_credit(ctx: Context, argument: str) -> Reply:
    """Admins: `/credit <payment id> <amount> <currency>` approves a held payment (or a
    transfer) with the amount that really arrived, when nothing reported it."""
    from events.money import MoneyError, parse_money

    if not ctx.is_admin:
        return on_unknown(ctx, argument)
    payment_id, _, amount_text = argument.strip().partition(" ")
    usage = "Usage: /credit &lt;payment id&gt; &lt;amount&gt; &lt;currency&gt;, e.g. 12.50 USD"
    if not payments.is_payment_id(payment_id):
        return reply(ctx, usage)
    stream = payments.stream_of(payment_id)
    state = ctx.runtime.pipeline.current(payments.payments, stream)
    if state.state == "new" or state.amount is None:
        return reply(ctx, "No such payment.")
    try:
        paid = parse_money(amount_text, state.amount.currency)
    except MoneyError as err:
        return reply(ctx, f"{html.escape(str(err))}\n{usage}")
    if paid.currency != state.amount.currency:
        return reply(ctx, f"This payment is in {state.amount.currency}.")
    decide = payments.AdminDecide(admin_id=ctx.user_id, approve=True, paid=paid)
    appended = ctx.runtime.pipeline.execute(payments.payments, stream, decide, ctx.trace)
    if not appended.events:
        return reply(ctx, f"Already {SETTLED.get(state.state, state.state)}: nothing changed.")
    return reply(ctx, f"✅ Approved {format_money(paid)} for {payment_id}.")


def on_held(ctx: Context, argument: str) -> Reply:
    """Admins: every payment waiting for a decision, with its buttons. Others: unknown."""

    if not ctx.is_admin:
        return on_unknown(ctx, argument)
    docs = ctx.runtime.read_models.find("payments", "needs_admin", True, HELD_LIMIT)
    if not docs:
        return reply(ctx, "Nothing waits for an admin.")
    docs.sort(key=lambda d: str(d.get("requested_at", "")))
    lines, rows = [], []
    for number, doc in enumerate(docs, start=1):
        lines.append(f"{number}. {_held_line(doc)}")
        rows.append(decision_buttons(str(doc["payment_id"]), f"#{number}"))
    answer = reply(ctx, "Waiting for an admin:\n" + "\n".join(lines))
    answer["reply_markup"] = inline_keyboard(rows)
    return answer


def _held_line(doc: dict[str, Any]) -> str:
    amount = format_money(Money.model_validate(doc["amount"]))
    head = f"<code>{html.escape(str(doc['payment_id']))}</code> {amount} from user {doc['user_id']}"
    if doc.get("state") == "held":
        reason = str(doc.get("hold_reason", "review")).replace("_", " ")
        arrived = doc.get("arrived")
        paid = format_money(Money.model_validate(arrived)) if arrived else "unknown"
        held_ref = doc.get("held_ref")
        names = f", provider ref <code>{html.escape(str(held_ref))}</code>" if held_ref else ""
        return f"{head} via {html.escape(str(doc['rail']))}: held ({reason}), arrived {paid}{names}"
    ref = html.escape(str(doc.get("provider_ref", "")))
    return f"{head}: transfer, reference <code>{ref}</code>"


def _step(trace: Trace, step: str) -> Trace:
    # Two commands of one update need two keys: one key records one outcome.
    key = f"{trace.idempotency_key}:manual:{step}" if trace.idempotency_key else None
    return Trace(key, trace.causation_id, trace.correlation_id)


def _edited(ctx: Context, payment_id: str, outcome: str) -> Reply:
    """editMessageText as the webhook answer: the outcome under the admin's message, and the
    settled payment's buttons gone (a /held list keeps the other payments' buttons)."""

    query = ctx.update.callback_query
    message = query.message if query is not None else None
    if not isinstance(message, Message):  # too old for Telegram to show us
        return answer_query(ctx, outcome, alert=True)
    text = html.escape((message.text or "")[:3500])
    edit: Reply = {
        "method": "editMessageText",
        "chat_id": message.chat.id,
        "message_id": message.message_id,
        "text": f"{text}\n\n{outcome}",
        "parse_mode": "HTML",
    }
    keep = [
        [{"text": b.text, "callback_data": b.callback_data} for b in row]
        for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
        if not any(_settles(b.callback_data, payment_id) for b in row)
    ]
    if keep:
        edit["reply_markup"] = {"inline_keyboard": keep}
    return edit


def _settles(data: object, payment_id: str) -> bool:
    return (
        isinstance(data, str)
        and data.startswith(f"{ADMIN_PREFIX}:")
        and data.endswith(f":{payment_id}")
    )
