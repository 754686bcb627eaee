"""Paid channels' deciders: owners and plans, a subscription's life, the owner's ledger."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from events import Money
from events.channels import (
    ExpiryWarned,
    RevenueEarned,
    SubscriberRemoved,
    SubscriptionExpired,
)
from functions.domain import channels, revenue, subscriptions
from functions.domain.subscriptions import Expire, Pay, Purchase, Remove, Warn

pytestmark = pytest.mark.unit
CHAT, OWNER, BUYER, OTHER = -1001234567890, 7, 8, 9
T0 = datetime(2026, 12, 1, tzinfo=UTC)
MONTH = Purchase(CHAT, OWNER, "p1", 30)


def connect(by: int) -> channels.Channel:
    command = channels.Connect(CHAT, "Deep dives", "channel", by, True, True)
    return channels.channels.fold(channels.decide(channels.Channel(), command))


def folded(decider: object, state: object, *commands: object) -> object:
    events: list[object] = []
    for command in commands:
        new = decider.decide(state, command)  # type: ignore[attr-defined]
        events += new
        for event in new:
            state = decider.evolve(state, event)  # type: ignore[attr-defined]
    return state


def pay(reference: str, at: datetime, purchase: Purchase = MONTH) -> Pay:
    return Pay(BUYER, purchase, Money(amount=250, currency="XTR"), reference, "payment", at)


def test_the_owner_is_who_first_made_the_bot_an_admin() -> None:
    state = connect(OWNER)
    again = folded(
        channels.channels, state, channels.Connect(CHAT, "Renamed", "channel", OTHER, True, True)
    )
    assert isinstance(again, channels.Channel)
    assert (state.owner_id, again.owner_id, again.title) == (OWNER, OWNER, "Renamed")


def test_only_the_owner_sets_plans_and_plan_ids_are_never_reused() -> None:
    state = connect(OWNER)
    price = Money(amount=50_000, currency="KES")
    with pytest.raises(channels.NotChannelOwner):
        channels.decide(state, channels.AddPlan(OTHER, 30, price))
    after = folded(
        channels.channels, state, channels.AddPlan(OWNER, 30, price),
        channels.RemovePlan(OWNER, "p1"), channels.AddPlan(OWNER, 7, price),
    )  # fmt: skip
    assert isinstance(after, channels.Channel)
    assert list(after.plans) == ["p2"]


@pytest.mark.parametrize(
    ("days", "price"),
    [(0, Money(amount=1, currency="KES")), (30, Money(amount=10_001, currency="XTR")),
     (3661, Money(amount=1, currency="KES"))],
)  # fmt: skip
def test_a_plan_out_of_bounds_is_refused(days: int, price: Money) -> None:
    with pytest.raises(channels.BadPlan):
        channels.decide(connect(OWNER), channels.AddPlan(OWNER, days, price))


def test_a_renewal_before_the_end_extends_from_the_end_not_from_now() -> None:
    state = folded(subscriptions.subscriptions, subscriptions.Subscription(),
                   pay("a", T0), pay("b", T0 + timedelta(days=10)))  # fmt: skip
    assert isinstance(state, subscriptions.Subscription)
    assert state.ends_at == T0 + timedelta(days=60)


def test_buying_again_after_the_end_counts_from_the_payment() -> None:
    late = T0 + timedelta(days=45)
    state = folded(
        subscriptions.subscriptions,
        subscriptions.Subscription(),
        pay("a", T0),
        Expire(T0 + timedelta(days=30)),
        Remove("removed", late),
        pay("b", late),
    )
    assert isinstance(state, subscriptions.Subscription)
    assert (state.status, state.ends_at) == ("active", late + timedelta(days=30))


def test_duplicated_and_reordered_payments_give_the_same_end() -> None:
    payments = [pay("a", T0), pay("b", T0 + timedelta(days=40)), pay("c", T0 + timedelta(days=5))]
    ends = set()
    for order in itertools.permutations(payments):
        state = folded(subscriptions.subscriptions, subscriptions.Subscription(), *order, *order)
        assert isinstance(state, subscriptions.Subscription)
        ends.add((state.ends_at, len(state.payments)))
    assert ends == {(T0 + timedelta(days=90), 3)}


def test_warned_at_three_days_then_one_then_expired_then_removed_once() -> None:
    end = T0 + timedelta(days=30)
    state = folded(subscriptions.subscriptions, subscriptions.Subscription(), pay("a", T0))
    seen = []
    for command in [Warn(3, end - timedelta(days=4)), Warn(3, end - timedelta(days=3)),
                    Warn(3, end - timedelta(days=2)), Warn(1, end - timedelta(hours=20)),
                    Warn(3, end - timedelta(hours=2)), Expire(end - timedelta(seconds=1)),
                    Expire(end), Expire(end), Remove("removed", end),
                    Remove("removed", end)]:  # fmt: skip
        new = subscriptions.decide(state, command)  # type: ignore[arg-type]
        seen += [type(e).__name__ for e in new]
        state = _apply(state, new)
    assert seen == ["ExpiryWarned", "ExpiryWarned", "SubscriptionExpired", "SubscriberRemoved"]


def _apply(state: object, events: object) -> object:
    for event in events:  # type: ignore[attr-defined]
        state = subscriptions.evolve(state, event)  # type: ignore[arg-type]
    return state


def test_a_renewal_after_expiry_but_before_removal_makes_removal_a_no_op() -> None:
    end = T0 + timedelta(days=30)
    state = folded(subscriptions.subscriptions, subscriptions.Subscription(), pay("a", T0),
                   Expire(end), pay("b", end + timedelta(minutes=1)))  # fmt: skip
    assert isinstance(state, subscriptions.Subscription)
    assert subscriptions.decide(state, Remove("removed", end + timedelta(minutes=2))) == []
    assert state.status == "active"


def test_the_next_due_time_walks_the_warnings_then_the_end() -> None:
    end = T0 + timedelta(days=30)
    state = folded(subscriptions.subscriptions, subscriptions.Subscription(), pay("a", T0))
    assert isinstance(state, subscriptions.Subscription)
    assert subscriptions.next_due(state) == end - timedelta(days=3)
    warned = subscriptions.evolve(state, ExpiryWarned(chat_id=CHAT, user_id=BUYER, days_left=3,
                                                      ends_at=end))  # fmt: skip
    assert subscriptions.next_due(warned) == end - timedelta(days=1)
    gone = subscriptions.evolve(
        subscriptions.evolve(warned, SubscriptionExpired(chat_id=CHAT, user_id=BUYER, ends_at=end)),
        SubscriberRemoved(chat_id=CHAT, user_id=BUYER, outcome="removed"),
    )
    assert subscriptions.next_due(gone) is None


def test_the_platform_fee_is_rounded_down_and_each_payment_counts_once() -> None:
    earn = revenue.Earn(OWNER, CHAT, BUYER, "payment:x", "subscription",
                        Money(amount=999, currency="KES"), fee_bp=250)  # fmt: skip
    [earned] = revenue.decide(revenue.Revenue(), earn)
    assert isinstance(earned, RevenueEarned)
    assert (earned.fee.amount, earned.net.amount) == (24, 975)  # 24.975 -> 24
    assert revenue.decide(revenue.evolve(revenue.Revenue(), earned), earn) == []


def test_a_purchase_spelled_into_a_reference_reads_back_and_garbage_reads_as_none() -> None:
    reference = subscriptions.wallet_reference("abc123", MONTH)
    assert subscriptions.purchase_in(reference) == MONTH
    for garbage in [
        "subscription:x:n12~7~p1",
        "subscription:x:n-1~7~p1~30",
        "order:o1",
        "subscription:x:n012~7~p1~30",
        "subscription:x:n1~7~p1~99999",
        "",
    ]:
        assert subscriptions.purchase_in(garbage) is None
    assert channels.chat_of(channels.key_of(CHAT)) == CHAT
    assert channels.chat_of("n\uff11\uff12") is None  # fullwidth digits are not digits here
