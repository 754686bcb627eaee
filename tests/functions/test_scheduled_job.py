"""scheduled_job: authenticated by the scheduler secret; relay publishes what was left behind."""

from __future__ import annotations

import pytest

from events import Money
from functions.domain.wallet import Credit, wallets
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import MemoryPublisher
from tests.builders import SCHEDULER_SECRET
from tests.functions.conftest import client_for

pytestmark = pytest.mark.functions
HEADERS = {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}


def test_without_the_scheduler_secret_nothing_runs(memory_runtime: Runtime) -> None:
    publisher: MemoryPublisher = memory_runtime.publisher  # type: ignore[assignment]
    publisher.fail_next = 1
    memory_runtime.pipeline.execute(
        wallets, "wallet-1", Credit(1, Money(amount=5, currency="KES"), "d", "p")
    )
    client = client_for("scheduled_job")
    for headers in ({}, {"X-Soko-Scheduler-Secret": "nope"}):
        assert client.post("/", json={"job": "relay"}, headers=headers).status_code == 401
    assert len(memory_runtime.store.unpublished(10)) == 1


@pytest.mark.parametrize("body", [{"job": "nope"}, {"job": 3}, {}])
def test_unknown_jobs_are_400(memory_runtime: Runtime, body: dict[str, object]) -> None:
    response = client_for("scheduled_job").post("/", json=body, headers=HEADERS)
    assert response.status_code == 400
    assert "relay" in response.get_json()["error"]


def test_relay_publishes_events_a_dead_function_left_unpublished_once(
    memory_runtime: Runtime,
) -> None:
    publisher: MemoryPublisher = memory_runtime.publisher  # type: ignore[assignment]
    publisher.fail_next = 2  # the function "dies" before publishing, twice
    for n in range(2):
        memory_runtime.pipeline.execute(
            wallets, "wallet-1", Credit(1, Money(amount=5, currency="KES"), "d", f"p{n}")
        )
    assert publisher.published == []
    assert memory_runtime.read_models.get("balances", "1") is None

    client = client_for("scheduled_job")
    # Within the grace period an unmarked event may be on the bus with its mark pending.
    early = client.post("/", json={"job": "relay"}, headers=HEADERS)
    assert early.get_json() == {"job": "relay", "published": 0}
    memory_runtime.clock.advance(seconds=memory_runtime.settings.relay_grace_s + 1)  # type: ignore[attr-defined]
    first = client.post("/", json={"job": "relay"}, headers=HEADERS)
    second = client.post("/", json={"job": "relay"}, headers=HEADERS)

    assert first.get_json() == {"job": "relay", "published": 2}
    assert second.get_json() == {"job": "relay", "published": 0}
    assert [e.version for e in publisher.published] == [1, 2]
    assert memory_runtime.read_models.get("balances", "1") == {
        "user_id": 1,
        "balances": {"KES": 10},
        "applied_version": 2,
    }


def test_what_a_function_published_is_marked_by_its_next_append(memory_runtime: Runtime) -> None:
    publisher: MemoryPublisher = memory_runtime.publisher  # type: ignore[assignment]
    publisher.subscribers.clear()  # count only this instance's own appends
    first = memory_runtime.pipeline.execute(
        wallets, "wallet-1", Credit(1, Money(amount=5, currency="KES"), "d", "p1")
    )
    # On the bus, its mark pending in this instance (each `rt.pipeline` is a new object).
    assert memory_runtime.store.unpublished(10) == list(first.events)
    second = memory_runtime.pipeline.execute(
        wallets, "wallet-2", Credit(2, Money(amount=5, currency="KES"), "d", "p2")
    )
    assert memory_runtime.store.unpublished(10) == list(second.events)
    # The relay leaves it alone within the grace period, so it is not published twice.
    client = client_for("scheduled_job")
    relayed = client.post("/", json={"job": "relay"}, headers=HEADERS)
    assert relayed.get_json() == {"job": "relay", "published": 0}
    assert publisher.published == [*first.events, *second.events]
