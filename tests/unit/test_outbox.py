"""Publishing beside the request: the next commit does not wait for the bus, order is kept,
and the request's end waits for every publish before it marks them."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from events import Envelope, Money
from functions.domain.wallet import Credit, wallets
from functions.runtime.memory import FixedClock, MemoryEventStore, UuidIds
from functions.runtime.outbox import Outbox, Outboxes
from functions.runtime.pipeline import PendingMarks, Pipeline
from functions.runtime.ports import PublishFailed

pytestmark = pytest.mark.unit


class GatedBus:
    """Holds every publish until the test opens the gate; records what got through."""

    def __init__(self, fail: bool = False) -> None:
        self.gate = threading.Event()
        self.published: list[Envelope] = []
        self.fail = fail

    def publish(self, events: Sequence[Envelope]) -> None:
        assert self.gate.wait(10), "the test never opened the gate"
        if self.fail:
            raise PublishFailed("bus down")
        self.published.extend(events)


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


def pipeline(
    store: MemoryEventStore, bus: GatedBus, outbox: Outbox, marks: PendingMarks
) -> Pipeline:
    return Pipeline(store, bus, FixedClock(), UuidIds(), marks=marks, outbox=outbox)


def test_commits_go_on_while_the_bus_answers_and_publishes_keep_their_order() -> None:
    store, bus, outbox, marks = MemoryEventStore(), GatedBus(), Outbox(), PendingMarks()
    runner = pipeline(store, bus, outbox, marks)
    for n in range(3):  # each returns although no publish has gone through yet
        runner.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", f"p{n}"))
    assert len(store.load("wallet-7")) == 3
    assert bus.published == []
    bus.gate.set()
    assert outbox.drain(10)
    assert [e.version for e in bus.published] == [1, 2, 3]
    assert len(marks) == 3  # marks wait for the request's end, or its next append


def test_a_publish_that_fails_beside_the_request_leaves_its_events_to_the_relay() -> None:
    store, bus, outbox, marks = MemoryEventStore(), GatedBus(fail=True), Outbox(), PendingMarks()
    runner = pipeline(store, bus, outbox, marks)
    appended = runner.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p1"))
    bus.gate.set()
    assert outbox.drain(10)
    assert len(marks) == 0
    assert store.unpublished(10) == list(appended.events)


def test_each_thread_has_its_own_outbox() -> None:
    boxes = Outboxes()
    mine = boxes.current()
    seen: list[Outbox] = []
    worker = threading.Thread(target=lambda: seen.append(boxes.current()))
    worker.start()
    worker.join()
    assert boxes.current() is mine
    assert seen[0] is not mine
