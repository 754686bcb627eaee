"""Telegram Stars (XTR): opening an invoice's payment, the pre-checkout gate, and settling.

Telegram itself collects Stars, so there is no provider to ask: the invoice's payload is
our payment id, the pre-checkout check is the gate (only an open Stars payment of this user
for exactly this amount may be paid), and `successful_payment` is the verified report (the
webhook is authenticated by its secret token). Idempotent on `telegram_payment_charge_id`.

Plain functions over the Runtime: the Telegram adapter (functions/telegram/stars.py) parses
the update into a `Charge`, calls these and renders what they return.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from events import Money
from events.payments import PaymentHeldForReview, PaymentSucceeded, Purpose
from functions.domain import payments
from functions.domain.decider import DomainError
from functions.domain.reports import Report
from functions.payments.apply import apply_report
from functions.payments.ids import payment_id_for
from functions.runtime.pipeline import Trace

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

log = logging.getLogger(__name__)

RAIL = "stars"
CURRENCY = "XTR"
MIN_STARS, MAX_STARS = 1, 10_000
# Telegram keeps an invoice payable forever; after this the expire-payments job closes the
# payment, and the pre-checkout check then refuses to take Stars for it.
INVOICE_TTL = timedelta(hours=24)


class StarsAmountRefused(DomainError):
    code = "stars_amount"

    def __init__(self) -> None:
        super().__init__(f"A Stars deposit is {MIN_STARS} to {MAX_STARS:,} Stars.")

    def facts(self) -> dict[str, str | int | Money]:
        return {"minimum": MIN_STARS, "maximum": MAX_STARS}


class CheckoutRefused(DomainError):
    """Telegram must not take Stars for this invoice; each reason is its own code, which the
    catalogue words for the payer (the message is the English fallback)."""

    code = "checkout_refused"


class NotInStars(CheckoutRefused):
    code = "checkout_not_in_stars"


class NotOurInvoice(CheckoutRefused):
    code = "checkout_not_our_invoice"


class SomeoneElsesInvoice(CheckoutRefused):
    code = "checkout_someone_elses"


class InvoiceClosed(CheckoutRefused):
    code = "checkout_closed"


class AmountDiffers(CheckoutRefused):
    code = "checkout_amount_differs"


class UnmatchedCharge(DomainError):
    """Stars Telegram took or gave back that match no Stars payment of this user."""

    code = "unmatched_charge"

    def __init__(self, charge_id: str) -> None:
        super().__init__(f"Stars charge {charge_id} matches no Stars payment of this user")
        self.charge_id = charge_id

    def facts(self) -> dict[str, str | int | Money]:
        return {"charge_id": self.charge_id}


@dataclass(frozen=True)
class Charge:
    """Telegram's `successful_payment` or `refunded_payment`, as the adapter parsed it."""

    user_id: int
    invoice_payload: str
    charge_id: str  # telegram_payment_charge_id: one charge is one movement of Stars
    total: int
    currency: str
    # A Star subscription's charge (createInvoiceLink with subscription_period): the first
    # pays the invoice; each later one renews it under a new charge id.
    recurring: bool = False
    first_recurring: bool = False

    @property
    def renewal(self) -> bool:
        return self.recurring and not self.first_recurring


Received = Literal["credited", "held", "repeat", "already"]


@dataclass(frozen=True)
class PaymentReceived:
    """What a charge did: credited (or paid an order), held for an admin, a repeat, nothing."""

    outcome: Received
    payment_id: str
    amount: Money
    purpose: Purpose
    repeat_id: str | None = None  # the payment opened for a second charge ("repeat")


@dataclass(frozen=True)
class RefundRecorded:
    payment_id: str
    already: bool  # recorded before (our /refund, or this message again)


def start_deposit(rt: Runtime, *, user_id: int, amount: Money, trace: Trace) -> str:
    """Open a wallet top-up in Stars; its id is the invoice payload."""
    if not MIN_STARS <= amount.amount <= MAX_STARS:
        raise StarsAmountRefused
    return open_payment(rt, user_id=user_id, purpose="wallet_deposit", amount=amount, trace=trace)


def open_payment(
    rt: Runtime,
    *,
    user_id: int,
    purpose: Purpose,
    amount: Money,
    trace: Trace,
    subject: str | None = None,
) -> str:
    """Record a Stars payment as requested and started (its invoice is about to be sent);
    returns its id, which is the invoice payload."""
    # Derived from the update, so Telegram redelivering /deposit re-sends the same invoice
    # instead of opening a second payment.
    payment_id = payment_id_for(trace)
    stream = payments.stream_of(payment_id)
    # No idempotency key: each command has its own, and the state machine makes a repeat
    # of either (a redelivered update derives the same id) a no-op.
    why = Trace(None, trace.causation_id, trace.correlation_id)
    request = payments.Request(payment_id, user_id, purpose, amount, RAIL, subject)
    rt.pipeline.execute(payments.payments, stream, request, why)
    started = payments.MarkStarted(payment_id, rt.clock.now() + INVOICE_TTL)
    rt.pipeline.execute(payments.payments, stream, started, why)
    return payment_id


def load_payment(rt: Runtime, payment_id: str) -> payments.Payment:
    """The payment's state; a payload that is not one of our ids is the `new` state."""
    if not payments.is_payment_id(payment_id):
        return payments.Payment()
    return rt.pipeline.current(payments.payments, payments.stream_of(payment_id))


def check_checkout(rt: Runtime, *, user_id: int, payload: str, currency: str, total: int) -> None:
    """CheckoutRefused (why, in words for the payer) unless the Stars may be taken; writes
    nothing (Telegram allows the answer 10 s: one stream load)."""
    if currency != CURRENCY:
        raise NotInStars("This invoice can only be paid in Telegram Stars.")
    payment = load_payment(rt, payload)
    if payment.state == "new" or payment.rail != RAIL:
        raise NotOurInvoice("This invoice is not valid. Send /deposit to start a new one.")
    if payment.user_id != user_id:
        raise SomeoneElsesInvoice(
            "This invoice was issued to someone else. Send /deposit to get your own."
        )
    if payment.state not in payments.OPEN:
        raise InvoiceClosed(
            "This invoice was already paid or has expired. Send /deposit for a new one."
        )
    asked = payment.amount
    if asked is None or asked.currency != CURRENCY or asked.amount != total:
        raise AmountDiffers("The amount does not match this invoice. Send /deposit to start again.")


def renewal_payment(rt: Runtime, charge: Charge, trace: Trace) -> Charge:
    """A Star subscription renewed itself: Telegram charged again for the invoice its first
    charge paid. The renewal is its own payment (same user, purpose, subject and amount as
    the one it renews), named by the charge, so it settles once however often the message
    comes; the charge is returned naming it. One that renews nothing is left as it was (it
    then counts as a repeat of that payment, held for an admin)."""
    first = load_payment(rt, charge.invoice_payload)
    if first.rail != RAIL or first.user_id != charge.user_id or first.amount is None:
        return charge
    renewal = Trace(f"stars-renewal:{charge.charge_id}", trace.causation_id, trace.correlation_id)
    payment_id = open_payment(
        rt, user_id=charge.user_id, purpose=first.purpose, amount=first.amount, trace=renewal,
        subject=first.subject,
    )  # fmt: skip
    return replace(charge, invoice_payload=payment_id)


def receive_payment(rt: Runtime, charge: Charge, trace: Trace) -> PaymentReceived:
    """Telegram took the Stars: apply that as a verified report, once per charge.

    UnmatchedCharge (nothing written) when it is not one of this user's Stars payments."""
    payment = load_payment(rt, charge.invoice_payload)
    try:
        amount = Money(amount=charge.total, currency=charge.currency)
    except ValueError:
        amount = None  # a currency we do not know: not one of our invoices
    if amount is None or payment.rail != RAIL or payment.user_id != charge.user_id:
        # The pre-checkout check refuses these, so this should not happen; move no money.
        log.warning("successful_payment matches no Stars payment: %s", charge.charge_id)
        raise UnmatchedCharge(charge.charge_id)
    report = Report(
        payment_id=payment.payment_id,
        status="succeeded",
        provider_ref=payment.provider_ref,  # the invoice: its payload is our payment id
        transfer_ref=charge.charge_id,  # one charge is one movement of Stars
        paid=amount,
        receipt=charge.charge_id,
        raw_status="successful_payment",
        idempotency_key=f"stars:{charge.charge_id}",
        verified=True,  # the webhook is authenticated by its secret token
    )
    keyed = Trace(report.idempotency_key, trace.causation_id, trace.correlation_id)
    applied = apply_report(rt.pipeline, report, "callback", keyed)
    received = PaymentReceived("already", payment.payment_id, amount, payment.purpose)
    if applied.repeat_id is not None:
        # Stars were taken a second time for one invoice: recorded, held for an admin.
        return replace(received, outcome="repeat", repeat_id=applied.repeat_id)
    if PaymentHeldForReview.type_name in applied.types:
        return replace(received, outcome="held")
    if PaymentSucceeded.type_name in applied.types and not applied.appended.duplicate:
        return replace(received, outcome="credited")
    return received


def record_refunded(rt: Runtime, charge: Charge, trace: Trace) -> RefundRecorded:
    """Telegram says the Stars went back (after refundStarPayment, or otherwise).

    UnmatchedCharge (nothing written) when it names no charge of this user's Stars payment."""
    payment = load_payment(rt, charge.invoice_payload)
    if (
        payment.rail != RAIL
        or payment.receipt != charge.charge_id
        or payment.user_id != charge.user_id
    ):
        log.warning("refunded_payment matches no Stars payment: %s", charge.charge_id)
        raise UnmatchedCharge(charge.charge_id)
    if payment.state == "refunded":
        return RefundRecorded(payment.payment_id, already=True)
    report = Report(
        payment_id=payment.payment_id,
        status="refunded",
        transfer_ref=charge.charge_id,
        receipt=charge.charge_id,
        raw_status="refunded_payment",
        idempotency_key=f"stars-refunded:{charge.charge_id}",
        verified=True,
    )
    keyed = Trace(report.idempotency_key, trace.causation_id, trace.correlation_id)
    apply_report(rt.pipeline, report, "callback", keyed)
    return RefundRecorded(payment.payment_id, already=False)
