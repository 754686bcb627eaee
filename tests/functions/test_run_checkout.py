"""run_checkout and project_shop over HTTP: pushed events advance the saga once, in any
order and however often delivered; poison is acknowledged and writes nothing."""

from __future__ import annotations

import random
from typing import Any

import pytest

from events import Money
from functions.domain import lots, orders
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import MemoryPublisher
from functions.runtime.pipeline import Trace
from tests.functions.conftest import client_for, everything_written
from tests.functions.test_project_balances import push_body

pytestmark = pytest.mark.functions
KES_50 = Money(amount=5_000, currency="KES")


def quiet(rt: Runtime) -> None:
    """Stop the in-process bus: this test delivers by HTTP only."""
    publisher: MemoryPublisher = rt.publisher  # type: ignore[assignment]
    publisher.subscribers.clear()


def test_a_reservation_pushed_three_times_places_one_order(memory_runtime: Runtime) -> None:
    quiet(memory_runtime)
    pipeline = memory_runtime.pipeline
    pipeline.execute(lots.lots, "lot-p1-1", lots.Stock("p1", 1, 3))
    until = memory_runtime.clock.now()
    reserve = lots.Reserve("o1", 7, "Soap", 1, KES_50, until)
    reserved = pipeline.execute(lots.lots, "lot-p1-1", reserve, Trace()).events[0]
    checkout = client_for("run_checkout", "cloudevent")
    for _ in range(3):
        assert checkout.post("/", json=push_body(reserved)).status_code == 200
    (placed,) = memory_runtime.store.load("order-o1")
    assert placed.type == "order.placed.v1"
    assert placed.causation_id == reserved.event_id
    state = pipeline.current(orders.orders, "order-o1")
    assert (state.state, state.total, state.lot) == ("placed", KES_50, 1)


def test_project_shop_gives_the_same_documents_for_shuffled_duplicated_pushes(
    memory_runtime: Runtime,
) -> None:
    quiet(memory_runtime)
    pipeline = memory_runtime.pipeline
    pipeline.execute(lots.lots, "lot-p1-1", lots.Stock("p1", 1, 3))
    until = memory_runtime.clock.now()
    for n in range(3):
        pipeline.execute(lots.lots, "lot-p1-1", lots.Reserve(f"o{n}", 7, "Soap", 1, KES_50, until))
    pipeline.execute(lots.lots, "lot-p1-1", lots.Sell("o0", 1))
    pipeline.execute(lots.lots, "lot-p1-1", lots.Release("o1", "expired", until))
    history = memory_runtime.store.load("lot-p1-1")
    deliveries = history * 3
    random.Random(3).shuffle(deliveries)
    project = client_for("project_shop", "cloudevent")
    for event in deliveries:
        assert project.post("/", json=push_body(event)).status_code == 200
    doc: Any = memory_runtime.read_models.get("stock", "p1-1")
    assert (doc["available"], doc["reserved"], doc["sold"]) == (1, 1, 1)
    assert set(doc["holds"]) == {"o2"}
    assert doc["applied_version"] == len(history)


def test_poison_is_acknowledged_and_writes_nothing(memory_runtime: Runtime) -> None:
    quiet(memory_runtime)
    before = everything_written(memory_runtime)
    for target in ("run_checkout", "project_shop"):
        body = {"message": {"data": "bm90IGFuIGVudmVsb3Bl", "messageId": "9"}, "subscription": "s"}
        assert client_for(target, "cloudevent").post("/", json=body).status_code == 200
    assert everything_written(memory_runtime) == before
