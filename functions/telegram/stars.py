"""Telegram Stars (XTR): the invoice, the pre-checkout answer and the successful payment.

Telegram itself collects Stars, so there is no provider to ask: the invoice's payload is
our payment id, the pre-checkout answer is the gate (only an open Stars payment of this user
for exactly this amount may be paid), and `successful_payment` is the verified report (the
webhook is authenticated by its secret token). Idempotent on `telegram_payment_charge_id`.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from events import Money
from events.money import format_money
from events.payments import PaymentHeldForReview, PaymentSucceeded, Purpose
from functions.domain import payments
from functions.payments.apply import apply_report
from functions.payments.ids import payment_id_for
from functions.providers.base import Report
from functions.runtime.pipeline import Trace
from functions.telegram.chat import Context, Reply, reply

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime
    from functions.telegram.deposits import DepositOption

log = logging.getLogger(__name__)

RAIL = "stars"
CURRENCY = "XTR"
MIN_STARS, MAX_STARS = 1, 10_000
# Telegram keeps an invoice payable forever; after this the expire-payments job closes the
# payment, and the pre-checkout answer then refuses to take Stars for it.
INVOICE_TTL = timedelta(hours=24)


def start_stars_deposit(
    ctx: Context, option: DepositOption, amount: Money, extra: str | None
) -> Reply:
    """Record the payment, then answer the webhook with the invoice (payload = payment id)."""

    if not MIN_STARS <= amount.amount <= MAX_STARS:
        return reply(ctx, f"A Stars deposit is {MIN_STARS} to {MAX_STARS:,} Stars.")
    payment_id = open_stars_payment(ctx, "wallet_deposit", amount)
    return invoice(ctx.chat_id, payment_id, amount)


def open_stars_payment(
    ctx: Context, purpose: Purpose, amount: Money, subject: str | None = None
) -> str:
    """Record a Stars payment as requested and started (its invoice is about to be sent);
    returns its id, which is the invoice payload."""
    # Derived from the update, so Telegram redelivering /deposit re-sends the same invoice
    # instead of opening a second payment.
    payment_id = payment_id_for(ctx.trace)
    stream = payments.stream_of(payment_id)
    # No idempotency key: each command has its own, and the state machine makes a repeat
    # of either (a redelivered update derives the same id) a no-op.
    trace = Trace(None, ctx.trace.causation_id, ctx.trace.correlation_id)
    request = payments.Request(payment_id, ctx.user_id, purpose, amount, RAIL, subject)
    ctx.runtime.pipeline.execute(payments.payments, stream, request, trace)
    started = payments.MarkStarted(payment_id, ctx.runtime.clock.now() + INVOICE_TTL)
    ctx.runtime.pipeline.execute(payments.payments, stream, started, trace)
    return payment_id


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


def load_payment(rt: Runtime, payment_id: str) -> payments.Payment:
    """The payment's state; a payload that is not one of our ids is the `new` state."""
    if not payments.is_payment_id(payment_id):
        return payments.Payment()
    return rt.pipeline.current(payments.payments, payments.stream_of(payment_id))


def on_pre_checkout(ctx: Context, argument: str) -> Reply:
    """The webhook's own answer (Telegram allows 10 s): one stream load, nothing written."""
    query = ctx.update.pre_checkout_query
    assert query is not None
    problem = checkout_problem(
        ctx.runtime, ctx.user_id, query.invoice_payload, query.currency, query.total_amount
    )
    answer: Reply = {
        "method": "answerPreCheckoutQuery",
        "pre_checkout_query_id": query.id,
        "ok": problem is None,
    }
    if problem is not None:
        log.info("pre-checkout refused: %s", problem)
        answer["error_message"] = problem
    return answer


def checkout_problem(
    rt: Runtime, user_id: int, payload: str, currency: str, total: int
) -> str | None:
    """Why this payment must not be taken, in words for the payer; None when it may."""
    if currency != CURRENCY:
        return "This invoice can only be paid in Telegram Stars."
    payment = load_payment(rt, payload)
    if payment.state == "new" or payment.rail != RAIL:
        return "This invoice is not valid. Send /deposit to start a new one."
    if payment.user_id != user_id:
        return "This invoice was issued to someone else. Send /deposit to get your own."
    if payment.state not in payments.OPEN:
        return "This invoice was already paid or has expired. Send /deposit for a new one."
    asked = payment.amount
    if asked is None or asked.currency != CURRENCY or asked.amount != total:
        return "The amount does not match this invoice. Send /deposit to start again."
    return None


def on_successful_payment(ctx: Context, argument: str) -> Reply:
    """Telegram took the Stars: apply that as a verified report, once per charge."""

    assert ctx.message is not None
    assert ctx.message.successful_payment is not None
    paid = ctx.message.successful_payment
    charge_id = paid.telegram_payment_charge_id
    payment = load_payment(ctx.runtime, paid.invoice_payload)
    try:
        amount = Money(amount=paid.total_amount, currency=paid.currency)
    except ValueError:
        amount = None  # a currency we do not know: not one of our invoices
    if amount is None or payment.rail != RAIL or payment.user_id != ctx.user_id:
        # The pre-checkout answer refuses these, so this should not happen; say what an
        # admin needs to find (and refund) the charge, and move no money.
        log.warning("successful_payment matches no Stars payment of this user: %s", charge_id)
        return reply(
            ctx,
            "We received Stars we cannot match to a deposit, so nothing was added to your "
            f"wallet. An admin can refund it: quote <code>{html.escape(charge_id)}</code>.",
        )
    report = Report(
        payment_id=payment.payment_id,
        status="succeeded",
        provider_ref=payment.provider_ref,  # the invoice: its payload is our payment id
        transfer_ref=charge_id,  # one charge is one movement of Stars
        paid=amount,
        receipt=charge_id,
        raw_status="successful_payment",
        idempotency_key=f"stars:{charge_id}",
        verified=True,  # the webhook is authenticated by its secret token
    )
    trace = Trace(report.idempotency_key, ctx.trace.causation_id, ctx.trace.correlation_id)
    applied = apply_report(ctx.runtime.pipeline, report, "callback", trace)
    if applied.repeat_id is not None:
        # Stars were taken a second time for one invoice: recorded, held for an admin.
        return reply(
            ctx,
            f"We received a second payment of {format_money(amount)} for an invoice that was "
            f"already paid (ref {applied.repeat_id}). Nothing is lost: an admin will add it to "
            "your wallet or refund it.",
        )
    kinds = applied.types
    if PaymentHeldForReview.type_name in kinds:
        return reply(ctx, "Payment received; it differs from the invoice, so an admin checks it.")
    if PaymentSucceeded.type_name in kinds and not applied.appended.duplicate:
        ref = f" (ref {payment.payment_id})"  # what an admin's /refund names
        if payment.purpose == "order":  # the checkout saga delivers; the buyer is messaged
            return reply(ctx, f"Payment received: {format_money(amount)} for your order{ref}.")
        return reply(ctx, f"Payment received: {format_money(amount)} goes to your wallet{ref}.")
    return reply(ctx, "This payment was already received.")


def on_refunded_payment(ctx: Context, argument: str) -> Reply:
    """Telegram says the Stars went back (after refundStarPayment, or otherwise)."""

    assert ctx.message is not None
    assert ctx.message.refunded_payment is not None
    refunded = ctx.message.refunded_payment
    charge_id = refunded.telegram_payment_charge_id
    payment = load_payment(ctx.runtime, refunded.invoice_payload)
    if payment.rail != RAIL or payment.receipt != charge_id or payment.user_id != ctx.user_id:
        log.warning("refunded_payment matches no Stars payment of this user: %s", charge_id)
        return reply(
            ctx, "Telegram refunded Stars we have no deposit for; your wallet is as it was."
        )
    done = f"Your deposit {payment.payment_id} was refunded; the Stars have left your wallet."
    if payment.state == "refunded":
        return reply(ctx, done)  # recorded already (our /refund, or this message again)
    report = Report(
        payment_id=payment.payment_id,
        status="refunded",
        transfer_ref=charge_id,
        receipt=charge_id,
        raw_status="refunded_payment",
        idempotency_key=f"stars-refunded:{charge_id}",
        verified=True,
    )
    trace = Trace(report.idempotency_key, ctx.trace.causation_id, ctx.trace.correlation_id)
    apply_report(ctx.runtime.pipeline, report, "callback", trace)
    return reply(ctx, done)
