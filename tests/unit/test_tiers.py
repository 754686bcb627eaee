"""Owner tiers: a slot per open circle within the tier in force; a bought tier lifts the
limits at once and falls back by itself when its 30 days pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events import Money
from events.tiers import Limits, SlotFreed, SlotTaken, TierBought
from functions.domain.tiers import PERIOD, Buy, FreeSlot, TakeSlot, TierLimit, tiers
from tests.unit.scenario import given, when

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 1, tzinfo=UTC)
FREE = Limits(circles=1, members=5)
ESSENTIAL = Limits(circles=3, members=10)
PRICE = Money(amount=50_000, currency="KES")
BOUGHT = TierBought(owner_id=7, tier="essential", limits=ESSENTIAL, price=PRICE,
                    reference="circle-tier:7:essential:a", until=NOW + PERIOD)  # fmt: skip


def test_the_free_tier_allows_one_circle_of_five() -> None:
    assert when(tiers, [], TakeSlot(7, "c1", 5, FREE, NOW)) == [
        SlotTaken(owner_id=7, circle_id="c1")
    ]
    with pytest.raises(TierLimit):
        when(tiers, [], TakeSlot(7, "c1", 6, FREE, NOW))
    with pytest.raises(TierLimit):
        when(tiers, [SlotTaken(owner_id=7, circle_id="c1")], TakeSlot(7, "c2", 3, FREE, NOW))


def test_a_slot_is_taken_once_per_circle_and_freed_when_it_ends() -> None:
    taken = [SlotTaken(owner_id=7, circle_id="c1")]
    assert when(tiers, taken, TakeSlot(7, "c1", 5, FREE, NOW)) == []
    freed = when(tiers, taken, FreeSlot("c1"))
    assert freed == [SlotFreed(circle_id="c1")]
    assert when(tiers, [*taken, *freed], TakeSlot(7, "c2", 5, FREE, NOW)) != []


def test_a_bought_tier_lifts_the_limits_at_once_and_falls_back_after_its_period() -> None:
    taken = [SlotTaken(owner_id=7, circle_id="c1"), BOUGHT]
    assert when(tiers, taken, TakeSlot(7, "c2", 10, FREE, NOW)) != []
    with pytest.raises(TierLimit):
        when(tiers, taken, TakeSlot(7, "c2", 10, FREE, NOW + PERIOD))


def test_buying_again_extends_from_the_end_and_a_payment_buys_once() -> None:
    again = Buy(
        7, "essential", ESSENTIAL, PRICE, "circle-tier:7:essential:b", NOW + timedelta(days=1)
    )
    (extended,) = when(tiers, [BOUGHT], again)
    assert isinstance(extended, TierBought)
    assert extended.until == NOW + 2 * PERIOD
    assert when(tiers, [BOUGHT, extended], again) == []
    assert given(tiers, BOUGHT, extended).tier == "essential"
