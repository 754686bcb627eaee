"""Refunds: an admin refunds a succeeded payment once; a refunded deposit leaves the wallet."""

from __future__ import annotations

import pytest

from events import Event, Money
from events.payments import (
    PaymentRefunded,
    PaymentRequested,
    PaymentStarted,
    PaymentSucceeded,
)
from events.wallet import WalletCredited
from functions.contexts import REGISTRY
from functions.domain import wallet
from functions.domain.payments import AdminRefund, NotRefundable, payments
from functions.reactors.debit_refund import debit_refund
from tests.builders import envelope
from tests.unit.scenario import given, when

pytestmark = pytest.mark.unit

STARS_50 = Money(amount=50, currency="XTR")
PENDING: list[Event] = [
    PaymentRequested(
        payment_id="p1", user_id=7, purpose="wallet_deposit", amount=STARS_50, rail="stars"
    ),
    PaymentStarted(provider_ref="p1"),
]
SUCCEEDED = PaymentSucceeded(
    payment_id="p1", user_id=7, purpose="wallet_deposit", paid=STARS_50,
    provider_ref="stx1", receipt="stx1", source="callback",
)  # fmt: skip
REFUNDED = PaymentRefunded(
    reason="refunded by admin 99", payment_id="p1", user_id=7, purpose="wallet_deposit",
    amount=STARS_50, refund_ref="stx1", admin_id=99,
)  # fmt: skip


def test_an_admin_refund_of_a_succeeded_payment_says_who_what_and_how_much() -> None:
    assert when(payments, [*PENDING, SUCCEEDED], AdminRefund(99, "stx1")) == [REFUNDED]
    assert given(payments, *PENDING, SUCCEEDED, REFUNDED).state == "refunded"


def test_the_payment_remembers_what_was_paid_and_the_charge_to_refund() -> None:
    state = given(payments, *PENDING, SUCCEEDED)
    assert (state.paid, state.receipt) == (STARS_50, "stx1")


def test_a_second_refund_is_a_no_op() -> None:
    assert when(payments, [*PENDING, SUCCEEDED, REFUNDED], AdminRefund(99, "stx1")) == []


def test_a_payment_that_never_succeeded_cannot_be_refunded() -> None:
    with pytest.raises(NotRefundable):
        when(payments, PENDING, AdminRefund(99, "stx1"))


def test_a_refunded_deposit_is_debited_under_the_refund_reference() -> None:
    (reaction,) = debit_refund.react(envelope("payment-p1", 4, REFUNDED, event_id="e9"))
    assert reaction.decider is wallet.wallets
    assert reaction.stream == "wallet-7"
    assert reaction.command == wallet.Debit(7, STARS_50, "refund", "refund:payment:p1")
    assert debit_refund.key(envelope("payment-p1", 4, REFUNDED, event_id="e9"), 0) == (
        "react:debit-refund:e9:0"
    )


@pytest.mark.parametrize(
    "event",
    [
        PaymentRefunded(reason="refunded"),  # stored before refunds said who and how much
        REFUNDED.model_copy(update={"purpose": "order"}),
        SUCCEEDED,
        WalletCredited(user_id=7, amount=STARS_50, reason="deposit", reference="payment:p1"),
    ],
)
def test_nothing_else_debits_a_wallet(event: Event) -> None:
    assert debit_refund.react(envelope("payment-p1", 4, event)) == []


def test_the_reactor_is_registered() -> None:
    assert debit_refund in REGISTRY.reactors
