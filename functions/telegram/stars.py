"""Telegram Stars (XTR) in Telegram: the invoice, the pre-checkout answer and the payment
messages. The money rules (the gate, applying a charge, once per charge) live in
functions/payments/stars.py; this parses the update, calls it and renders what it returns.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from telegram import RefundedPayment, SuccessfulPayment

from events import Money
from events.money import format_money
from events.payments import Purpose
from functions.payments import stars
from functions.payments.stars import CURRENCY
from functions.telegram.chat import Context, Reply, reply

if TYPE_CHECKING:
    from functions.telegram.deposits import DepositOption

log = logging.getLogger(__name__)


def start_stars_deposit(
    ctx: Context, option: DepositOption, amount: Money, extra: str | None
) -> Reply:
    """Record the payment, then answer the webhook with the invoice (payload = payment id)."""
    try:
        payment_id = stars.start_deposit(
            ctx.runtime, user_id=ctx.user_id, amount=amount, trace=ctx.trace
        )
    except stars.StarsAmountRefused as refusal:
        return reply(ctx, html.escape(str(refusal)))
    return invoice(ctx.chat_id, payment_id, amount)


def open_stars_payment(
    ctx: Context, purpose: Purpose, amount: Money, subject: str | None = None
) -> str:
    """Open a Stars payment for this update (functions/payments/stars.py); its id is the
    invoice payload."""
    return stars.open_payment(
        ctx.runtime, user_id=ctx.user_id, purpose=purpose, amount=amount, trace=ctx.trace,
        subject=subject,
    )  # fmt: skip


def invoice(chat_id: int, payment_id: str, amount: Money) -> Reply:
    """sendInvoice in XTR: empty provider token, exactly one price, whole Stars."""
    stars = amount.amount
    return {
        "method": "sendInvoice",
        "chat_id": chat_id,
        "title": "Soko wallet top-up",
        "description": f"Add {stars} Stars to your Soko wallet (ref {payment_id}).",
        "payload": payment_id,
        "provider_token": "",
        "currency": CURRENCY,
        "prices": [{"label": f"{stars} Stars", "amount": stars}],
    }


def on_pre_checkout(ctx: Context, argument: str) -> Reply:
    """The webhook's own answer (Telegram allows 10 s): one stream load, nothing written."""
    query = ctx.update.pre_checkout_query
    assert query is not None
    answer: Reply = {
        "method": "answerPreCheckoutQuery",
        "pre_checkout_query_id": query.id,
        "ok": True,
    }
    try:
        stars.check_checkout(
            ctx.runtime, user_id=ctx.user_id, payload=query.invoice_payload,
            currency=query.currency, total=query.total_amount,
        )  # fmt: skip
    except stars.CheckoutRefused as refusal:
        log.info("pre-checkout refused: %s", refusal)
        answer.update(ok=False, error_message=str(refusal))
    return answer


def on_successful_payment(ctx: Context, argument: str) -> Reply:
    """Telegram took the Stars: the service applies them once per charge; say what it did."""
    assert ctx.message is not None
    assert ctx.message.successful_payment is not None
    charge = _charge(ctx, ctx.message.successful_payment)
    try:
        received = stars.receive_payment(ctx.runtime, charge, ctx.trace)
    except stars.UnmatchedCharge:
        # Say what an admin needs to find (and refund) the charge; no money moved.
        return reply(
            ctx,
            "We received Stars we cannot match to a deposit, so nothing was added to your "
            f"wallet. An admin can refund it: quote <code>{html.escape(charge.charge_id)}</code>.",
        )
    return reply(ctx, _received_text(received))


def _received_text(received: stars.PaymentReceived) -> str:
    money = format_money(received.amount)
    if received.outcome == "repeat":
        return (
            f"We received a second payment of {money} for an invoice that was already paid "
            f"(ref {received.repeat_id}). Nothing is lost: an admin will add it to your wallet "
            "or refund it."
        )
    if received.outcome == "held":
        return "Payment received; it differs from the invoice, so an admin checks it."
    if received.outcome == "credited":
        ref = f" (ref {received.payment_id})"  # what an admin's /refund names
        if received.purpose == "order":  # the checkout saga delivers; the buyer is messaged
            return f"Payment received: {money} for your order{ref}."
        return f"Payment received: {money} goes to your wallet{ref}."
    return "This payment was already received."


def on_refunded_payment(ctx: Context, argument: str) -> Reply:
    """Telegram says the Stars went back (after refundStarPayment, or otherwise)."""
    assert ctx.message is not None
    assert ctx.message.refunded_payment is not None
    charge = _charge(ctx, ctx.message.refunded_payment)
    try:
        recorded = stars.record_refunded(ctx.runtime, charge, ctx.trace)
    except stars.UnmatchedCharge:
        return reply(
            ctx, "Telegram refunded Stars we have no deposit for; your wallet is as it was."
        )
    return reply(
        ctx,
        f"Your deposit {recorded.payment_id} was refunded; the Stars have left your wallet.",
    )


def _charge(ctx: Context, paid: SuccessfulPayment | RefundedPayment) -> stars.Charge:
    return stars.Charge(
        user_id=ctx.user_id,
        invoice_payload=paid.invoice_payload,
        charge_id=paid.telegram_payment_charge_id,
        total=paid.total_amount,
        currency=paid.currency,
    )
