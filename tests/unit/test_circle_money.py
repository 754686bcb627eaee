"""Property: random circles, payments, misses, late payments and top-ups never create or
lose money, and a member who pays every round ends with at least what they put in whenever
nothing had to be written off, which a deposit of the whole obligation guarantees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.circles import ArrearsPaid, CircleEnded, ContributionReceived, DefaultCovered, PotPaid
from tests.unit.circle_world import World, kes

pytestmark = pytest.mark.unit
C = 1000


@st.composite
def circles(draw: st.DrawFn) -> tuple[int, int, list[list[bool]], list[list[int]]]:
    size = draw(st.integers(2, 5))
    deposit_rounds = draw(st.integers(0, size))
    # pays[r][m]: member m pays round r before its deadline (else it is a default)
    pays = [[draw(st.booleans()) for _ in range(size)] for _ in range(size)]
    # after round r's deadline: who tops their deposit back up (0 = nobody) and who pays late
    acts = [draw(st.lists(st.integers(0, size), max_size=2)) for _ in range(size)]
    return size, deposit_rounds, pays, acts


def run(size: int, deposit_rounds: int, pays: list[list[bool]], acts: list[list[int]]) -> World:
    world = World()
    members = list(range(1, size + 1))
    for user in members:
        world.top_up(user, 100 * C)
    circle = world.create(1, size, C, deposit_rounds=deposit_rounds)
    for user in members:
        world.join(circle, user)
    for number in range(size):
        for user in members:
            if pays[number][user - 1]:
                world.pay(circle, user)
        if world.circle(circle).round == number + 1 and world.circle(circle).status == "running":
            world.deadline(circle)
        for user in acts[number]:
            if user:
                _act(world, circle, user, number)
    return world


def _act(world: World, circle: str, user: int, number: int) -> None:
    state = world.circle(circle)
    member = state.member(user)
    owed = 0 if member is None else state.deposit - member.held + member.owed
    if owed > 0 and state.status == "running":
        world.restore(circle, user, owed, f"r{number}")
    else:
        world.pay(circle, user)  # a late or early payment: taken for the open round or returned


@settings(max_examples=80, deadline=None)
@given(circles())
def test_no_money_is_made_or_lost_and_a_member_who_always_paid_loses_nothing(
    drawn: tuple[int, int, list[list[bool]], list[list[int]]],
) -> None:
    size, deposit_rounds, pays, acts = drawn
    world = run(size, deposit_rounds, pays, acts)
    circle = "c1"
    state = world.circle(circle)
    assert state.status == "ended"
    members = range(1, size + 1)
    # Conservation: every wallet movement of the circle sums to zero, no hold is left.
    assert sum(world.net(u, circle) for u in members) == 0
    assert all(world.wallet(u).held("KES") == kes(0) for u in members)
    assert all(world.wallet(u).available("KES").amount >= 0 for u in members)
    # The audit: contributions + deposits seized = pots collected = paid + netted arrears.
    events = world.events(f"circle-{circle}")
    contributions = sum(e.amount.amount for e in events if isinstance(e, ContributionReceived))
    seized = sum(e.seized.amount for e in events if isinstance(e, DefaultCovered))
    pots = [e for e in events if isinstance(e, PotPaid)]
    assert contributions + seized == sum(p.collected.amount for p in pots)
    netted = sum(
        e.amount.amount for e in events if isinstance(e, ArrearsPaid) and e.source == "pot"
    )
    assert sum(p.paid.amount for p in pots) + netted == contributions + seized
    # No-loss: with nothing written off, one who paid every round on time ends even.
    written_off = next(e for e in events if isinstance(e, CircleEnded)).written_off.amount
    if deposit_rounds == size:
        assert written_off == 0
    honest = [u for u in members if all(pays[r][u - 1] for r in range(size))]
    if written_off == 0:
        assert all(world.net(u, circle) >= 0 for u in honest)
    assert sum(min(0, world.net(u, circle)) for u in honest) >= -written_off
