"""Payment: money moves only on a verified report of the requested amount, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events import Event, Money
from events.payments import (
    PaymentExpired,
    PaymentFailed,
    PaymentHeldForReview,
    PaymentRefunded,
    PaymentReportIgnored,
    PaymentRequested,
    PaymentStarted,
    PaymentSucceeded,
)
from functions.domain.payments import (
    AdminDecide,
    Apply,
    Expire,
    InvalidPayment,
    MarkStarted,
    Request,
    UnknownPayment,
    payments,
)
from functions.providers.base import Report, Status
from tests.unit.scenario import given, when

pytestmark = pytest.mark.unit

KES_1500 = Money(amount=150_000, currency="KES")
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
REQUESTED = PaymentRequested(
    payment_id="p1", user_id=7, purpose="wallet_deposit", amount=KES_1500, rail="mpesa"
)
STARTED = PaymentStarted(provider_ref="ws_CO_1", expires_at=T0 + timedelta(minutes=10))
PENDING: list[Event] = [REQUESTED, STARTED]


def report(
    status: Status, *, verified: bool = True, paid: Money | None = KES_1500, **kw: object
) -> Apply:
    return Apply(
        Report(
            payment_id="p1", status=status, provider_ref="ws_CO_1", paid=paid, receipt="R1",
            raw_status=status, verified=verified, **kw,  # type: ignore[arg-type]
        ),
        "query",
    )  # fmt: skip


def succeeded(source: str = "query", receipt: str | None = "R1") -> PaymentSucceeded:
    return PaymentSucceeded(
        payment_id="p1", user_id=7, purpose="wallet_deposit", paid=KES_1500,
        provider_ref="ws_CO_1", receipt=receipt, source=source,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_payment_is_requested_once_with_a_positive_amount() -> None:
    command = Request("p1", 7, "wallet_deposit", KES_1500, "mpesa")
    assert when(payments, [], command) == [REQUESTED]
    assert when(payments, [REQUESTED], command) == []
    with pytest.raises(InvalidPayment):
        when(payments, [], Request("p1", 7, "wallet_deposit", Money(amount=0, currency="KES"), "x"))


def test_commands_for_a_payment_never_requested_are_refused() -> None:
    with pytest.raises(UnknownPayment):
        when(payments, [], report("succeeded"))


def test_starting_moves_it_to_pending_once() -> None:
    assert when(payments, [REQUESTED], MarkStarted("ws_CO_1", T0 + timedelta(minutes=10))) == [
        STARTED
    ]
    assert when(payments, PENDING, MarkStarted("ws_CO_1")) == []


def test_a_verified_report_of_the_requested_amount_succeeds() -> None:
    assert when(payments, PENDING, report("succeeded")) == [succeeded()]


def test_an_unverified_success_moves_nothing_and_is_recorded() -> None:
    events = when(payments, PENDING, report("succeeded", verified=False))
    assert events == [PaymentReportIgnored(status="succeeded", reason="unverified report")]
    assert given(payments, *PENDING, *events).state == "pending"


def test_a_second_success_is_a_no_op() -> None:
    assert when(payments, [*PENDING, succeeded()], report("succeeded")) == []


def test_failed_after_succeeded_is_ignored_not_applied() -> None:
    events = when(payments, [*PENDING, succeeded()], report("failed"))
    assert events == [PaymentReportIgnored(status="failed", reason="failed after succeeded")]


def test_out_of_order_pending_after_success_changes_nothing() -> None:
    assert when(payments, [*PENDING, succeeded()], report("pending")) == []


def test_anything_after_a_refund_is_ignored() -> None:
    refunded = [*PENDING, succeeded(), PaymentRefunded(reason="refunded")]
    for status in ("succeeded", "failed", "refunded"):
        (event,) = when(payments, refunded, report(status))  # type: ignore[arg-type]
        assert isinstance(event, PaymentReportIgnored)


def test_a_refund_report_only_refunds_a_succeeded_payment() -> None:
    # Self-contained, so the debit_refund reactor takes the deposit back out of the wallet.
    assert when(payments, [*PENDING, succeeded()], report("refunded")) == [
        PaymentRefunded(
            reason="refunded", payment_id="p1", user_id=7, purpose="wallet_deposit",
            amount=KES_1500, refund_ref="R1",
        )
    ]  # fmt: skip
    (ignored,) = when(payments, PENDING, report("refunded"))
    assert isinstance(ignored, PaymentReportIgnored)


@pytest.mark.parametrize(
    ("paid", "reason"),
    [
        (Money(amount=100_000, currency="KES"), "amount_mismatch"),
        (Money(amount=200_000, currency="KES"), "amount_mismatch"),
        (Money(amount=150_000, currency="USD"), "amount_mismatch"),
    ],
)
def test_a_different_amount_is_held_for_an_admin(paid: Money, reason: str) -> None:
    (held,) = when(payments, PENDING, report("succeeded", paid=paid))
    assert held == PaymentHeldForReview(reason=reason, paid=paid, raw_status="succeeded")  # type: ignore[arg-type]


def test_partial_payments_and_repeat_deposits_are_held() -> None:
    (partial,) = when(payments, PENDING, report("partially_paid"))
    assert isinstance(partial, PaymentHeldForReview)
    assert partial.reason == "partially_paid"
    (repeat,) = when(payments, PENDING, report("succeeded", repeat_deposit=True))
    assert isinstance(repeat, PaymentHeldForReview)
    assert repeat.reason == "repeat_deposit"
    held = [*PENDING, partial]
    (late,) = when(payments, held, report("succeeded"))
    assert isinstance(late, PaymentReportIgnored)  # an admin settles a held payment


def test_money_that_arrives_after_expiry_or_failure_is_still_credited() -> None:
    for closed in (PaymentExpired(), PaymentFailed(reason="1032")):
        assert when(payments, [*PENDING, closed], report("succeeded")) == [succeeded()]


def test_expiry_happens_only_when_due_and_open() -> None:
    assert when(payments, PENDING, Expire(T0 + timedelta(minutes=9))) == []
    assert when(payments, PENDING, Expire(T0 + timedelta(minutes=10))) == [PaymentExpired()]
    assert when(payments, [*PENDING, succeeded()], Expire(T0 + timedelta(days=1))) == []


def test_approving_a_held_payment_without_an_amount_credits_what_arrived() -> None:
    arrived = Money(amount=60_000, currency="KES")
    held = [*PENDING, PaymentHeldForReview(reason="partially_paid", paid=arrived)]
    (approved,) = when(payments, held, AdminDecide(admin_id=1, approve=True))
    assert isinstance(approved, PaymentSucceeded)
    assert approved.paid == arrived


def test_an_admin_approves_a_pending_manual_transfer_at_the_declared_amount() -> None:
    (approved,) = when(payments, PENDING, AdminDecide(admin_id=1, approve=True))
    assert isinstance(approved, PaymentSucceeded)
    assert (approved.paid, approved.receipt) == (REQUESTED.amount, "admin:1")


def test_an_admin_settles_a_held_payment_once() -> None:
    held = [*PENDING, PaymentHeldForReview(reason="amount_mismatch", paid=None)]
    partial = Money(amount=100_000, currency="KES")
    (approved,) = when(payments, held, AdminDecide(admin_id=1, approve=True, paid=partial))
    assert isinstance(approved, PaymentSucceeded)
    assert (approved.paid, approved.source, approved.receipt) == (partial, "admin", "admin:1")
    assert when(payments, [*held, approved], AdminDecide(admin_id=2, approve=False)) == []
    assert when(payments, held, AdminDecide(admin_id=1, approve=False)) == [
        PaymentFailed(reason="rejected by admin 1")
    ]
