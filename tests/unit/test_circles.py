"""Savings circles: joining holds a deposit, rounds pay the pot once, defaults are covered
from the defaulter's deposit, and the end gives back what is left, net of arrears."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from events.circles import (
    CircleCreated,
    CircleEnded,
    CircleStarted,
    ContributionReturned,
    DefaultCovered,
    HoldRefused,
    MemberJoined,
    PotPaid,
    RoundOpened,
)
from functions.domain import circles
from functions.domain.circle_state import after
from functions.domain.wallet import InsufficientFunds
from tests.unit.circle_world import START, World, kes
from tests.unit.scenario import when

pytestmark = pytest.mark.unit
CREATED = CircleCreated(
    circle_id="c1", owner_id=1, name="Chama", contribution=kes(1000), period_unit="week",
    period_count=1, size=3, rotation="join", deposit_rounds=1, at=START,
)  # fmt: skip


def joined(member: int) -> MemberJoined:
    return MemberJoined(member_id=member, deposit=kes(1000), hold_reference=f"h{member}", at=START)


def world_with(size: int, members: int, money: int = 10_000, **terms: object) -> tuple[World, str]:
    world = World()
    for user in range(1, members + 1):
        world.top_up(user, money)
    circle = world.create(1, size, **terms)
    for user in range(1, members + 1):
        world.join(circle, user)
    return world, circle


def test_a_circle_is_created_with_its_terms_and_a_one_contribution_deposit() -> None:
    create = circles.Create("c1", 1, "Chama", kes(1000), "week", 1, 3, "join", START)
    assert when(circles.circles, [], create) == [CREATED]
    assert when(circles.circles, [CREATED], create) == []


def test_a_deposit_larger_than_the_whole_obligation_is_refused() -> None:
    create = circles.Create("c1", 1, "Chama", kes(1000), "week", 1, 3, "join", START, 4)
    with pytest.raises(circles.CircleRefused):
        when(circles.circles, [], create)


def test_joining_holds_the_deposit_on_the_wallet_without_spending_it() -> None:
    world, circle = world_with(3, 1)
    assert world.circle(circle).member(1) is not None
    held = world.wallet(1)
    assert (held.balance("KES"), held.held("KES"), held.available("KES")) == (
        kes(10_000), kes(1000), kes(9000),
    )  # fmt: skip


def test_joining_without_the_deposit_available_is_refused_and_writes_nothing() -> None:
    world, circle = world_with(3, 1)
    with pytest.raises(InsufficientFunds):
        world.join(circle, 9)
    assert world.circle(circle).member(9) is None


def test_a_join_the_circle_cannot_take_releases_the_hold() -> None:
    world, circle = world_with(2, 2)  # full and started
    world.top_up(3, 5000)
    world.join(circle, 3)
    assert any(isinstance(e, HoldRefused) for e in world.events(f"circle-{circle}"))
    assert world.wallet(3).held("KES") == kes(0)


def test_joining_twice_holds_once_more_and_gives_it_back() -> None:
    world, circle = world_with(3, 2)
    world.join(circle, 2, tag="j2")
    assert world.wallet(2).held("KES") == kes(1000)
    assert len(world.circle(circle).members) == 2


def test_leaving_before_the_start_returns_the_deposit() -> None:
    world, circle = world_with(3, 2)
    world.execute(circles.circles, f"circle-{circle}", circles.Leave(2))
    assert world.circle(circle).member(2) is None
    assert world.wallet(2).available("KES") == kes(10_000)


def test_nobody_leaves_after_the_start() -> None:
    world, circle = world_with(2, 2)
    with pytest.raises(circles.AlreadyStarted):
        world.execute(circles.circles, f"circle-{circle}", circles.Leave(2))


def test_cancelling_before_the_start_returns_every_deposit() -> None:
    world, circle = world_with(3, 2)
    with pytest.raises(circles.NotOwner):
        world.execute(circles.circles, f"circle-{circle}", circles.Cancel(2))
    world.execute(circles.circles, f"circle-{circle}", circles.Cancel(1))
    assert world.circle(circle).status == "cancelled"
    assert [world.wallet(u).held("KES") for u in (1, 2)] == [kes(0), kes(0)]


def test_the_last_join_starts_the_circle_and_opens_round_one_with_its_deadline() -> None:
    world, circle = world_with(3, 3)
    state = world.circle(circle)
    assert (state.status, state.order, state.round) == ("running", (1, 2, 3), 1)
    assert state.deadline == START + timedelta(weeks=1)


def test_the_owner_starts_a_circle_that_is_not_full_and_its_size_is_who_joined() -> None:
    world, circle = world_with(5, 3)
    with pytest.raises(circles.NotOwner):
        world.execute(circles.circles, f"circle-{circle}", circles.Start(2, "s", START))
    world.execute(circles.circles, f"circle-{circle}", circles.Start(1, "s", START))
    assert (world.circle(circle).size, world.circle(circle).status) == (3, "running")


def test_a_random_rotation_is_drawn_once_from_the_seed_the_start_records() -> None:
    history = [
        CircleCreated(**{**CREATED.model_dump(), "rotation": "random"}),
        joined(1), joined(2),
    ]  # fmt: skip
    started = when(circles.circles, history, circles.Start(1, "seed-42", START))
    assert isinstance(started[0], CircleStarted)
    assert started[0].seed == "seed-42"
    assert started[0].order == circles.rotation_of((1, 2), "seed-42")
    assert isinstance(started[1], RoundOpened)
    assert started[1].recipient_id == started[0].order[0]


def test_an_owner_rotation_must_name_every_member_once() -> None:
    history = [CircleCreated(**{**CREATED.model_dump(), "rotation": "owner"}), joined(1), joined(2)]
    with pytest.raises(circles.CircleRefused):
        when(circles.circles, history, circles.Start(1, "s", START, (2, 2)))
    started = when(circles.circles, history, circles.Start(1, "s", START, (2, 1)))
    assert isinstance(started[0], CircleStarted)
    assert started[0].order == (2, 1)


def test_when_everyone_paid_the_round_closes_early_and_the_pot_is_credited_once() -> None:
    world, circle = world_with(3, 3)
    for user in (1, 2, 3):
        world.pay(circle, user)
    world.pay(circle, 3)  # round 2 now: a payment for it, not a second one for round 1
    paid = [e for e in world.events(f"circle-{circle}") if isinstance(e, PotPaid)]
    assert [(p.round, p.recipient_id, p.paid) for p in paid] == [(1, 1, kes(3000))]
    assert world.circle(circle).round == 2
    assert world.net(1, circle) == 3000 - 1000


def test_a_default_is_covered_from_the_deposit_so_the_recipient_gets_the_full_pot() -> None:
    world, circle = world_with(3, 3)
    world.pay(circle, 1)
    world.pay(circle, 2)
    world.deadline(circle)
    state = world.circle(circle)
    member = state.member(3)
    assert member is not None
    assert not state.in_good_standing(member)
    assert world.net(1, circle) == 3000 - 1000
    assert (world.wallet(3).balance("KES"), world.wallet(3).held("KES")) == (kes(9000), kes(0))
    world.restore(circle, 3, 1000, "r1")
    member = world.circle(circle).member(3)
    assert member is not None
    assert world.circle(circle).in_good_standing(member)


def test_a_restore_beyond_what_is_owed_is_given_back() -> None:
    world, circle = world_with(3, 3)
    world.restore(circle, 3, 1000, "r1")
    assert world.wallet(3).held("KES") == kes(1000)
    assert any(isinstance(e, HoldRefused) for e in world.events(f"circle-{circle}"))


def test_five_members_one_defaulting_twice_every_payout_seizure_and_return_exact() -> None:
    world, circle = world_with(5, 5)
    for round_, missing in ((1, {3}), (2, {3}), (3, set()), (4, set()), (5, set())):
        for user in range(1, 6):
            if user not in missing:
                world.pay(circle, user)
        if missing:
            world.deadline(circle)
        assert world.circle(circle).round == min(round_ + 1, 5)
    events = world.events(f"circle-{circle}")
    seized = [(e.round, e.seized, e.uncovered) for e in events if isinstance(e, DefaultCovered)]
    assert seized == [(1, kes(1000), kes(0)), (2, kes(0), kes(1000))]
    pots = [(e.round, e.recipient_id, e.paid, e.withheld, e.short) for e in events
            if isinstance(e, PotPaid)]  # fmt: skip
    assert pots == [
        (1, 1, kes(5000), kes(0), kes(0)),
        (2, 2, kes(4000), kes(0), kes(1000)),  # short: 3's deposit was gone
        (3, 3, kes(4000), kes(1000), kes(0)),  # 3's arrears netted, paid to 2
        (4, 4, kes(5000), kes(0), kes(0)),
        (5, 5, kes(5000), kes(0), kes(0)),
    ]
    state = world.circle(circle)
    assert state.status == "ended"
    assert all(state.in_good_standing(m) for m in state.members)  # 3's arrears were netted
    assert [world.net(u, circle) for u in range(1, 6)] == [0, 0, 0, 0, 0]
    assert [world.wallet(u).held("KES") for u in range(1, 6)] == [kes(0)] * 5
    assert [world.wallet(u).balance("KES") for u in range(1, 6)] == [kes(10_000)] * 5


def test_a_default_no_deposit_covers_after_the_pot_is_written_off_and_recorded() -> None:
    world, circle = world_with(3, 3)
    for user in (1, 2, 3):
        world.pay(circle, user)  # round 1 to member 1, who then stops paying
    for _ in (2, 3):
        world.pay(circle, 2)
        world.pay(circle, 3)
        world.deadline(circle)
    ended = world.events(f"circle-{circle}")[-1]
    assert isinstance(ended, CircleEnded)
    assert ended.written_off == kes(1000)
    assert sum(world.net(u, circle) for u in (1, 2, 3)) == 0


def test_the_job_run_twice_or_before_the_deadline_changes_nothing() -> None:
    world, circle = world_with(3, 3)
    state = world.circle(circle)
    early = circles.CloseRound(1, START + timedelta(days=1))
    assert when(circles.circles, world.events(f"circle-{circle}"), early) == []
    world.deadline(circle)
    again = circles.CloseRound(1, START + timedelta(weeks=2))
    assert when(circles.circles, world.events(f"circle-{circle}"), again) == []
    assert state.round == 1
    assert world.circle(circle).round == 2


def test_a_contribution_after_its_round_closed_is_credited_back() -> None:
    world, circle = world_with(2, 2)
    world.pay(circle, 1)
    world.deadline(circle)  # 2 defaulted, covered
    late = circles.Contribute(2, 1, kes(1000), "circle-contribution:c1:1:2", START)
    assert isinstance(when(circles.circles, world.events(f"circle-{circle}"), late)[0],
                      ContributionReturned)  # fmt: skip


@pytest.mark.parametrize("seed", range(8))
def test_duplicated_and_reordered_deliveries_end_in_the_in_order_balances(seed: int) -> None:
    def run(shuffled: bool) -> list[object]:
        world = World(held_back=[] if shuffled else None)
        rng = random.Random(seed)
        for user in (1, 2, 3):
            world.top_up(user, 10_000)
        circle = world.create(1, 3)
        steps = [lambda u=u: world.join(circle, u) for u in (1, 2, 3)]
        for step in steps:
            step()
            if shuffled:
                world.drain(rng)
        for _ in range(3):
            for user in (1, 2):
                world.pay(circle, user)
                if shuffled:
                    world.drain(rng)
            world.deadline(circle)
            if shuffled:
                world.drain(rng)
        return [(world.wallet(u).balances, world.wallet(u).holds) for u in (1, 2, 3)]

    assert run(shuffled=True) == run(shuffled=False)


def test_a_contribution_racing_the_deadline_leaves_the_same_money_either_way() -> None:
    def run(pay_first: bool) -> list[int]:
        world, circle = world_with(2, 2)
        world.pay(circle, 1)
        if pay_first:
            world.pay(circle, 2)
        else:
            world.held_back = []
            world.pay(circle, 2)  # debited; its circle delivery is late
            late = world.held_back
            world.held_back = None
            world.deadline(circle)
            for envelope in late:
                world.deliver(envelope)
        while world.circle(circle).status == "running":
            world.pay(circle, 1)
            world.pay(circle, 2)
        return [world.wallet(u).balance("KES").amount for u in (1, 2)]

    assert run(pay_first=True) == run(pay_first=False) == [10_000, 10_000]


def test_a_monthly_deadline_keeps_the_day_clamped_to_the_months_end() -> None:
    start = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert after(start, "month", 1) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert after(start, "month", 12) == datetime(2027, 1, 31, 12, 0, tzinfo=UTC)
    assert after(start, "day", 3) == start + timedelta(days=3)


def test_a_circle_is_typed_as_name_amount_period_and_members() -> None:
    from functions.telegram.circles import BadCircle, parse_new

    words = ["Family", "savings", "1,500", "10d", "4", "rotation=random", "deposit=2"]
    made = parse_new(words, "KES", "c1", 7, START)
    assert (made.name, made.contribution, made.period_unit, made.period_count) == (
        "Family savings", kes(150_000), "day", 10,
    )  # fmt: skip
    assert (made.size, made.rotation, made.deposit_rounds) == (4, "random", 2)
    assert parse_new(["F", "500", "monthly", "5"], "KES", "c1", 7, START).deposit_rounds == 1
    for wrong in (
        "F 500 weekly 1",
        "F 500 yearly 5",
        "F abc weekly 5",
        "500 weekly 5",
        "F 500 weekly 5 rotation=best",
        "F 500 weekly 3 deposit=4",
        "F 500 5min 3",
    ):
        with pytest.raises(BadCircle):
            parse_new(wrong.split(), "KES", "c1", 7, START)
