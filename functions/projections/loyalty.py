"""`loyalty/{user}`: one user's tier progress, badges and leaderboard standing.

The leaderboard is a query over these per-user documents (never one hot document): `total`
is the lifetime commission and `month_earned` what the commissions and reversals of
`month` (UTC, "2026-12") added, both in minor units of the tier currency; `hidden` says
whether the user left the board. Firestore serves the two orderings from the composite
indexes declared in infra/terraform/firestore.tf.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from events import Envelope, Money, decode
from events.loyalty import AchievementUnlocked, BoardVisibilitySet, ProgressCounted, TierReached
from functions.domain.loyalty import COUNTERS, Programme
from functions.projections.base import Doc, Projection

if TYPE_CHECKING:
    from functions.runtime.ports import ReadModels

COLLECTION = "loyalty"


def month_of(envelope: Envelope) -> str:
    return envelope.occurred_at.strftime("%Y-%m")


def project(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    state: Doc = dict(doc) if doc else _empty()
    match decode(envelope):
        case ProgressCounted(fact=fact, value=value):
            if fact in COUNTERS:
                name = COUNTERS[fact]
                state["counters"] = {**state["counters"], name: state["counters"].get(name, 0) + 1}
            if value:
                month = month_of(envelope)
                earned = state["month_earned"] if state["month"] == month else 0
                state.update(total=state["total"] + value, month=month, month_earned=earned + value)
        case TierReached(rank=rank):
            state["rank"] = max(rank, state["rank"])
        case AchievementUnlocked(achievement=key):
            state["achievements"] = [*state["achievements"], key]
        case BoardVisibilitySet(hidden=hidden):
            state["hidden"] = hidden
    return {**state, "user_id": int(envelope.aggregate_id)}


def _empty() -> Doc:
    return {
        "total": 0,
        "month": "",
        "month_earned": 0,
        "rank": 0,
        "counters": {},
        "achievements": [],
        "hidden": False,
    }


loyalty_view = Projection("loyalty", COLLECTION, "loyalty", project)


class Standing(BaseModel):
    """A user's tier by lifetime commission, the way to the next one, and their badges."""

    model_config = ConfigDict(frozen=True)

    tier: str
    lifetime: Money  # in the tier currency
    next_tier: str | None = None  # None at the top tier
    next_threshold: Money | None = None
    progress_pct: int = 100  # of the way from this tier's threshold to the next one's
    achievements: tuple[str, ...] = ()


def standing_of(read_models: ReadModels, user_id: int, programme: Programme) -> Standing:
    doc = read_models.get(COLLECTION, str(user_id)) or {}
    lifetime = int(doc.get("total", 0))
    rank = programme.rank_of(lifetime)
    tier, money = programme.tiers[rank], _in(programme)
    badges = tuple(doc.get("achievements", ()))
    if rank + 1 == len(programme.tiers):
        return Standing(tier=tier.name, lifetime=money(lifetime), achievements=badges)
    above = programme.tiers[rank + 1]
    # Floored, so 100% is shown only once the next tier is reached.
    pct = (max(lifetime, 0) - tier.threshold) * 100 // (above.threshold - tier.threshold)
    return Standing(
        tier=tier.name,
        lifetime=money(lifetime),
        next_tier=above.name,
        next_threshold=money(above.threshold),
        progress_pct=pct,
        achievements=badges,
    )


def _in(programme: Programme) -> Callable[[int], Money]:
    return lambda amount: Money(amount=amount, currency=programme.currency)
