"""payment_webhook and the payment jobs over HTTP: money arrives once or not at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Money
from functions.domain import payments
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock
from functions.runtime.pipeline import Trace
from tests.builders import SCHEDULER_SECRET
from tests.functions.conftest import client_for
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback

pytestmark = pytest.mark.functions
KES_500 = Money(amount=50_000, currency="KES")
URL = f"/payments/fake/{PATH_SECRET}"


@pytest.fixture
def rail(memory_runtime: Runtime) -> FakeRail:
    fake = FakeRail()
    memory_runtime.rail_overrides = {"fake": fake}
    return fake


@pytest.fixture
def webhook(rail: FakeRail) -> FlaskClient:
    return client_for("payment_webhook")


@pytest.fixture
def deposit(memory_runtime: Runtime, rail: FakeRail) -> str:
    """A started deposit of KES 500 by user 7, valid for 10 minutes."""
    pipeline, stream = memory_runtime.pipeline, payments.stream_of("p1")
    pipeline.execute(
        payments.payments, stream, payments.Request("p1", 7, "wallet_deposit", KES_500, "fake")
    )
    expires = memory_runtime.clock.now() + timedelta(minutes=10)
    pipeline.execute(payments.payments, stream, payments.MarkStarted("ref-p1", expires))
    return "p1"


def balance(rt: Runtime) -> dict[str, int]:
    doc = rt.read_models.get("balances", "7")
    return dict(doc["balances"]) if doc else {}


def payment_state(rt: Runtime) -> str:
    doc = rt.read_models.get("payments", "p1")
    assert doc is not None
    return str(doc["state"])


def written(rt: Runtime) -> list[Any]:
    store: Any = rt.store
    return [store.load(s) for s in store.streams()]


def test_a_wrong_path_secret_is_401_and_writes_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, deposit: str
) -> None:
    before = written(memory_runtime)
    response = webhook.post("/payments/fake/guess", json=callback(deposit, "succeeded"))
    assert response.status_code == 401
    assert written(memory_runtime) == before


@pytest.mark.parametrize("body", [b"nope", b"{}", b'{"payment_id": "p1", "status": "rich"}', b"[]"])
def test_malformed_callbacks_are_400_and_write_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, deposit: str, body: bytes
) -> None:
    before = written(memory_runtime)
    response = webhook.post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert written(memory_runtime) == before


def test_a_huge_body_is_400(webhook: FlaskClient, memory_runtime: Runtime, deposit: str) -> None:
    before = written(memory_runtime)
    huge = b'{"payment_id": "p1", "status": "succeeded", "pad": "' + b"x" * 100_000 + b'"}'
    assert webhook.post(URL, data=huge, content_type="application/json").status_code == 400
    assert written(memory_runtime) == before


def test_callbacks_for_unknown_payments_or_rails_are_404_and_write_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail
) -> None:
    rail.truth["ghost"] = "succeeded"
    assert webhook.post(URL, json=callback("ghost", "succeeded")).status_code == 404
    assert webhook.post("/payments/paypal/x", json={}).status_code == 404
    assert written(memory_runtime) == []


def test_a_confirmed_payment_credits_the_wallet_once_however_often_it_is_called_back(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    rail.truth[deposit] = "succeeded"
    for _ in range(5):
        response = webhook.post(URL, json=callback(deposit, "succeeded"))
        assert response.status_code == 200
        assert response.get_json() == {"ok": True}
    assert balance(memory_runtime) == {"KES": 50_000}
    credits = [e for e in memory_runtime.store.load("wallet-7") if e.type == "wallet.credited.v1"]
    assert [c.data["reference"] for c in credits] == ["payment:p1"]
    assert payment_state(memory_runtime) == "succeeded"


def test_an_unsigned_success_claim_the_provider_denies_credits_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    rail.truth[deposit] = "pending"
    assert webhook.post(URL, json=callback(deposit, "succeeded")).status_code == 200
    assert rail.queries == 1
    assert balance(memory_runtime) == {}
    assert payment_state(memory_runtime) == "pending"


def test_out_of_order_and_late_callbacks_end_in_one_credit(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    rail.truth[deposit] = "succeeded"
    for status in ("succeeded", "pending", "failed", "succeeded"):
        assert webhook.post(URL, json=callback(deposit, status)).status_code == 200
    memory_runtime.clock.advance(days=1)  # type: ignore[attr-defined]
    assert webhook.post(URL, json=callback(deposit, "succeeded")).status_code == 200
    assert balance(memory_runtime) == {"KES": 50_000}
    assert payment_state(memory_runtime) == "succeeded"


def test_a_failed_after_succeeded_from_the_provider_is_recorded_and_ignored(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    rail.truth[deposit] = "succeeded"
    webhook.post(URL, json=callback(deposit, "succeeded"))
    rail.truth[deposit] = "failed"  # the provider's API now contradicts itself
    webhook.post(URL, json=callback(deposit, "failed"))
    types = [e.type for e in memory_runtime.store.load("payment-p1")]
    assert types[-1] == "payment.report_ignored.v1"
    assert balance(memory_runtime) == {"KES": 50_000}


def test_provider_down_is_503_credits_nothing_and_reconcile_settles_it_later(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    rail.truth[deposit], rail.down = "succeeded", True
    before = written(memory_runtime)
    assert webhook.post(URL, json=callback(deposit, "succeeded")).status_code == 503
    assert written(memory_runtime) == before

    jobs = client_for("scheduled_job")
    headers = {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
    memory_runtime.clock.advance(minutes=3)  # type: ignore[attr-defined]
    down = jobs.post("/", json={"job": "reconcile-payments"}, headers=headers).get_json()
    assert down == {"job": "reconcile-payments", "settled": 0, "provider_unavailable": 1}
    rail.down = False
    for expected in (1, 0):  # a second run changes nothing
        result = jobs.post("/", json={"job": "reconcile-payments"}, headers=headers).get_json()
        assert result["settled"] == expected
    assert balance(memory_runtime) == {"KES": 50_000}


def test_reconcile_leaves_young_payments_to_their_callbacks(
    memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    rail.truth[deposit] = "succeeded"
    headers = {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
    result = client_for("scheduled_job").post(
        "/", json={"job": "reconcile-payments"}, headers=headers
    )
    assert result.get_json()["settled"] == 0
    assert rail.queries == 0


def test_expiry_closes_an_unpaid_payment_once_and_a_late_payment_still_credits(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    jobs = client_for("scheduled_job")
    headers = {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
    clock: FixedClock = memory_runtime.clock  # type: ignore[assignment]
    clock.advance(minutes=9)
    assert (
        jobs.post("/", json={"job": "expire-payments"}, headers=headers).get_json()["expired"] == 0
    )
    clock.advance(minutes=2)
    assert (
        jobs.post("/", json={"job": "expire-payments"}, headers=headers).get_json()["expired"] == 1
    )
    assert (
        jobs.post("/", json={"job": "expire-payments"}, headers=headers).get_json()["expired"] == 0
    )
    assert payment_state(memory_runtime) == "expired"

    rail.truth[deposit] = "succeeded"  # the customer paid just after the deadline
    assert webhook.post(URL, json=callback(deposit, "succeeded")).status_code == 200
    assert balance(memory_runtime) == {"KES": 50_000}


def test_a_redelivered_succeeded_event_credits_once(memory_runtime: Runtime, deposit: str) -> None:
    trace = Trace("admin:1")
    memory_runtime.pipeline.execute(
        payments.payments, "payment-p1", payments.AdminDecide(1, approve=True), trace
    )
    (succeeded,) = [
        e for e in memory_runtime.store.load("payment-p1") if e.type == "payment.succeeded.v1"
    ]
    from tests.functions.test_project_balances import push_body

    reactor = client_for("credit_deposits", "cloudevent")
    for _ in range(3):
        assert reactor.post("/", json=push_body(succeeded)).status_code == 200
    assert balance(memory_runtime) == {"KES": 50_000}


def test_a_rail_refusing_a_query_does_not_fail_the_reconcile_run(
    memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    rail.refuse = "unknown payment id"  # e.g. NOWPayments before the user paid
    memory_runtime.clock.advance(minutes=3)  # type: ignore[attr-defined]
    headers = {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
    response = client_for("scheduled_job").post(
        "/", json={"job": "reconcile-payments"}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "job": "reconcile-payments",
        "settled": 0,
        "provider_unavailable": 1,
    }
    assert payment_state(memory_runtime) == "pending"


def test_a_confirmation_without_a_receipt_keeps_the_callbacks_receipt(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    rail.truth[deposit], rail.query_receipt = "succeeded", None
    body = {**callback(deposit, "succeeded"), "receipt": "NLJ7RT61SV"}
    assert webhook.post(URL, json=body).status_code == 200
    (succeeded,) = [
        e for e in memory_runtime.store.load("payment-p1") if e.type == "payment.succeeded.v1"
    ]
    assert succeeded.data["receipt"] == "NLJ7RT61SV"


def test_a_signed_success_is_applied_without_asking_the_provider_and_credits_once(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail, deposit: str
) -> None:
    body = {**callback(deposit, "succeeded"), "signed": True, "paid": 50_000}
    for _ in range(3):
        assert webhook.post(URL, json=body).status_code == 200
    assert rail.queries == 0
    assert balance(memory_runtime) == {"KES": 50_000}


def test_a_signed_callback_for_an_unknown_payment_is_404_and_writes_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail
) -> None:
    body = {**callback("ghost", "succeeded"), "signed": True, "paid": 50_000}
    assert webhook.post(URL, json=body).status_code == 404
    assert written(memory_runtime) == []
    assert rail.queries == 0
