"""Loyalty: the `loyalty-<user id>` aggregate counting a user's activity once per fact, and
the tiers and badges it earns, decided from tables (docs/architecture.md, "Referrals").

Tiers go by lifetime commission: what the user's referees' deposits earned them less what
refunds took back, in one tier currency (PLN by default). A commission in another currency
counts at the programme's integer conversion rate, truncated toward zero per commission (so
its reversal takes back exactly what it added); a currency without a rate does not count.
A tier, once reached, is never announced again, even if a refund takes the lifetime below
it. Badges are rows of `ACHIEVEMENTS` (a counter and a threshold) plus one per tier: the
decider reads the table and has no code for any one badge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from events import Event, Money
from events.loyalty import (
    AchievementUnlocked,
    BoardVisibilitySet,
    BonusEarned,
    BonusReversed,
    Fact,
    ProgressCounted,
    TierReached,
)
from functions.domain.decider import Decider
from functions.domain.snapshots import Snapshots

# A rate is how many minor units of the tier currency one million minor units of the other
# currency are worth: integers only, and fine enough for satoshi and Stars alike.
RATE_BASE = 1_000_000
BASIS = 10_000  # basis points
BONUS = "bonus:"  # a bonus moves on the wallet as the commission of "bonus:<payment id>"
TIER_COUNTER = "tier"  # the rank of the highest tier reached, for the tier badges
# What each fact adds one to; commissions and reversals move the lifetime instead.
COUNTERS: Mapping[str, str] = {
    "referral": "referrals",
    "deposit": "deposits",
    "purchase": "purchases",
}


def stream_of(user_id: int) -> str:
    return f"loyalty-{user_id}"


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: int  # lifetime commission, in minor units of the tier currency
    rate_bp: int | None = None  # its own commission rate; None: the referee's bound rate


@dataclass(frozen=True)
class Achievement:
    """A badge: unlocked once `counter` reaches `threshold`."""

    key: str
    counter: str
    threshold: int


# The badges, as data: a new one is a row here and its text (`achievement.<key>`).
ACHIEVEMENTS: tuple[Achievement, ...] = (
    Achievement("first_referral", "referrals", 1),
    Achievement("referrals_5", "referrals", 5),
    Achievement("referrals_25", "referrals", 25),
    Achievement("referrals_100", "referrals", 100),
    Achievement("first_deposit", "deposits", 1),
    Achievement("first_purchase", "purchases", 1),
    Achievement("purchases_10", "purchases", 10),
)


@dataclass(frozen=True)
class Programme:
    """The tiers (ascending, the first at 0), the currency they count in, the conversion
    table, and the badges."""

    currency: str
    tiers: tuple[Tier, ...]
    rates: Mapping[str, int] = field(default_factory=dict)
    achievements: tuple[Achievement, ...] = ACHIEVEMENTS

    def __post_init__(self) -> None:
        thresholds = [t.threshold for t in self.tiers]
        if not thresholds or thresholds[0] != 0 or thresholds != sorted(set(thresholds)):
            raise ValueError("tiers must start at 0 and rise strictly")
        if any(rate < 0 for rate in self.rates.values()):
            raise ValueError("conversion rates are not negative")
        if any(t.rate_bp is not None and not 0 <= t.rate_bp <= BASIS for t in self.tiers):
            raise ValueError("a tier's rate is 0 to 10000 basis points")

    def badges(self) -> tuple[Achievement, ...]:
        """The table's badges and one per tier above the first."""
        tiers = (Achievement(f"tier_{t.name}", TIER_COUNTER, rank) for rank, t in self.ranked())
        return (*self.achievements, *tiers)

    def ranked(self) -> list[tuple[int, Tier]]:
        return list(enumerate(self.tiers))[1:]

    def value_of(self, money: Money) -> int:
        """Its worth in minor units of the tier currency, truncated toward zero; 0 for a
        currency without a rate."""
        if money.currency == self.currency:
            return money.amount
        rate = self.rates.get(money.currency, 0)
        worth = abs(money.amount) * rate // RATE_BASE
        return worth if money.amount >= 0 else -worth

    def rank_of(self, lifetime: int) -> int:
        return max(i for i, t in enumerate(self.tiers) if t.threshold <= max(lifetime, 0))


@dataclass(frozen=True)
class Loyalty:
    counted: frozenset[str] = frozenset()  # "<fact>:<key>"
    counters: dict[str, int] = field(default_factory=dict)
    lifetime: int = 0  # commission less reversals, minor units of the tier currency
    unlocked: frozenset[str] = frozenset()
    hidden: bool = False
    bonuses: dict[str, Money] = field(default_factory=dict)  # by payment id
    bonuses_reversed: frozenset[str] = frozenset()

    def count(self, name: str) -> int:
        return self.counters.get(name, 0)


@dataclass(frozen=True)
class Count:
    user_id: int
    fact: Fact
    key: str
    programme: Programme
    earned: Money | None = None  # a commission's amount, or the reversed one's
    # A commission's deposit and the rate it was decided at: a tier with a higher rate of
    # its own pays the difference as a bonus.
    deposit: Money | None = None
    rate_bp: int | None = None


@dataclass(frozen=True)
class SetVisibility:
    user_id: int
    hidden: bool


LoyaltyCommand = Count | SetVisibility


def decide(state: Loyalty, command: LoyaltyCommand) -> Sequence[Event]:
    if isinstance(command, SetVisibility):
        if state.hidden == command.hidden:
            return []
        return [BoardVisibilitySet(user_id=command.user_id, hidden=command.hidden)]
    if f"{command.fact}:{command.key}" in state.counted:
        return []
    counted = ProgressCounted(
        user_id=command.user_id,
        fact=command.fact,
        key=command.key,
        earned=command.earned,
        value=_value(command),
    )
    after = evolve(state, counted)
    moved = [*_bonus(state, command), *_bonus_back(state, command)]
    return [counted, *moved, *_tiers(state, after, command), *_badges(after, command)]


def _bonus(state: Loyalty, command: Count) -> list[Event]:
    """The tier's rate less the rate the commission was decided at, on its deposit, by the
    tier the referrer is in before this commission counts; none for a capped commission
    (the cap bounds what one referee earns their referrer)."""
    deposit, base, earned = command.deposit, command.rate_bp, command.earned
    if command.fact != "commission" or deposit is None or base is None or earned is None:
        return []
    if f"reversal:{command.key}" in state.counted:
        return []  # its refund was counted first (a redelivery out of order): nothing to pay
    tier = command.programme.tiers[command.programme.rank_of(state.lifetime)]
    if tier.rate_bp is None or tier.rate_bp <= base:
        return []
    if earned.amount != deposit.amount * base // BASIS:
        return []
    bonus = deposit.amount * tier.rate_bp // BASIS - earned.amount
    if bonus <= 0:
        return []
    return [
        BonusEarned(
            user_id=command.user_id,
            payment_id=command.key,
            tier=tier.name,
            rate_bp=tier.rate_bp,
            deposit=deposit,
            commission=earned,
            bonus=Money(amount=bonus, currency=deposit.currency),
        )
    ]


def _bonus_back(state: Loyalty, command: Count) -> list[Event]:
    paid = state.bonuses.get(command.key)
    if command.fact != "reversal" or paid is None or command.key in state.bonuses_reversed:
        return []
    return [BonusReversed(user_id=command.user_id, payment_id=command.key, bonus=paid)]


def _value(command: Count) -> int:
    if command.earned is None or command.fact not in ("commission", "reversal"):
        return 0
    worth = command.programme.value_of(command.earned)
    return -worth if command.fact == "reversal" else worth


def _tiers(before: Loyalty, after: Loyalty, command: Count) -> list[Event]:
    programme = command.programme
    reached, rank = before.count(TIER_COUNTER), programme.rank_of(after.lifetime)
    lifetime = Money(amount=after.lifetime, currency=programme.currency)
    return [
        TierReached(user_id=command.user_id, tier=tier.name, rank=r, lifetime=lifetime)
        for r, tier in programme.ranked()
        if reached < r <= rank
    ]


def _badges(after: Loyalty, command: Count) -> list[Event]:
    rank = max(after.count(TIER_COUNTER), command.programme.rank_of(after.lifetime))
    counters = {**after.counters, TIER_COUNTER: rank}
    return [
        AchievementUnlocked(user_id=command.user_id, achievement=badge.key)
        for badge in command.programme.badges()
        if badge.key not in after.unlocked and counters.get(badge.counter, 0) >= badge.threshold
    ]


def evolve(state: Loyalty, event: Event) -> Loyalty:
    match event:
        case ProgressCounted(fact=fact, key=key, value=value):
            counters = dict(state.counters)
            if fact in COUNTERS:
                counters[COUNTERS[fact]] = counters.get(COUNTERS[fact], 0) + 1
            return replace(
                state,
                counted=state.counted | {f"{fact}:{key}"},
                counters=counters,
                lifetime=state.lifetime + value,
            )
        case TierReached(rank=rank):
            counters = {**state.counters, TIER_COUNTER: max(rank, state.count(TIER_COUNTER))}
            return replace(state, counters=counters)
        case AchievementUnlocked(achievement=key):
            return replace(state, unlocked=state.unlocked | {key})
        case BoardVisibilitySet(hidden=hidden):
            return replace(state, hidden=hidden)
        case BonusEarned(payment_id=pid, bonus=money):
            return replace(state, bonuses={**state.bonuses, pid: money})
        case BonusReversed(payment_id=pid):
            return replace(state, bonuses_reversed=state.bonuses_reversed | {pid})
        case _:
            return state


loyalty: Decider[Loyalty, LoyaltyCommand] = Decider(
    initial=Loyalty(), evolve=evolve, decide=decide, snapshots=Snapshots(Loyalty, evolve)
)
