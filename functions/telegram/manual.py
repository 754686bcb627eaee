"""Manual transfers (bank, BLIK) in Telegram: declaring one, an admin's tap or /credit.

`/deposit bank 100.00 <reference>` declares a transfer and answers with where to send the
money. The notification rules put Approve / Reject buttons in front of every admin; a tap
(or `/credit` with the amount that arrived) settles the payment once. The rules live in
functions/payments/manual.py; this parses, calls it and renders the outcome. `/held` lists
what waits for an admin: held payments and manual transfers to check.
"""

from __future__ import annotations

import html
import logging
import re
from typing import TYPE_CHECKING

from telegram import Message

from events import Money
from events.money import format_money
from functions.domain import payments
from functions.domain.decider import DomainError
from functions.notifications.notice import inline_keyboard
from functions.notifications.rules import ADMIN_PREFIX, decision_buttons
from functions.payments import manual
from functions.projections.payments import PaymentView, awaiting_admin
from functions.telegram.chat import (
    Context,
    Reply,
    answer_query,
    on_stale_button,
    reply,
    stop_spinner,
)

if TYPE_CHECKING:
    from functions.telegram.deposits import DepositOption

log = logging.getLogger(__name__)

PAYMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
HELD_LIMIT = 20  # rows of buttons in one /held message
SETTLED = {"succeeded": "approved", "failed": "rejected", "expired": "expired"}


def start_manual(
    ctx: Context, option: DepositOption, amount: Money, reference: str | None
) -> Reply:
    """Record the declared transfer and tell the user where to send it."""
    from functions.telegram.deposits import usage

    try:
        declared = manual.declare_transfer(
            ctx.runtime, user_id=ctx.user_id, amount=amount, reference=reference or "",
            trace=ctx.trace,
        )  # fmt: skip
    except manual.BadReference as refusal:
        return reply(ctx, f"{html.escape(str(refusal))}\n\n{usage([option])}")
    return reply(
        ctx,
        f"Send {format_money(declared.amount)} to:\n{html.escape(declared.pay_to)}\n\n"
        f"Title of the transfer: <code>{html.escape(declared.reference)}</code>\n"
        f"An admin credits your wallet once the money arrives (ref {declared.payment_id}).",
    )


def on_admin_tap(ctx: Context, rest: str) -> Reply:
    """`adm:ok:<payment id>` / `adm:no:<payment id>` from an admin's message (the route is
    for admins: the router refuses anyone else's tap)."""

    verb, _, payment_id = rest.partition(":")
    if verb not in {"ok", "no"} or not PAYMENT_ID.fullmatch(payment_id):
        return on_stale_button(ctx, rest)
    try:
        decided = manual.decide(
            ctx.runtime, admin_id=ctx.user_id, payment_id=payment_id, approve=verb == "ok",
            trace=ctx.trace,
        )  # fmt: skip
    except payments.AmountNeeded:
        text = f"Nothing says what arrived: send /credit {payment_id} <amount> <currency>."
        return answer_query(ctx, text, alert=True)
    except DomainError:
        return answer_query(ctx, "No such payment.", alert=True)
    if decided.changed:  # this tap settled it (or is Telegram re-sending that very tap)
        done = "✅ Approved" if decided.approve else "❌ Rejected"
        outcome = f"{done} by {ctx.user.first_name} (id {ctx.user_id})."
    else:
        outcome = f"Already {_settled(decided)}: this tap changed nothing."

    stop_spinner(ctx, outcome)  # plain text; the edit is HTML
    return _edited(ctx, payment_id, html.escape(f"{payment_id}: {outcome}"))


def on_credit(ctx: Context, argument: str) -> Reply:
    """Admins: `/credit <payment id> <amount> <currency>` approves a held payment (or a
    transfer) with the amount that really arrived, when nothing reported it."""
    from events.money import MoneyError, parse_money

    payment_id, _, amount_text = argument.strip().partition(" ")
    usage = "Usage: /credit &lt;payment id&gt; &lt;amount&gt; &lt;currency&gt;, e.g. 12.50 USD"
    if not payments.is_payment_id(payment_id):
        return reply(ctx, usage)
    try:
        # An amount without a currency is read in the payment's own.
        paid = parse_money(amount_text, manual.payment_currency(ctx.runtime, payment_id))
        credited = manual.credit(
            ctx.runtime, admin_id=ctx.user_id, payment_id=payment_id, paid=paid, trace=ctx.trace
        )
    except payments.UnknownPayment:
        return reply(ctx, "No such payment.")
    except MoneyError as err:
        return reply(ctx, f"{html.escape(str(err))}\n{usage}")
    except manual.WrongCurrency as refusal:
        return reply(ctx, html.escape(str(refusal)))
    if not credited.changed:
        return reply(ctx, f"Already {_settled(credited)}: nothing changed.")
    return reply(ctx, f"✅ Approved {format_money(paid)} for {payment_id}.")


def _settled(decided: manual.Decided) -> str:
    return SETTLED.get(decided.state, decided.state)


def on_held(ctx: Context, argument: str) -> Reply:
    """Admins: every payment waiting for a decision, with its buttons."""

    waiting = awaiting_admin(ctx.runtime.read_models, HELD_LIMIT)
    if not waiting:
        return reply(ctx, "Nothing waits for an admin.")
    lines, rows = [], []
    for number, payment in enumerate(waiting, start=1):
        lines.append(f"{number}. {_held_line(payment)}")
        rows.append(decision_buttons(payment.payment_id, f"#{number}"))
    answer = reply(ctx, "Waiting for an admin:\n" + "\n".join(lines))
    answer["reply_markup"] = inline_keyboard(rows)
    return answer


def _held_line(payment: PaymentView) -> str:
    amount = format_money(payment.amount)
    head = f"<code>{html.escape(payment.payment_id)}</code> {amount} from user {payment.user_id}"
    if payment.state == "held":
        reason = (payment.hold_reason or "review").replace("_", " ")
        paid = format_money(payment.arrived) if payment.arrived else "unknown"
        held_ref = payment.held_ref
        names = f", provider ref <code>{html.escape(held_ref)}</code>" if held_ref else ""
        return f"{head} via {html.escape(payment.rail)}: held ({reason}), arrived {paid}{names}"
    ref = html.escape(payment.provider_ref or "")
    return f"{head}: transfer, reference <code>{ref}</code>"


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
