"""health: store and bus reachability and the relay backlog; 503 when either is unreachable."""

from __future__ import annotations

import pytest

from events import Money
from functions.domain.wallet import Credit, wallets
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock, MemoryPublisher
from functions.runtime.ports import StoreUnavailable
from tests.functions.conftest import client_for

pytestmark = pytest.mark.functions


def credit(rt: Runtime, reference: str) -> None:
    rt.pipeline.execute(
        wallets, "wallet-1", Credit(1, Money(amount=5, currency="KES"), "d", reference)
    )


def test_a_healthy_deployment_answers_200_with_an_empty_backlog(memory_runtime: Runtime) -> None:
    response = client_for("health").get("/")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "store": "ok",
        "bus": "ok",
        "relay_backlog": {"unpublished": 0, "at_least": False, "oldest_age_s": None},
    }


def test_the_bus_check_publishes_a_heartbeat_nobody_stores(memory_runtime: Runtime) -> None:
    client_for("health").get("/")
    publisher: MemoryPublisher = memory_runtime.publisher  # type: ignore[assignment]
    [heartbeat] = publisher.published
    assert (heartbeat.stream, heartbeat.type) == ("health-0", "ops.heartbeat.v1")
    assert memory_runtime.store.load("health-0") == []


def test_the_backlog_counts_events_the_relay_has_not_published_yet(
    memory_runtime: Runtime,
) -> None:
    publisher: MemoryPublisher = memory_runtime.publisher  # type: ignore[assignment]
    publisher.fail_next = 2
    credit(memory_runtime, "p1")
    credit(memory_runtime, "p2")
    clock: FixedClock = memory_runtime.clock  # type: ignore[assignment]
    clock.advance(minutes=3)

    body = client_for("health").get("/").get_json()

    assert body["status"] == "ok"
    assert body["relay_backlog"] == {"unpublished": 2, "at_least": False, "oldest_age_s": 180}


def test_an_unreachable_store_is_503(
    memory_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("deadline exceeded")

    monkeypatch.setattr(memory_runtime.store, "load", down)
    response = client_for("health").get("/")
    assert response.status_code == 503
    assert response.get_json()["store"] == "unreachable (StoreUnavailable)"
    assert response.get_json()["bus"] == "ok"


def test_a_bus_that_refuses_messages_is_503(memory_runtime: Runtime) -> None:
    publisher: MemoryPublisher = memory_runtime.publisher  # type: ignore[assignment]
    publisher.fail_next = 1
    response = client_for("health").get("/")
    assert response.status_code == 503
    assert response.get_json()["bus"] == "unreachable (PublishFailed)"
