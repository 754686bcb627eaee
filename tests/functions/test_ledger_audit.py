"""The ledger audit finds every kind of money error, and a chaos of callbacks leaves none."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient

from events import Money
from events.payments import PaymentSucceeded
from events.wallet import WalletCredited, WalletDebited
from functions.domain import payments, wallet
from functions.ops.ledger import Problem, audit
from functions.runtime.bootstrap import Runtime
from tests.builders import envelope
from tests.functions.conftest import client_for
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback

pytestmark = pytest.mark.functions
URL = f"/payments/fake/{PATH_SECRET}"


@pytest.fixture
def rail(memory_runtime: Runtime) -> FakeRail:
    fake = FakeRail()
    memory_runtime.rail_overrides = {"fake": fake}
    return fake


def start(rt: Runtime, payment_id: str, user_id: int, amount: int) -> None:
    money = Money(amount=amount, currency="KES")
    stream = payments.stream_of(payment_id)
    command = payments.Request(payment_id, user_id, "wallet_deposit", money, "fake")
    rt.pipeline.execute(payments.payments, stream, command)
    rt.pipeline.execute(payments.payments, stream, payments.MarkStarted(f"ref-{payment_id}"))


def paid(rt: Runtime, rail: FakeRail, webhook: FlaskClient, payment_id: str) -> None:
    rail.truth[payment_id] = "succeeded"
    assert webhook.post(URL, json=callback(payment_id, "succeeded")).status_code == 200


def test_a_clean_ledger_has_no_problems(memory_runtime: Runtime, rail: FakeRail) -> None:
    webhook = client_for("payment_webhook")
    for n in range(3):
        start(memory_runtime, f"p{n}", 7, 10_000 * (n + 1))
        paid(memory_runtime, rail, webhook, f"p{n}")
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_a_credit_without_a_payment_is_found(memory_runtime: Runtime) -> None:
    money = Money(amount=500, currency="KES")
    memory_runtime.pipeline.execute(
        wallet.wallets, "wallet-9", wallet.Credit(9, money, "deposit", "payment:forged")
    )
    assert audit(memory_runtime.store, memory_runtime.read_models) == [
        Problem("wallet-9", "credit payment:forged has no succeeded payment")
    ]


def test_a_payment_credited_twice_is_found(memory_runtime: Runtime, rail: FakeRail) -> None:
    start(memory_runtime, "p1", 7, 10_000)
    paid(memory_runtime, rail, client_for("payment_webhook"), "p1")
    # A second credit slipped into another wallet stream behind every guard.
    forged = WalletCredited(
        user_id=8,
        amount=Money(amount=10_000, currency="KES"),
        reason="deposit",
        reference="payment:p1",
    )
    memory_runtime.store.append("wallet-8", 0, [envelope("wallet-8", 1, forged)])
    problems = audit(memory_runtime.store, memory_runtime.read_models)
    assert Problem("payment-p1", "credited 2 times") in problems
    assert Problem("wallet-8", "credit payment:p1 differs from its payment") in problems


def test_a_succeeded_deposit_never_credited_is_found(memory_runtime: Runtime) -> None:
    memory_runtime.publisher.subscribers.clear()  # type: ignore[attr-defined]  # no reactor ran
    start(memory_runtime, "p1", 7, 10_000)
    memory_runtime.pipeline.execute(
        payments.payments, "payment-p1", payments.AdminDecide(1, approve=True)
    )
    assert Problem("payment-p1", "succeeded but never credited") in audit(
        memory_runtime.store, memory_runtime.read_models
    )


def test_a_read_model_that_drifted_is_found(memory_runtime: Runtime, rail: FakeRail) -> None:
    start(memory_runtime, "p1", 7, 10_000)
    paid(memory_runtime, rail, client_for("payment_webhook"), "p1")
    docs = memory_runtime.read_models._docs  # type: ignore[attr-defined]
    docs["balances"]["7"]["balances"]["KES"] = 99
    (problem,) = audit(memory_runtime.store, memory_runtime.read_models)
    assert problem.stream == "wallet-7"


def test_chaos_of_duplicated_reordered_concurrent_callbacks_leaves_a_clean_ledger(
    memory_runtime: Runtime, rail: FakeRail
) -> None:
    rng = random.Random(2026)
    outcomes = {
        f"c{n}": rng.choice(["succeeded", "succeeded", "failed", "pending"]) for n in range(40)
    }
    for n, payment_id in enumerate(outcomes):
        start(memory_runtime, payment_id, 100 + n % 7, 1_000 * (n + 1))
        rail.truth[payment_id] = outcomes[payment_id]
    deliveries = [
        (payment_id, rng.choice(["succeeded", "failed", "pending", "expired"]))
        for payment_id in outcomes
        for _ in range(rng.randint(1, 6))
    ]
    rng.shuffle(deliveries)
    webhook = client_for("payment_webhook")

    def deliver(item: tuple[str, str]) -> int:
        return int(webhook.post(URL, json=callback(*item)).status_code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(deliver, deliveries))

    assert set(statuses) == {200}
    assert audit(memory_runtime.store, memory_runtime.read_models) == []
    credited = {
        e.data["reference"]
        for s in memory_runtime.store.streams("wallet")
        for e in memory_runtime.store.load(s)
        if e.type == "wallet.credited.v1"
    }
    assert credited == {f"payment:{p}" for p, o in outcomes.items() if o == "succeeded"}


def refunded_deposit(rt: Runtime, rail: FakeRail, payment_id: str, user_id: int) -> None:
    start(rt, payment_id, user_id, 10_000)
    paid(rt, rail, client_for("payment_webhook"), payment_id)
    rt.pipeline.execute(
        payments.payments, payments.stream_of(payment_id), payments.AdminRefund(99, "R")
    )


def test_a_refunded_deposit_debited_once_is_a_clean_ledger(
    memory_runtime: Runtime, rail: FakeRail
) -> None:
    refunded_deposit(memory_runtime, rail, "p1", 7)
    moved = [e.data["reference"] for e in memory_runtime.store.load("wallet-7")]
    assert moved == ["payment:p1", "refund:payment:p1"]
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_a_refund_debit_without_a_refund_or_debited_twice_is_found(
    memory_runtime: Runtime, rail: FakeRail
) -> None:
    refunded_deposit(memory_runtime, rail, "p1", 7)
    start(memory_runtime, "p2", 7, 10_000)
    paid(memory_runtime, rail, client_for("payment_webhook"), "p2")
    money = Money(amount=10_000, currency="KES")
    # A debit claiming a refund that never happened, and a second debit of a real one,
    # slipped into the store behind every guard.
    for n, reference in enumerate(["refund:payment:p2", "refund:payment:p1"], start=1):
        forged = WalletDebited(user_id=8, amount=money, reason="refund", reference=reference)
        memory_runtime.store.append("wallet-8", n - 1, [envelope("wallet-8", n, forged)])
    problems = audit(memory_runtime.store, memory_runtime.read_models)
    assert Problem("wallet-8", "debit refund:payment:p2 has no refunded payment") in problems
    assert Problem("wallet-8", "debit refund:payment:p1 differs from its refund") in problems
    assert Problem("payment-p1", "refund debited 2 times") in problems


def _succeed(rt: Runtime, payment_id: str, user_id: int, paid: int, transfer: str) -> None:
    """Append a success as the decider would write it, bypassing its checks."""
    event = PaymentSucceeded(
        payment_id=payment_id, user_id=user_id, purpose="wallet_deposit",
        paid=Money(amount=paid, currency="KES"), provider_ref=f"ref-{payment_id}",
        source="query", transfer_ref=transfer,
    )  # fmt: skip
    stream = payments.stream_of(payment_id)
    rt.store.append(stream, 2, [envelope(stream, 3, event)])


def test_one_provider_payment_credited_on_two_payments_is_found(
    memory_runtime: Runtime,
) -> None:
    # What the callback swap used to produce: B's money recorded on A and on B.
    start(memory_runtime, "pa", 7, 150_000)
    start(memory_runtime, "pb", 8, 150_000)
    _succeed(memory_runtime, "pa", 7, 150_000, "tx-B")
    _succeed(memory_runtime, "pb", 8, 150_000, "tx-B")
    problems = audit(memory_runtime.store, memory_runtime.read_models)
    assert Problem("payment-pb", "fake tx-B also paid payment-pa") in problems
    assert Problem("payment-pa", "a confirmed success differs from the ask") not in problems


def test_a_confirmed_success_of_another_amount_is_found(memory_runtime: Runtime) -> None:
    start(memory_runtime, "pc", 7, 150_000)
    _succeed(memory_runtime, "pc", 7, 300_000, "tx-C")
    problems = audit(memory_runtime.store, memory_runtime.read_models)
    assert Problem("payment-pc", "a confirmed success differs from the ask") in problems
