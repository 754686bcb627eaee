"""The payment and reservation jobs find what is due however much else has piled up: a
batch holds only due work, earliest first, never settled or not-yet-due payments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events import Money
from functions.domain import payments
from functions.jobs import JOBS
from functions.runtime.bootstrap import Runtime
from tests.builders import settings
from tests.functions.fake_rail import FakeRail

pytestmark = pytest.mark.functions
KES = Money(amount=10_000, currency="KES")


def pending(rt: Runtime, payment_id: str, expires_in: timedelta | None) -> None:
    stream = payments.stream_of(payment_id)
    rt.pipeline.execute(
        payments.payments, stream, payments.Request(payment_id, 7, "wallet_deposit", KES, "fake")
    )
    expires_at = rt.clock.now() + expires_in if expires_in is not None else None
    rt.pipeline.execute(
        payments.payments, stream, payments.MarkStarted(f"r-{payment_id}", expires_at)
    )


@pytest.fixture
def rt(memory_runtime: Runtime) -> Runtime:
    memory_runtime.settings = settings(payments_batch=5, reconcile_after_s=60)
    memory_runtime.rail_overrides = {"fake": FakeRail()}
    return memory_runtime


def test_a_due_payment_expires_behind_a_pile_of_payments_that_never_expire(rt: Runtime) -> None:
    for n in range(12):  # more than a batch of payments with no deadline (a crypto invoice)
        pending(rt, f"open{n}", None)
    pending(rt, "qris1", timedelta(minutes=10))
    pending(rt, "qris2", timedelta(minutes=30))
    rt.clock.advance(minutes=11)  # type: ignore[attr-defined]
    assert JOBS["expire-payments"](rt) == {"expired": 1}
    assert rt.pipeline.current(payments.payments, "payment-qris1").state == "expired"
    assert rt.pipeline.current(payments.payments, "payment-qris2").state == "pending"
    assert JOBS["expire-payments"](rt) == {"expired": 0}  # settled ones leave the batch


def test_reconcile_asks_about_the_oldest_pending_first_and_settled_ones_leave(
    rt: Runtime,
) -> None:
    rail: FakeRail = rt.rails()["fake"]  # type: ignore[assignment]
    for n in range(8):
        pending(rt, f"p{n}", None)
        rt.clock.advance(seconds=1)  # type: ignore[attr-defined]
        rail.truth[f"p{n}"] = "failed"
    rt.clock.advance(minutes=2)  # type: ignore[attr-defined]
    assert JOBS["reconcile-payments"](rt) == {"settled": 5, "provider_unavailable": 0}
    states = [rt.pipeline.current(payments.payments, f"payment-p{n}").state for n in range(8)]
    assert states == ["failed"] * 5 + ["pending"] * 3
    assert JOBS["reconcile-payments"](rt) == {"settled": 3, "provider_unavailable": 0}


def test_a_payment_younger_than_the_reconcile_age_is_not_asked_about(rt: Runtime) -> None:
    rail: FakeRail = rt.rails()["fake"]  # type: ignore[assignment]
    pending(rt, "young", None)
    rt.clock.advance(seconds=30)  # type: ignore[attr-defined]
    assert JOBS["reconcile-payments"](rt) == {"settled": 0, "provider_unavailable": 0}
    assert rail.queries == 0
