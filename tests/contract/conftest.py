"""One contract suite per port, run against every adapter.

An adapter joins by adding a name to ADAPTERS and a branch to `make_adapters`; every test in
this folder then runs against it too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from events import Envelope
from functions.runtime.memory import MemoryEventStore, MemoryPublisher, MemoryReadModels
from functions.runtime.ports import EventStore, Publisher, ReadModels

ADAPTERS = ["memory"]


@dataclass
class Adapters:
    store: EventStore
    read_models: ReadModels
    publisher: Publisher
    # What reached the bus, as a subscriber would receive it.
    received: Callable[[], list[Envelope]]


def make_adapters(name: str) -> Iterator[Adapters]:
    if name == "memory":
        store = MemoryEventStore()
        publisher = MemoryPublisher()
        yield Adapters(store, MemoryReadModels(store), publisher, lambda: list(publisher.published))
        return
    raise ValueError(f"unknown adapter {name}")


@pytest.fixture(params=ADAPTERS)
def adapters(request: pytest.FixtureRequest) -> Iterator[Adapters]:
    yield from make_adapters(request.param)
