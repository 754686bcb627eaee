"""Events of the `payment-<id>` stream: one attempt to collect money on one rail."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from events.base import Event
from events.catalog import event
from events.money import Money

Purpose = Literal["wallet_deposit", "order", "circle_contribution", "subscription"]
HoldReason = Literal["partially_paid", "amount_mismatch", "repeat_deposit"]


@event("payment.requested.v1")
class PaymentRequested(Event):
    payment_id: str
    user_id: int
    purpose: Purpose
    amount: Money
    rail: str = Field(min_length=2, max_length=32)
    subject: str | None = None  # what the money is for beyond the purpose: an order id


@event("payment.started.v1")
class PaymentStarted(Event):
    """The provider accepted the request; the user has been told how to pay."""

    provider_ref: str
    expires_at: AwareDatetime | None = None


@event("payment.start_failed.v1")
class PaymentStartFailed(Event):
    reason: str = Field(max_length=500)


@event("payment.succeeded.v1")
class PaymentSucceeded(Event):
    """Verified: the money arrived. The only event that may move money into a wallet.

    Self-contained (who, what for), so reactors decide from the event alone.
    """

    payment_id: str
    user_id: int
    purpose: Purpose
    paid: Money
    provider_ref: str | None = None
    receipt: str | None = None
    source: Literal["callback", "query", "admin"]
    subject: str | None = None


@event("payment.failed.v1")
class PaymentFailed(Event):
    reason: str = Field(max_length=500)


@event("payment.expired.v1")
class PaymentExpired(Event):
    pass


@event("payment.refunded.v1")
class PaymentRefunded(Event):
    """The money went back to the payer; a refunded deposit leaves the wallet again.

    Who, what for and how much are optional only because refunds recorded before they were
    added carry just `reason`; every refund recorded now has them, so reactors decide from
    the event alone.
    """

    reason: str = Field(max_length=500)
    payment_id: str | None = None
    user_id: int | None = None
    purpose: Purpose | None = None
    amount: Money | None = None  # what was paid, and now given back
    refund_ref: str | None = None  # the provider's charge id (Stars: telegram_payment_charge_id)
    admin_id: int | None = None  # the admin who refunded, when one did


@event("payment.held_for_review.v1")
class PaymentHeldForReview(Event):
    """Money arrived but not as asked: an admin decides, nothing is credited automatically."""

    reason: HoldReason
    paid: Money | None = None
    raw_status: str = ""


@event("payment.report_ignored.v1")
class PaymentReportIgnored(Event):
    """A provider report that may not move this payment (illegal transition, unverified)."""

    status: str
    reason: str = Field(max_length=500)
