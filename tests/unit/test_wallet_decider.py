"""Wallet: credits add up per currency, debits never overdraw, a reference moves money once."""

from __future__ import annotations

import pytest

from events import Money
from events.wallet import WalletCredited, WalletDebited
from functions.domain.wallet import Credit, Debit, InsufficientFunds, NonPositiveAmount, wallets
from tests.unit.scenario import given, when

pytestmark = pytest.mark.unit


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


def credited(amount: Money, reference: str = "pay-1") -> WalletCredited:
    return WalletCredited(user_id=7, amount=amount, reason="deposit", reference=reference)


def test_a_credit_to_a_new_wallet_is_recorded() -> None:
    assert when(wallets, [], Credit(7, kes(1500), "deposit", "pay-1")) == [credited(kes(1500))]


def test_a_debit_within_the_balance_is_recorded() -> None:
    events = when(wallets, [credited(kes(1000))], Debit(7, kes(400), "order", "order-1"))
    assert events == [
        WalletDebited(user_id=7, amount=kes(400), reason="order", reference="order-1")
    ]


def test_a_debit_of_exactly_the_balance_empties_the_wallet() -> None:
    history = [
        credited(kes(1000)),
        *when(wallets, [credited(kes(1000))], Debit(7, kes(1000), "o", "o-1")),
    ]
    assert given(wallets, *history).balance("KES") == kes(0)


def test_a_debit_above_the_balance_is_refused_with_the_balance() -> None:
    with pytest.raises(InsufficientFunds) as refused:
        when(wallets, [credited(kes(1000))], Debit(7, kes(1001), "order", "order-1"))
    assert refused.value.balance == kes(1000)
    assert refused.value.wanted == kes(1001)


def test_money_in_another_currency_does_not_pay_for_this_one() -> None:
    history = [credited(Money(amount=10_000, currency="USD"))]
    with pytest.raises(InsufficientFunds):
        when(wallets, history, Debit(7, kes(1), "order", "order-1"))


def test_the_same_payment_reference_credits_only_once() -> None:
    assert (
        when(wallets, [credited(kes(500), "pay-9")], Credit(7, kes(500), "deposit", "pay-9")) == []
    )


@pytest.mark.parametrize("amount", [0, -5])
def test_zero_and_negative_amounts_are_refused(amount: int) -> None:
    with pytest.raises(NonPositiveAmount):
        when(wallets, [], Credit(7, kes(amount), "deposit", "pay-1"))
    with pytest.raises(NonPositiveAmount):
        when(wallets, [credited(kes(100))], Debit(7, kes(amount), "order", "o-1"))


def test_balances_are_kept_per_currency() -> None:
    state = given(
        wallets,
        credited(kes(700), "a"),
        credited(Money(amount=250, currency="XTR"), "b"),
        WalletDebited(user_id=7, amount=kes(200), reason="order", reference="c"),
    )
    assert state.balance("KES") == kes(500)
    assert state.balance("XTR") == Money(amount=250, currency="XTR")


def test_a_wallet_opens_once() -> None:
    from events.wallet import WalletOpened
    from functions.domain.wallet import Open

    assert when(wallets, [], Open(7)) == [WalletOpened(user_id=7)]
    assert when(wallets, [WalletOpened(user_id=7)], Open(7)) == []
    assert given(wallets, WalletOpened(user_id=7), credited(kes(5))).balance("KES") == kes(5)
