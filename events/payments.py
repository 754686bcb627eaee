"""Events of the `payment-<id>` stream: one attempt to collect money on one rail."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.base import Event
from events.catalog import event
from events.money import Money


class PaymentInstructions(BaseModel):
    """How to pay, as shown to the user (functions.providers.base.Instructions)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["stk_prompt", "qr", "invoice_url"]
    text: str = Field(default="", max_length=2000)
    qr_payload: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, max_length=2000)


Purpose = Literal[
    "wallet_deposit", "order", "circle_contribution", "subscription", "donation", "tier"
]
# Why money that arrived waits for an admin instead of moving: paid less than asked
# (`partially_paid`), a different amount (`amount_mismatch`), a second payment for a payment
# that already has one (`repeat_deposit`, `repeat_payment`), or a payment whose start we
# never saw confirmed, so the provider's reference cannot be checked against ours
# (`unconfirmed_reference`).
HoldReason = Literal[
    "partially_paid",
    "amount_mismatch",
    "repeat_deposit",
    "repeat_payment",
    "unconfirmed_reference",
]


@event("payment.requested.v1")
class PaymentRequested(Event):
    payment_id: str
    user_id: int
    purpose: Purpose
    amount: Money
    rail: str = Field(min_length=2, max_length=32)
    subject: str | None = None  # what the money is for beyond the purpose: an order id
    # Set on a payment opened for money that arrived a second time for another payment
    # (a second Stars charge, a NOWPayments re-deposit): that payment's id.
    repeat_of: str | None = None


@event("payment.started.v1")
class PaymentStarted(Event):
    """The provider accepted the request; the user has been told how to pay."""

    provider_ref: str
    expires_at: AwareDatetime | None = None
    # What the user was told, so a redelivered update answers again without a provider call.
    # Optional: payments started before it was recorded have none.
    instructions: PaymentInstructions | None = None


@event("payment.start_unknown.v1")
class PaymentStartUnknown(Event):
    """The provider may or may not have accepted the request (a timeout): asking again could
    charge twice, so the payment waits open for a callback, a status query or expiry."""

    reason: str = Field(max_length=500)
    expires_at: AwareDatetime


@event("payment.reference_learnt.v1")
class PaymentReferenceLearnt(Event):
    """A verified report named the provider's id of the money movement (NOWPayments learns a
    payment id only once the user pays its invoice): status queries ask about it."""

    transfer_ref: str = Field(min_length=1, max_length=128)


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
    # The provider's id of this movement of money (NOWPayments payment id, Stars charge id),
    # when it differs from provider_ref; the audit proves none is credited twice.
    transfer_ref: str | None = None


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
    paid: Money | None = None  # what arrived, valued by the rail's stated rule; None: unknown
    raw_status: str = ""
    provider_ref: str | None = None  # the reference the report named
    transfer_ref: str | None = None  # the provider's id of the money that arrived


@event("payment.report_ignored.v1")
class PaymentReportIgnored(Event):
    """A provider report that may not move this payment (illegal transition, unverified)."""

    status: str
    reason: str = Field(max_length=500)
