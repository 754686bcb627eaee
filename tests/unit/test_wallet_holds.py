"""Wallet holds: held money stays in the balance, but nothing can spend it until released."""

from __future__ import annotations

import pytest
from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from events import Event, Money
from events.wallet import WalletCredited, WalletDebited, WalletHeld, WalletReleased
from functions.domain.decider import DomainError
from functions.domain.wallet import (
    Capture,
    Credit,
    Debit,
    Hold,
    HoldTooSmall,
    InsufficientFunds,
    Release,
    WalletCommand,
    wallets,
)
from tests.unit.scenario import given, when

pytestmark = pytest.mark.unit


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


CREDITED = WalletCredited(user_id=7, amount=kes(1000), reason="deposit", reference="pay-1")
HELD = WalletHeld(user_id=7, amount=kes(600), reason="circle_deposit", reference="dep-1")


def test_a_hold_keeps_the_balance_and_lowers_what_is_available() -> None:
    state = given(wallets, CREDITED, HELD)
    assert state.balance("KES") == kes(1000)
    assert state.held("KES") == kes(600)
    assert state.available("KES") == kes(400)


def test_a_debit_cannot_take_held_money() -> None:
    with pytest.raises(InsufficientFunds) as refused:
        when(wallets, [CREDITED, HELD], Debit(7, kes(401), "order", "order-1"))
    assert refused.value.balance == kes(400)


def test_a_second_hold_cannot_take_held_money() -> None:
    with pytest.raises(InsufficientFunds):
        when(wallets, [CREDITED, HELD], Hold(7, kes(401), "circle_deposit", "dep-2"))


def test_a_hold_is_decided_once_per_reference() -> None:
    assert when(wallets, [CREDITED, HELD], Hold(7, kes(600), "circle_deposit", "dep-1")) == []


def test_a_release_makes_money_spendable_again() -> None:
    released = when(wallets, [CREDITED, HELD], Release(7, kes(600), "dep-1", "back-1"))
    assert released == [
        WalletReleased(user_id=7, amount=kes(600), hold_reference="dep-1", reference="back-1")
    ]
    state = given(wallets, CREDITED, HELD, *released)
    assert state.available("KES") == kes(1000)
    assert state.holds == {}


def test_a_capture_releases_and_debits_in_one_decision() -> None:
    taken = when(wallets, [CREDITED, HELD], Capture(7, kes(250), "dep-1", "seize", "seize-1"))
    assert [type(e) for e in taken] == [WalletReleased, WalletDebited]
    state = given(wallets, CREDITED, HELD, *taken)
    assert (state.balance("KES"), state.held("KES")) == (kes(750), kes(350))
    assert (
        when(wallets, [CREDITED, HELD, *taken], Capture(7, kes(250), "dep-1", "s", "seize-1")) == []
    )


def test_nothing_releases_more_than_a_hold_keeps() -> None:
    with pytest.raises(HoldTooSmall):
        when(wallets, [CREDITED, HELD], Release(7, kes(601), "dep-1", "back-1"))
    with pytest.raises(HoldTooSmall):
        when(wallets, [CREDITED], Capture(7, kes(1), "dep-9", "seize", "seize-1"))


A, R = st.integers(1, 500), st.integers(0, 5)
COMMANDS = st.one_of(
    st.builds(lambda a, r: Credit(7, kes(a), "deposit", f"c{r}"), A, R),
    st.builds(lambda a, r: Debit(7, kes(a), "order", f"d{r}"), A, R),
    st.builds(lambda a, r: Hold(7, kes(a), "circle_deposit", f"h{r}"), A, st.integers(0, 3)),
    st.builds(
        lambda a, h, r: Release(7, kes(a), f"h{h}", f"r{r}"),
        st.integers(1, 300), st.integers(0, 3), st.integers(0, 5),
    ),
    st.builds(
        lambda a, h, r: Capture(7, kes(a), f"h{h}", "seize", f"s{r}"),
        st.integers(1, 300), st.integers(0, 3), st.integers(0, 5),
    ),
)  # fmt: skip


@hypothesis_given(st.lists(COMMANDS, max_size=30))
def test_available_is_balance_less_held_and_never_negative(commands: list[WalletCommand]) -> None:
    history: list[Event] = []
    for command in commands:
        try:
            history += when(wallets, history, command)
        except DomainError:
            continue
        state = given(wallets, *history)
        assert state.available("KES") == state.balance("KES") - state.held("KES")
        assert state.available("KES").amount >= 0
        assert all(m.amount > 0 for m in state.holds.values())
