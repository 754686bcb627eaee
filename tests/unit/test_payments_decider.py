"""Payment: money moves only on a verified report of the requested amount, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events import Event, Money
from events.payments import (
    PaymentExpired,
    PaymentFailed,
    PaymentHeldForReview,
    PaymentReferenceLearnt,
    PaymentRefunded,
    PaymentReportIgnored,
    PaymentRequested,
    PaymentStarted,
    PaymentStartUnknown,
    PaymentSucceeded,
)
from functions.domain.payments import (
    AdminDecide,
    AmountNeeded,
    Apply,
    Expire,
    InvalidPayment,
    MarkStarted,
    OpenRepeat,
    RepeatPayment,
    Request,
    UnknownPayment,
    is_payment_id,
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
    assert held == PaymentHeldForReview(
        reason=reason,  # type: ignore[arg-type]
        paid=paid,
        raw_status="succeeded",
        provider_ref="ws_CO_1",
    )


def test_partial_payments_and_repeat_deposits_are_held() -> None:
    (partial,) = when(payments, PENDING, report("partially_paid"))
    assert isinstance(partial, PaymentHeldForReview)
    assert partial.reason == "partially_paid"
    (repeat,) = when(payments, PENDING, report("succeeded", repeat_deposit=True))
    assert isinstance(repeat, PaymentHeldForReview)
    assert repeat.reason == "repeat_deposit"
    held = [*PENDING, partial]
    # The same money reported again, now complete: what arrived by then is weighed.
    assert when(payments, held, report("succeeded")) == [succeeded()]
    assert when(payments, held, report("partially_paid")) == []  # the same hold again
    (repeat_held,) = [*PENDING, repeat][-1:]
    (late,) = when(payments, [*PENDING, repeat_held], report("succeeded"))
    assert isinstance(late, PaymentReportIgnored)  # an admin settles a held re-deposit


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


def nowpayments(
    status: Status, transfer: str, paid: Money | None = KES_1500, invoice: str | None = "ws_CO_1"
) -> Apply:
    """A verified report about the invoice `invoice` whose money has the id `transfer`."""
    return Apply(
        Report(
            "p1", status, invoice, paid=paid, raw_status=status, verified=True,
            transfer_ref=transfer, idempotency_key=f"np:{transfer}:{status}",
        ),
        "callback",
    )  # fmt: skip


def test_a_report_naming_another_provider_reference_moves_nothing() -> None:
    other = Apply(
        Report("p1", "succeeded", "ws_CO_OTHER", paid=KES_1500, raw_status="0", verified=True),
        "query",
    )
    (ignored,) = when(payments, PENDING, other)
    assert ignored == PaymentReportIgnored(
        status="0", reason="report names another provider reference"
    )
    about_another = Apply(Report("p2", "succeeded", "ws_CO_1", KES_1500, verified=True), "query")
    (ignored,) = when(payments, PENDING, about_another)
    assert isinstance(ignored, PaymentReportIgnored)
    assert ignored.reason == "report is about another payment"


def test_money_for_a_start_we_never_saw_confirmed_is_held_not_credited() -> None:
    unknown = PaymentStartUnknown(reason="timeout", expires_at=T0 + timedelta(minutes=30))
    (held,) = when(payments, [REQUESTED, unknown], report("succeeded"))
    assert held == PaymentHeldForReview(
        reason="unconfirmed_reference", paid=KES_1500, raw_status="succeeded",
        provider_ref="ws_CO_1",
    )  # fmt: skip
    # A rail whose reports are bound by our own id (Pakasir) credits as usual.
    ours = Apply(Report("p1", "succeeded", None, KES_1500, verified=True), "query")
    (paid,) = when(payments, [REQUESTED, unknown], ours)
    assert isinstance(paid, PaymentSucceeded)


def test_a_verified_report_teaches_the_transfer_id_once_and_queries_use_it() -> None:
    (learnt,) = when(payments, PENDING, nowpayments("pending", "5001"))
    assert learnt == PaymentReferenceLearnt(transfer_ref="5001")
    assert when(payments, [*PENDING, learnt], nowpayments("pending", "5001")) == []
    state = given(payments, *PENDING, learnt)
    assert state.query_ref() == "5001"
    assert given(payments, *PENDING).query_ref() == "ws_CO_1"


def test_a_second_distinct_payment_for_a_settled_payment_is_a_repeat() -> None:
    (paid,) = when(payments, PENDING, nowpayments("succeeded", "5001"))
    assert isinstance(paid, PaymentSucceeded)
    assert paid.transfer_ref == "5001"
    settled = [*PENDING, paid]
    assert when(payments, settled, nowpayments("succeeded", "5001")) == []  # the same money
    with pytest.raises(RepeatPayment) as raised:
        when(payments, settled, nowpayments("succeeded", "5002"))
    repeat_id = raised.value.repeat_id
    assert is_payment_id(repeat_id)
    assert repeat_id != "p1"
    with pytest.raises(RepeatPayment) as again:
        when(payments, settled, nowpayments("succeeded", "5002"))
    assert again.value.repeat_id == repeat_id  # derived: a redelivery opens nothing new
    # Nothing arrived is not money to record.
    assert when(payments, settled, nowpayments("succeeded", "5003", Money.of_minor(0, "KES"))) == []


def test_a_repeat_opens_a_held_wallet_deposit_of_what_arrived() -> None:
    order = PaymentRequested(
        payment_id="p1", user_id=7, purpose="order", amount=KES_1500, rail="nowpayments",
        subject="order-9",
    )  # fmt: skip
    parent = given(payments, order, STARTED, succeeded())
    half = Money(amount=75_000, currency="KES")
    report_ = Report("p1", "partially_paid", "ws_CO_1", paid=half, transfer_ref="5002")
    opened = when(payments, [], OpenRepeat("r1", parent, report_))
    assert opened == [
        PaymentRequested(
            payment_id="r1", user_id=7, purpose="wallet_deposit", amount=half,
            rail="nowpayments", repeat_of="p1",
        ),
        PaymentHeldForReview(
            reason="repeat_payment", paid=half, provider_ref="ws_CO_1", transfer_ref="5002"
        ),
    ]  # fmt: skip
    assert when(payments, opened, OpenRepeat("r1", parent, report_)) == []


def test_approving_a_hold_credits_what_arrived_never_the_asked_amount() -> None:
    half = Money(amount=75_000, currency="KES")
    held = [*PENDING, PaymentHeldForReview(reason="partially_paid", paid=half)]
    (approved,) = when(payments, held, AdminDecide(99, approve=True))
    assert isinstance(approved, PaymentSucceeded)
    assert approved.paid == half
    unknown = [*PENDING, PaymentHeldForReview(reason="partially_paid", paid=None)]
    with pytest.raises(AmountNeeded):
        when(payments, unknown, AdminDecide(99, approve=True))
    (stated,) = when(payments, unknown, AdminDecide(99, approve=True, paid=half))
    assert isinstance(stated, PaymentSucceeded)
    assert stated.paid == half


def test_more_coins_for_a_held_partial_payment_are_weighed_again() -> None:
    half, more = Money(amount=75_000, currency="KES"), Money(amount=112_500, currency="KES")
    (first,) = when(payments, PENDING, nowpayments("partially_paid", "5001", half))
    assert isinstance(first, PaymentHeldForReview)
    assert first.paid == half
    (second,) = when(payments, [*PENDING, first], nowpayments("partially_paid", "5001", more))
    assert isinstance(second, PaymentHeldForReview)
    assert second.paid == more
    (approved,) = when(payments, [*PENDING, first, second], AdminDecide(99, approve=True))
    assert isinstance(approved, PaymentSucceeded)
    assert approved.paid == more


def test_a_verified_report_naming_no_reference_of_a_started_payment_is_held() -> None:
    # A signed report that names no invoice cannot show the money is this payment's.
    anonymous = Apply(Report("p1", "succeeded", None, KES_1500, verified=True), "callback")
    (held,) = when(payments, PENDING, anonymous)
    assert isinstance(held, PaymentHeldForReview)
    assert held.reason == "unconfirmed_reference"


def test_approving_held_money_names_its_own_id_for_the_audit() -> None:
    unknown = PaymentStartUnknown(reason="timeout", expires_at=T0 + timedelta(minutes=30))
    (held,) = when(payments, [REQUESTED, unknown], report("succeeded"))
    (approved,) = when(payments, [REQUESTED, unknown, held], AdminDecide(99, approve=True))
    assert isinstance(approved, PaymentSucceeded)
    assert approved.transfer_ref == "ws_CO_1"  # the checkout the held report named
