"""Telegram Stars (XTR) in Telegram: the invoice, the pre-checkout answer and the payment
messages. The money rules (the gate, applying a charge, once per charge) live in
functions/payments/stars.py; this parses the update, calls it and renders what it returns.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from events import Money
from events.payments import Purpose
from functions import texts
from functions.payments import stars
from functions.payments.stars import CURRENCY
from functions.telegram.chat import Context, Reply, plain, reply
from functions.telegram.types import RefundedPayment, SuccessfulPayment

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
    except stars.StarsAmountRefused as refused:
        return reply(ctx, texts.refusal(ctx.language, refused))
    return invoice(ctx.chat_id, payment_id, amount, ctx.language)


def open_stars_payment(
    ctx: Context, purpose: Purpose, amount: Money, subject: str | None = None
) -> str:
    """Open a Stars payment for this update (functions/payments/stars.py); its id is the
    invoice payload."""
    return stars.open_payment(
        ctx.runtime, user_id=ctx.user_id, purpose=purpose, amount=amount, trace=ctx.trace,
        subject=subject,
    )  # fmt: skip


def invoice(chat_id: int, payment_id: str, amount: Money, language: str = texts.FALLBACK) -> Reply:
    """sendInvoice in XTR: empty provider token, exactly one price, whole Stars. Its texts
    are plain (an invoice has no parse mode)."""
    stars = amount.amount
    return {
        "method": "sendInvoice",
        "chat_id": chat_id,
        "title": _plain(language, "payments.stars.invoice_title"),
        "description": _plain(
            language, "payments.stars.invoice_description", stars=stars, ref=payment_id
        ),
        "payload": payment_id,
        "provider_token": "",
        "currency": CURRENCY,
        "prices": [
            {
                "label": _plain(language, "payments.stars.invoice_price", stars=stars),
                "amount": stars,
            }
        ],
    }


def _plain(language: str, key: str, **values: texts.Value) -> str:
    """A catalogue text for a field Telegram shows as plain text, not HTML."""
    return plain(texts.text(language, key, **values))


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
    except stars.CheckoutRefused as refused:
        log.info("pre-checkout refused: %s", refused)
        # error_message is plain text, shown to the payer by Telegram's payment form.
        said = plain(texts.refusal(ctx.language, refused))
        answer.update(ok=False, error_message=said)
    return answer


def on_successful_payment(ctx: Context, argument: str) -> Reply:
    """Telegram took the Stars: the service applies them once per charge; say what it did."""
    assert ctx.message is not None
    assert ctx.message.successful_payment is not None
    paid = ctx.message.successful_payment
    charge = _charge(ctx, paid)
    charge = replace(charge, recurring=bool(paid.is_recurring),
                     first_recurring=bool(paid.is_first_recurring))  # fmt: skip
    if charge.renewal:
        charge = stars.renewal_payment(ctx.runtime, charge, ctx.trace)
    try:
        received = stars.receive_payment(ctx.runtime, charge, ctx.trace)
    except stars.UnmatchedCharge:
        # Say what an admin needs to find (and refund) the charge; no money moved.
        return reply(
            ctx, texts.text(ctx.language, "payments.stars.unmatched", charge=charge.charge_id)
        )
    return reply(ctx, _received_text(ctx.language, received))


def _received_text(language: str, received: stars.PaymentReceived) -> str:
    """What the charge did; every answer names the payment's ref, which /refund takes."""
    amount, ref = received.amount, received.payment_id
    match received.outcome:
        case "repeat":
            ref = received.repeat_id or ref
            return texts.text(language, "payments.stars.repeat", amount=amount, ref=ref)
        case "held":
            return texts.text(language, "payments.stars.held", amount=amount, ref=ref)
        case "credited" if received.purpose == "order":
            # The checkout saga delivers; the buyer is messaged.
            return texts.text(language, "payments.stars.for_order", amount=amount, ref=ref)
        case "credited" if received.purpose == "subscription":
            # The subscription follows; its notice carries the Join button.
            return texts.text(language, "payments.stars.for_subscription", amount=amount, ref=ref)
        case "credited" if received.purpose == "donation":
            return texts.text(language, "payments.stars.for_donation", amount=amount, ref=ref)
        case "credited":
            return texts.text(language, "payments.stars.to_wallet", amount=amount, ref=ref)
        case _:
            return texts.text(language, "payments.stars.already")


def on_refunded_payment(ctx: Context, argument: str) -> Reply:
    """Telegram says the Stars went back (after refundStarPayment, or otherwise)."""
    assert ctx.message is not None
    assert ctx.message.refunded_payment is not None
    charge = _charge(ctx, ctx.message.refunded_payment)
    try:
        recorded = stars.record_refunded(ctx.runtime, charge, ctx.trace)
    except stars.UnmatchedCharge:
        return reply(ctx, texts.text(ctx.language, "payments.stars.refund_unmatched"))
    return reply(ctx, texts.text(ctx.language, "payments.stars.refunded", ref=recorded.payment_id))


def _charge(ctx: Context, paid: SuccessfulPayment | RefundedPayment) -> stars.Charge:
    return stars.Charge(
        user_id=ctx.user_id,
        invoice_payload=paid.invoice_payload,
        charge_id=paid.telegram_payment_charge_id,
        total=paid.total_amount,
        currency=paid.currency,
    )
