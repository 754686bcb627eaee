"""The composition root: the one place that chooses adapters. Nothing connects at import."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from events import Envelope
from functions.projections import PROJECTIONS
from functions.projections.base import Projection
from functions.providers.base import Rail
from functions.reactors import REACTORS
from functions.reactors.base import Reactor
from functions.runtime.memory import (
    MemoryEventStore,
    MemoryPublisher,
    MemoryReadModels,
    SystemClock,
    UuidIds,
)
from functions.runtime.pipeline import Pipeline
from functions.runtime.ports import Clock, EventStore, Ids, Publisher, ReadModels
from functions.runtime.reacting import react_to
from functions.runtime.settings import Settings
from functions.runtime.state_cache import StateCache

if TYPE_CHECKING:
    from functions.telegram.bot_api import Bot


@dataclass
class Runtime:
    settings: Settings
    store: EventStore
    publisher: Publisher
    read_models: ReadModels
    clock: Clock = field(default_factory=SystemClock)
    ids: Ids = field(default_factory=UuidIds)
    # The configured payment rails by name, built on first use (tests install fakes here).
    rail_overrides: Mapping[str, Rail] | None = None
    # The out-of-band Bot API client, built on first use (tests install a fake here).
    bot_override: Bot | None = None
    _rails: Mapping[str, Rail] | None = field(default=None, repr=False)
    _bot: Bot | None = field(default=None, repr=False)
    # Folded aggregate states, kept while the instance is warm (runtime/state_cache.py).
    state_cache: StateCache = field(default_factory=StateCache, repr=False)

    def rails(self) -> Mapping[str, Rail]:
        """Only configured rails: the bot never offers a rail it cannot collect on."""
        if self.rail_overrides is not None:
            return self.rail_overrides
        if self._rails is None:
            from functions.providers.registry import configured_rails

            self._rails = configured_rails(self)
        return self._rails

    def bot(self) -> Bot:
        """The Bot API for calls that are not a webhook answer (notifications, refunds)."""
        if self.bot_override is not None:
            return self.bot_override
        if self._bot is None:
            from functions.telegram.bot_api import HttpBot

            token = self.settings.secret("bot_token")
            self._bot = HttpBot(self.settings.telegram_api_base, token)
        return self._bot

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline(
            store=self.store,
            publisher=self.publisher,
            clock=self.clock,
            ids=self.ids,
            cache=self.state_cache,
        )


def build(settings: Settings) -> Runtime:
    """Adapters for the configured backend."""
    if settings.backend == "memory":
        return _memory(settings)
    # Imported here so entry points that never touch Google Cloud do not pay for its import.
    from functions.runtime.google import google_adapters

    store, publisher, read_models = google_adapters(settings)
    return Runtime(settings=settings, store=store, publisher=publisher, read_models=read_models)


def _memory(settings: Settings) -> Runtime:
    store = MemoryEventStore()
    publisher = MemoryPublisher()
    read_models = MemoryReadModels(store)
    # In one process the bus is a function call: project every event as it is published.
    publisher.subscribers.extend(_projecting(read_models, p) for p in PROJECTIONS)
    rt = Runtime(settings=settings, store=store, publisher=publisher, read_models=read_models)
    publisher.subscribers.extend(_reacting(rt, r) for r in REACTORS)
    return rt


def _projecting(read_models: ReadModels, projection: Projection) -> Callable[[Envelope], None]:
    def deliver(envelope: Envelope) -> None:
        if projection.feeds_on(envelope):
            read_models.apply(projection, envelope)

    return deliver


def _reacting(rt: Runtime, reactor: Reactor) -> Callable[[Envelope], None]:
    def deliver(envelope: Envelope) -> None:
        react_to(rt.pipeline, reactor, envelope)

    return deliver


_lock = threading.Lock()
_current: Runtime | None = None


def runtime() -> Runtime:
    """The process's runtime, built on first use and reused while the instance is warm."""
    global _current
    with _lock:
        if _current is None:
            _current = build(Settings())  # read from the environment
        return _current


def install(replacement: Runtime | None) -> None:
    """Use these adapters from now on (tests); None forgets them."""
    global _current
    with _lock:
        _current = replacement
