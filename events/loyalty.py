"""Events of loyalty: what a user's activity counts for, the tiers they reach by the
commission they earn, the badges they unlock, and whether the leaderboard shows them.

`loyalty-<user id>` holds one user's progress. Each fact is counted once by its key (a
referee, a payment, an order); reaching a tier and unlocking a badge are decided there,
once each, so each is announced once. A tier with its own commission rate pays the
difference to the referee's bound rate as a bonus, decided there too (by the tier the
referrer was in when the commission was counted).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from events.base import Event
from events.catalog import event
from events.money import Money

Fact = Literal["referral", "deposit", "purchase", "commission", "reversal"]


@event("loyalty.counted.v1")
class ProgressCounted(Event):
    """A fact counted once: a referee joined, a deposit succeeded, an order was delivered,
    a commission was earned or reversed (`earned`, in its own currency)."""

    user_id: int
    fact: Fact
    key: str = Field(min_length=1, max_length=128)
    earned: Money | None = None
    # Its worth toward the tiers, in minor units of the tier currency by the conversion
    # table in force (signed: a reversal takes back exactly what its commission added).
    value: int = 0


@event("loyalty.tier_reached.v1")
class TierReached(Event):
    user_id: int
    tier: str = Field(min_length=1, max_length=32)
    rank: int = Field(ge=1)  # 0 is the tier everyone starts in, never "reached"
    lifetime: Money  # lifetime commission in the tier currency when it was reached


@event("loyalty.achievement_unlocked.v1")
class AchievementUnlocked(Event):
    user_id: int
    achievement: str = Field(min_length=1, max_length=64)


@event("loyalty.board_visibility_set.v1")
class BoardVisibilitySet(Event):
    """The user chose whether the leaderboard shows them."""

    user_id: int
    hidden: bool


@event("loyalty.bonus_earned.v1")
class BonusEarned(Event):
    """The referrer's tier pays more than the rate the commission was decided at: the
    difference on that deposit, floor(deposit * tier rate / 10000) - commission, once."""

    user_id: int
    payment_id: str
    tier: str = Field(min_length=1, max_length=32)
    rate_bp: int = Field(ge=0, le=10_000)  # the tier's rate
    deposit: Money
    commission: Money  # what the deposit already earned at the referee's bound rate
    bonus: Money


@event("loyalty.bonus_reversed.v1")
class BonusReversed(Event):
    """The deposit was refunded: its bonus is taken back, as its commission is."""

    user_id: int
    payment_id: str
    bonus: Money
