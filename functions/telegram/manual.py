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

from events import Money
from functions import texts
from functions.domain import payments
from functions.notifications.notice import inline_keyboard
from functions.notifications.rules import ADMIN_PREFIX, decision_buttons
from functions.payments import manual
from functions.projections.payments import PaymentView, awaiting_admin
from functions.telegram.chat import (
    Context,
    Reply,
    answer_query,
    on_stale_button,
    plain,
    reply,
    stop_spinner,
)
from functions.telegram.deposits import rail_label, state_text, try_again
from functions.telegram.types import Message

if TYPE_CHECKING:
    from functions.telegram.deposits import DepositOption

log = logging.getLogger(__name__)

PAYMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
HELD_LIMIT = 20  # rows of buttons in one /held message


def start_manual(
    ctx: Context, option: DepositOption, amount: Money, reference: str | None
) -> Reply:
    """Record the declared transfer and tell the user where to send it."""
    try:
        declared = manual.declare_transfer(
            ctx.runtime, user_id=ctx.user_id, amount=amount, reference=reference or "",
            trace=ctx.trace,
        )  # fmt: skip
    except manual.BadReference as refused:
        return reply(ctx, try_again(ctx, texts.Html(texts.refusal(ctx.language, refused)), option))
    told = texts.text(
        ctx.language, "payments.manual.send_to", amount=declared.amount,
        details=declared.pay_to, reference=declared.reference, ref=declared.payment_id,
    )  # fmt: skip
    return reply(ctx, told)


def on_admin_tap(ctx: Context, rest: str) -> Reply:
    """`adm:ok:<payment id>` / `adm:no:<payment id>` from an admin's message (the route is
    for admins: the router refuses anyone else's tap)."""

    verb, _, payment_id = rest.partition(":")
    if verb not in {"ok", "no"} or not PAYMENT_ID.fullmatch(payment_id):
        return on_stale_button(ctx, rest)
    # A refusal (no such payment; nobody said what arrived: /credit) is told by the router.
    decided = manual.decide(
        ctx.runtime, admin_id=ctx.user_id, payment_id=payment_id, approve=verb == "ok",
        trace=ctx.trace,
    )  # fmt: skip
    if decided.changed:  # this tap settled it (or is Telegram re-sending that very tap)
        who = {"name": ctx.user.first_name, "admin_id": str(ctx.user_id)}
        key = "payments.admin.approved_by" if decided.approve else "payments.admin.rejected_by"
        outcome = texts.text(ctx.language, key, **who)
    else:
        state = texts.Html(_settled(ctx.language, decided))
        outcome = texts.text(ctx.language, "payments.admin.tap_changed_nothing", state=state)

    stop_spinner(ctx, plain(outcome))  # plain text; the edit is HTML
    edited = texts.text(
        ctx.language, "payments.admin.decided", payment_id=payment_id, outcome=texts.Html(outcome)
    )
    return _edited(ctx, payment_id, edited)


def on_credit(ctx: Context, argument: str) -> Reply:
    """Admins: `/credit <payment id> <amount> <currency>` approves a held payment (or a
    transfer) with the amount that really arrived, when nothing reported it."""
    from events.money import MoneyError, parse_money

    payment_id, _, amount_text = argument.strip().partition(" ")
    usage = texts.text(ctx.language, "payments.admin.credit_usage")
    if not payments.is_payment_id(payment_id):
        return reply(ctx, usage)
    try:
        # An amount without a currency is read in the payment's own.
        paid = parse_money(amount_text, manual.payment_currency(ctx.runtime, payment_id))
        credited = manual.credit(
            ctx.runtime, admin_id=ctx.user_id, payment_id=payment_id, paid=paid, trace=ctx.trace
        )
    except MoneyError as err:
        said = texts.text(
            ctx.language, "payments.admin.credit_bad_amount", problem=str(err),
            usage=texts.Html(usage),
        )  # fmt: skip
        return reply(ctx, said)
    except (payments.UnknownPayment, manual.WrongCurrency) as refused:
        return reply(ctx, texts.refusal(ctx.language, refused))
    if not credited.changed:
        state = texts.Html(_settled(ctx.language, credited))
        return reply(
            ctx, texts.text(ctx.language, "payments.admin.credit_changed_nothing", state=state)
        )
    return reply(
        ctx,
        texts.text(ctx.language, "payments.admin.credited", amount=paid, payment_id=payment_id),
    )


def _settled(language: str, decided: manual.Decided) -> str:
    """How a payment an admin already decided stands: approved, rejected, or its state."""
    if decided.state == "succeeded":
        return texts.text(language, "payments.admin.settled.succeeded")
    if decided.state == "failed":
        return texts.text(language, "payments.admin.settled.failed")
    return state_text(language, decided.state)


def on_held(ctx: Context, argument: str) -> Reply:
    """Admins: every payment waiting for a decision, with its buttons."""

    waiting = awaiting_admin(ctx.runtime.read_models, HELD_LIMIT)
    if not waiting:
        return reply(ctx, texts.text(ctx.language, "payments.admin.nothing_held"))
    lines, rows = [], []
    for number, payment in enumerate(waiting, start=1):
        line = texts.Html(_held_line(ctx.language, payment))
        lines.append(
            texts.text(ctx.language, "payments.admin.held_entry", number=number, line=line)
        )
        rows.append(decision_buttons(payment.payment_id, f"#{number}"))
    listed = texts.Html("\n".join(lines))
    answer = reply(ctx, texts.text(ctx.language, "payments.admin.held", lines=listed))
    answer["reply_markup"] = inline_keyboard(rows)
    return answer


def _held_line(language: str, payment: PaymentView) -> str:
    # An id is said as digits, not as a number with thousands separators.
    who: dict[str, texts.Value] = {
        "payment_id": payment.payment_id, "amount": payment.amount,
        "user_id": str(payment.user_id),
    }  # fmt: skip
    if payment.state != "held":
        reference = payment.provider_ref or ""
        return texts.text(language, "payments.admin.transfer_line", reference=reference, **who)
    unknown = texts.Html(texts.text(language, "payments.admin.arrived_unknown"))
    held: dict[str, texts.Value] = {
        **who, "rail": rail_label(payment.rail), "arrived": payment.arrived or unknown,
        "reason": texts.Html(_hold_reason(language, payment.hold_reason)),
    }  # fmt: skip
    if payment.held_ref:
        return texts.text(
            language, "payments.admin.held_line_with_ref", held_ref=payment.held_ref, **held
        )
    return texts.text(language, "payments.admin.held_line", **held)


def _hold_reason(language: str, reason: str | None) -> str:
    """Why the money waits for an admin, in words (events.payments HoldReason)."""
    match reason:
        case "partially_paid":
            return texts.text(language, "payments.hold.partially_paid")
        case "amount_mismatch":
            return texts.text(language, "payments.hold.amount_mismatch")
        case "repeat_deposit":
            return texts.text(language, "payments.hold.repeat_deposit")
        case "repeat_payment":
            return texts.text(language, "payments.hold.repeat_payment")
        case "unconfirmed_reference":
            return texts.text(language, "payments.hold.unconfirmed_reference")
        case _:
            return texts.text(language, "payments.hold.review")


def _edited(ctx: Context, payment_id: str, outcome: str) -> Reply:
    """editMessageText as the webhook answer: the outcome under the admin's message, and the
    settled payment's buttons gone (a /held list keeps the other payments' buttons)."""

    query = ctx.update.callback_query
    message = query.message if query is not None else None
    if not isinstance(message, Message):  # too old for Telegram to show us
        return answer_query(ctx, plain(outcome), alert=True)
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
