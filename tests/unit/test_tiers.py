"""Owner tiers: a slot per open circle within the tier in force; a bought tier lifts the
limits at once and falls back by itself when its 30 days pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events import Envelope, Money, encode
from events.payments import PaymentSucceeded, Purpose
from events.tiers import Limits, SlotFreed, SlotTaken, TierBought
from functions.domain.tiers import PERIOD, Buy, FreeSlot, TakeSlot, TierLimit, tiers
from functions.domain.wallet import Credit
from functions.reactors.tiers import rail_buyer
from tests.unit.scenario import given, when

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 1, tzinfo=UTC)
FREE = Limits(circles=1, members=5)
ESSENTIAL = Limits(circles=3, members=10)
PRICE = Money(amount=50_000, currency="KES")
BOUGHT = TierBought(owner_id=7, tier="essential", limits=ESSENTIAL, price=PRICE,
                    reference="circle-tier:7:essential:a", until=NOW + PERIOD)  # fmt: skip


def test_the_free_tier_allows_one_open_circle_and_seats_five() -> None:
    assert when(tiers, [], TakeSlot(7, "c1", FREE, NOW)) == [SlotTaken(owner_id=7, circle_id="c1")]
    with pytest.raises(TierLimit):
        when(tiers, [SlotTaken(owner_id=7, circle_id="c1")], TakeSlot(7, "c2", FREE, NOW))
    assert given(tiers).seats(NOW, FREE) == 5


def test_a_slot_is_taken_once_per_circle_and_freed_when_it_ends() -> None:
    taken = [SlotTaken(owner_id=7, circle_id="c1")]
    assert when(tiers, taken, TakeSlot(7, "c1", FREE, NOW)) == []
    freed = when(tiers, taken, FreeSlot("c1"))
    assert freed == [SlotFreed(circle_id="c1")]
    assert when(tiers, [*taken, *freed], TakeSlot(7, "c2", FREE, NOW)) != []


def test_a_bought_tier_lifts_the_limits_at_once_and_falls_back_after_its_period() -> None:
    taken = [SlotTaken(owner_id=7, circle_id="c1"), BOUGHT]
    assert when(tiers, taken, TakeSlot(7, "c2", FREE, NOW)) != []
    assert given(tiers, *taken).seats(NOW, FREE) == 10
    with pytest.raises(TierLimit):
        when(tiers, taken, TakeSlot(7, "c2", FREE, NOW + PERIOD))
    # Fallen back, the circle it opened keeps its slot (it runs on); only new ones wait.
    assert given(tiers, *taken).slots == {"c1"}
    assert given(tiers, *taken).seats(NOW + PERIOD, FREE) == 5


def test_buying_again_extends_from_the_end_and_a_payment_buys_once() -> None:
    again = Buy(
        7, "essential", ESSENTIAL, PRICE, "circle-tier:7:essential:b", NOW + timedelta(days=1)
    )
    (extended,) = when(tiers, [BOUGHT], again)
    assert isinstance(extended, TierBought)
    assert extended.until == NOW + 2 * PERIOD
    assert when(tiers, [BOUGHT, extended], again) == []
    assert given(tiers, BOUGHT, extended).tier == "essential"


def paid_for(tier: str, purpose: Purpose = "tier") -> Envelope:
    succeeded = PaymentSucceeded(
        payment_id="p1", user_id=7, purpose=purpose, paid=PRICE,
        provider_ref="ws_CO_1", source="query", subject=tier,
    )  # fmt: skip
    type_name, data = encode(succeeded)
    return Envelope(event_id="e1", stream="payment-p1", version=3, type=type_name,
                    occurred_at=NOW, data=data)  # fmt: skip


def test_a_tier_paid_on_a_rail_is_bought_under_the_payments_reference_once() -> None:
    react = rail_buyer(lambda: {"essential": ESSENTIAL})
    (reaction,) = react(paid_for("essential"))
    assert reaction.stream == "tier-7"
    (bought,) = when(tiers, [], reaction.command)
    assert isinstance(bought, TierBought)
    assert (bought.reference, bought.limits, bought.until) == (
        "payment:p1",
        ESSENTIAL,
        NOW + PERIOD,
    )
    assert when(tiers, [bought], reaction.command) == []  # the success redelivered


def test_a_tier_taken_off_sale_before_its_payment_succeeded_credits_the_wallet() -> None:
    (reaction,) = rail_buyer(dict)(paid_for("gold"))
    assert reaction.stream == "wallet-7"
    assert reaction.command == Credit(7, PRICE, "circle_payment", "payment:p1")
    top_up = paid_for("essential", purpose="wallet_deposit")
    assert rail_buyer(lambda: {"essential": ESSENTIAL})(top_up) == []  # not a tier's money
