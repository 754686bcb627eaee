"""Seats in a circle: removal before the start, the owner's reminder, the tier's seats, and
the one way out after the start, an owner-approved replacement who takes over the seat."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from events.circles import (
    ArrearsPaid,
    DepositReturned,
    HoldRefused,
    MemberLeft,
    MemberReplaced,
    OwnerReminded,
    SeatWanted,
)
from functions.domain import circles
from functions.domain.circle_seats import SeatRefused
from tests.unit.circle_world import START, World, kes
from tests.unit.test_circles import world_with

pytestmark = pytest.mark.unit


def test_the_owner_removes_a_member_before_the_start_and_their_deposit_comes_back() -> None:
    world, circle = world_with(4, 3)
    with pytest.raises(SeatRefused):
        world.decide(circle, circles.Remove(2, 3))  # only the owner
    (left,) = world.decide(circle, circles.Remove(1, 3))
    hold = "circle-deposit:c1:3:j1"
    assert left == MemberLeft(member_id=3, deposit=kes(1000), hold_reference=hold, removed=True)
    assert world.circle(circle).member(3) is None
    assert world.wallet(3).held("KES") == kes(0)
    assert world.decide(circle, circles.Remove(1, 3)) == []  # the tap again: nothing more
    with pytest.raises(SeatRefused):
        world.decide(circle, circles.Remove(1, 1))  # the owner cancels instead


def test_nobody_is_removed_after_the_start() -> None:
    world, circle = world_with(3, 3)
    with pytest.raises(SeatRefused):
        world.decide(circle, circles.Remove(1, 3))


def test_a_member_of_a_circle_without_a_deposit_leaves_too() -> None:
    world, circle = world_with(4, 2, deposit_rounds=0)
    world.decide(circle, circles.Leave(2))
    assert world.circle(circle).member(2) is None


def test_the_owner_reminds_the_unpaid_at_most_every_six_hours() -> None:
    world, circle = world_with(3, 3)
    world.pay(circle, 2)
    with pytest.raises(circles.NotOwner):
        world.decide(circle, circles.RemindNow(2, START))
    assert world.decide(circle, circles.RemindNow(1, START)) == [OwnerReminded(round=1, at=START)]
    with pytest.raises(circles.RemindedRecently):
        world.decide(circle, circles.RemindNow(1, START + timedelta(hours=5)))
    assert world.decide(circle, circles.RemindNow(1, START + timedelta(hours=6))) != []
    world.pay(circle, 1)
    world.pay(circle, 3)  # round 1 closes; round 2 is open, nobody paid it
    world.pay(circle, 1)
    world.pay(circle, 2)
    world.pay(circle, 3)  # round 2 closed too; round 3 open
    for user in (1, 2, 3):
        world.pay(circle, user)
    with pytest.raises(circles.CircleRefused):  # ended: no round to pay
        world.decide(circle, circles.RemindNow(1, START + timedelta(days=1)))


def test_a_join_over_the_tiers_seats_asks_the_owner_once_per_person_and_tier() -> None:
    world, circle = world_with(8, 5)
    asked = world.decide(circle, circles.WantSeat(9, 5))
    assert asked == [SeatWanted(member_id=9, seats=5)]
    assert world.decide(circle, circles.WantSeat(9, 5)) == []
    assert world.decide(circle, circles.WantSeat(6, 8)) == []  # seats left: nothing to ask


def replaced_world() -> tuple[World, str]:
    """Four members; 3 missed round 2 (deposit seized), then asks to leave in round 3, and
    9 takes over their seat with the owner's approval."""
    world, circle = world_with(4, 4)
    world.top_up(9, 10_000)
    for user in (1, 2, 3, 4):
        world.pay(circle, user)  # round 1: the pot to 1
    for user in (1, 2, 4):
        world.pay(circle, user)
    world.deadline(circle)  # round 2: 3 missed, covered from the deposit; pot to 2
    world.decide(circle, circles.RequestLeave(3))
    world.offer(circle, 9)
    world.decide(circle, circles.Approve(1, 3, 9))
    return world, circle


def test_a_replacement_takes_over_the_seat_and_both_get_back_what_they_put_in() -> None:
    world, circle = replaced_world()
    state = world.circle(circle)
    assert state.order == (1, 2, 9, 4)
    assert state.member(3) is None
    assert world.wallet(3).held("KES") == kes(0)
    assert world.wallet(9).held("KES") == kes(1000)
    replaced = [e for e in world.events(f"circle-{circle}") if isinstance(e, MemberReplaced)]
    assert replaced == [MemberReplaced(leaver_id=3, newcomer_id=9, refund=kes(2000),
                                       hold_reference="circle-deposit:c1:9:o1")]  # fmt: skip
    for _ in (3, 4):
        for user in (1, 2, 9, 4):
            world.pay(circle, user)
    events = world.events(f"circle-{circle}")
    netted = [e for e in events if isinstance(e, ArrearsPaid)]
    assert [(e.debtor_id, e.creditor_id, e.amount, e.source) for e in netted] == [
        (9, 3, kes(2000), "pot")  # 3's round-1 payment and seized deposit, from 9's pot
    ]
    assert world.circle(circle).status == "ended"
    # 3 paid 1000, lost the 1000 deposit, got 2000 back; 9 paid 2000, took 4000 - 2000.
    assert [world.net(u, circle) for u in (1, 2, 3, 4, 9)] == [0, 0, 0, 0, 0]
    assert [world.wallet(u).held("KES") for u in (1, 2, 3, 4, 9)] == [kes(0)] * 5
    assert all(world.circle(circle).in_good_standing(m) for m in world.circle(circle).members)


def test_approving_twice_or_redelivered_offers_replace_once() -> None:
    world, circle = replaced_world()
    before = world.events(f"circle-{circle}")
    assert world.decide(circle, circles.Approve(1, 3, 9)) == []
    world.offer(circle, 9)  # the same hold again: the wallet refuses its reference
    assert world.events(f"circle-{circle}") == before


def test_what_the_leaver_owes_is_paid_from_their_deposit_and_the_rest_released() -> None:
    world, circle = world_with(4, 4, deposit_rounds=2)
    world.top_up(9, 10_000)
    for user in (1, 2, 4):
        world.pay(circle, user)
    world.deadline(circle)  # 3 missed round 1: 1000 of their 2000 deposit seized
    world.decide(circle, circles.RequestLeave(3))
    world.offer(circle, 9)
    events = world.decide(circle, circles.Approve(1, 3, 9))
    returned = [e for e in events if isinstance(e, DepositReturned)]
    assert [(e.member_id, e.amount) for e in returned] == [(3, kes(1000))]
    assert isinstance(events[-1], MemberReplaced)
    assert events[-1].refund == kes(1000)
    assert world.wallet(3).held("KES") == kes(0)


def test_the_replacement_rules_refuse_what_would_lose_money() -> None:
    world, circle = world_with(3, 3)
    world.top_up(9, 10_000)
    with pytest.raises(SeatRefused):
        world.decide(circle, circles.RequestLeave(9))  # not a member
    world.offer(circle, 9)  # nobody is leaving: the hold is given back
    assert world.wallet(9).held("KES") == kes(0)
    for user in (1, 2, 3):
        world.pay(circle, user)  # round 1: 1 took the pot
    with pytest.raises(SeatRefused):
        world.decide(circle, circles.RequestLeave(1))
    world.decide(circle, circles.RequestLeave(2))
    world.offer(circle, 9, tag="o2")
    with pytest.raises(SeatRefused):
        world.decide(circle, circles.Approve(2, 2, 9))  # only the owner approves
    with pytest.raises(SeatRefused):
        world.decide(circle, circles.Approve(1, 3, 9))  # 3 did not ask to leave
    (declined,) = world.decide(circle, circles.Decline(1, 9))
    assert isinstance(declined, HoldRefused)
    assert world.wallet(9).held("KES") == kes(0)


def test_an_offer_nobody_approved_is_released_when_the_circle_ends() -> None:
    world, circle = world_with(2, 2)
    world.top_up(9, 10_000)
    world.pay(circle, 1)
    world.decide(circle, circles.RequestLeave(2))
    world.offer(circle, 9)
    assert world.wallet(9).held("KES") == kes(1000)
    for _ in range(2):
        world.pay(circle, 1)
        world.pay(circle, 2)
    assert world.circle(circle).status == "ended"
    assert world.wallet(9).held("KES") == kes(0)


@pytest.mark.parametrize("seed", range(6))
def test_a_replacement_under_duplicated_and_reordered_deliveries_ends_the_same(seed: int) -> None:
    def run(shuffled: bool) -> list[object]:
        world = World(held_back=[] if shuffled else None)
        rng = random.Random(seed)

        def settle() -> None:
            if shuffled:
                world.drain(rng)

        for user in (1, 2, 3, 9):
            world.top_up(user, 10_000)
        circle = world.create(1, 3)
        for user in (1, 2, 3):
            world.join(circle, user)
            settle()
        world.pay(circle, 1)
        world.pay(circle, 2)
        settle()
        world.decide(circle, circles.RequestLeave(3))
        world.offer(circle, 9)
        settle()
        world.decide(circle, circles.Approve(1, 3, 9))
        settle()
        world.pay(circle, 9)  # round 1 now closes: 9 took over 3's part of it
        settle()
        for _ in (2, 3):
            for user in (1, 9):  # 2 misses: covered, then owed
                world.pay(circle, user)
                settle()
            world.deadline(circle)
            settle()
        assert world.circle(circle).status == "ended"
        return [(world.wallet(u).balances, world.wallet(u).holds) for u in (1, 2, 3, 9)]

    assert run(shuffled=True) == run(shuffled=False)
