"""Events of referrals: who invited whom, and the commission a referee's deposits earn.

`referral-<user id>` holds one user's side of the programme: who bound them (with the terms
in force then), who they brought in, and the commission each of their own deposits earned
their referrer. The money itself moves on the referrer's `wallet-<id>` stream, where a
reversal the referrer can no longer cover is recorded as owed (`referral.commission_owed`).
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.base import Event
from events.catalog import event
from events.money import Money


class Terms(BaseModel):
    """The programme's terms when a referee was bound; their deposits earn by these."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_bp: int = Field(ge=0, le=10_000)  # basis points of each deposit, floored
    min_deposit: dict[str, int] = Field(default_factory=dict)  # per currency, minor units
    cap: dict[str, int] = Field(default_factory=dict)  # most commission per referee
    window_days: int | None = Field(default=None, ge=1)  # deposits after it earn nothing


@event("referral.bound.v1")
class ReferralBound(Event):
    """At their first registration, the referee came through the referrer's link."""

    referee_id: int
    referrer_id: int
    referee_name: str = Field(max_length=256)
    terms: Terms
    at: AwareDatetime  # when they registered: a window counts from here


@event("referral.referee_joined.v1")
class RefereeJoined(Event):
    """On the referrer's stream: someone they invited registered."""

    referrer_id: int
    referee_id: int
    referee_name: str = Field(max_length=256)


@event("referral.commission_earned.v1")
class CommissionEarned(Event):
    """A referee's succeeded deposit earned their referrer `commission`, once."""

    payment_id: str
    referee_id: int
    referrer_id: int
    deposit: Money
    rate_bp: int
    commission: Money  # floor(deposit * rate_bp / 10000), less what a cap left


@event("referral.commission_reversed.v1")
class CommissionReversed(Event):
    """The deposit was refunded: the commission it earned is taken back."""

    payment_id: str
    referee_id: int
    referrer_id: int
    commission: Money


@event("referral.refund_seen.v1")
class RefundSeen(Event):
    """A refund arrived before its deposit earned anything: that deposit never will."""

    payment_id: str


@event("referral.commission_owed.v1")
class CommissionOwed(Event):
    """On the referrer's wallet stream: the part of a reversal the balance could not cover,
    netted from later commissions (a balance never goes below zero)."""

    user_id: int
    payment_id: str
    owed: Money
