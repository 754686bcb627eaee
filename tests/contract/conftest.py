"""One contract suite per port, run against every adapter.

An adapter joins by adding a name to ADAPTERS and a branch to `make_adapters`; every test in
this folder then runs against it too.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from events import Envelope
from functions.contexts import CATEGORIES
from functions.runtime.memory import MemoryEventStore, MemoryPublisher, MemoryReadModels
from functions.runtime.ports import EventStore, Publisher, ReadModels
from functions.runtime.topics import topic_of_category
from tests.conftest import Emulators

ADAPTERS = ["memory", "emulators", "emulators-rest"]
_subscription_names = itertools.count()


@dataclass
class Adapters:
    store: EventStore
    read_models: ReadModels
    publisher: Publisher
    # What reached the bus, as a subscriber would receive it.
    received: Callable[[], list[Envelope]]


def memory_adapters() -> Adapters:
    store = MemoryEventStore()
    publisher = MemoryPublisher()
    return Adapters(store, MemoryReadModels(store), publisher, lambda: list(publisher.published))


def emulator_adapters(emulators: Emulators, rest: bool = False) -> Adapters:
    from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client
    from functions.runtime.pubsub import PubSubPublisher
    from infra.local import emulators as admin

    admin.reset_firestore(emulators.firestore_host, emulators.project)
    db = client(emulators.project)
    store = FirestoreEventStore(db)
    # A fresh pull subscription per test sees only what this test publishes.
    subscriptions = []
    for category in CATEGORIES:
        topic = topic_of_category(category)
        admin.create_topic(emulators.pubsub_host, emulators.project, topic, exist_ok=True)
        name = f"contract-{category}-{next(_subscription_names)}"
        admin.create_pull_subscription(emulators.pubsub_host, emulators.project, name, topic)
        subscriptions.append(name)

    def received() -> list[Envelope]:
        """Every subscription polled in rounds: done at the first round that brings nothing
        after something came, or after 2 s of nothing (waiting 2 s per subscription in turn
        made a test of nothing take 30 s)."""
        got: list[Envelope] = []
        deadline = time.monotonic() + 2.0
        while True:
            batch = [
                message
                for name in subscriptions
                for message in admin.pull(
                    emulators.pubsub_host, emulators.project, name, 100, wait=0
                )
            ]
            got += [Envelope.from_json(m.data) for m in batch]
            if (got and not batch) or time.monotonic() >= deadline:
                return got
            time.sleep(0.05)

    publisher = PubSubPublisher(emulators.project, emulator_host=emulators.pubsub_host)
    if rest:  # the REST adapters over the same emulator (functions/runtime/firestore_rest.py)
        from functions.runtime.firestore_rest import rest_adapters

        rest_store, rest_models = rest_adapters(emulators.project)
        return Adapters(rest_store, rest_models, publisher, received)
    return Adapters(store, FirestoreReadModels(db, store), publisher, received)


@pytest.fixture(params=ADAPTERS)
def adapters(request: pytest.FixtureRequest) -> Iterator[Adapters]:
    if request.param == "memory":
        yield memory_adapters()
    else:
        rest = request.param == "emulators-rest"
        yield emulator_adapters(request.getfixturevalue("emulators"), rest=rest)
