"""The composition root: the one place that chooses adapters. Nothing connects at import."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from events import Envelope
from functions.runtime.env_settings import EnvSettings
from functions.runtime.memory import (
    MemoryEventStore,
    MemoryPublisher,
    MemoryReadModels,
    SystemClock,
    UuidIds,
)
from functions.runtime.outbox import Outboxes
from functions.runtime.pipeline import PendingMarks, Pipeline, Trace
from functions.runtime.ports import (
    Appended,
    Clock,
    EventStore,
    Ids,
    Publisher,
    ReadModels,
    StoreError,
)
from functions.runtime.reacting import follow_inline, react_to
from functions.runtime.settings import Settings
from functions.runtime.state_cache import StateCache

log = logging.getLogger(__name__)
# The longest a request waits for its publishes before answering; each publish has its own
# timeout and retries well inside this (functions/runtime/pubsub.py).
OUTBOX_DRAIN_S = 30.0

if TYPE_CHECKING:
    from functions.contexts import Registry
    from functions.domain.decider import Decider
    from functions.payments.health import RailHealth
    from functions.providers.base import Rail
    from functions.providers.shared import ProviderShared
    from functions.telegram.bot_api import Bot
    from functions.telegram.throttle import Throttle

S = TypeVar("S", bound=EnvSettings)


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
    # Each rail's recent outcomes and its breaker, shared by instances (tests install one).
    health_override: RailHealth | None = None
    _rails: Mapping[str, Rail] | None = field(default=None, repr=False)
    _health: RailHealth | None = field(default=None, repr=False)
    _providers: ProviderShared | None = field(default=None, repr=False)
    _bot: Bot | None = field(default=None, repr=False)
    _throttle: Throttle | None = field(default=None, repr=False)
    # Folded aggregate states, kept while the instance is warm (runtime/state_cache.py).
    state_cache: StateCache = field(default_factory=StateCache, repr=False)
    # Published events whose marks ride in this instance's next append (runtime/pipeline.py).
    pending_marks: PendingMarks = field(default_factory=PendingMarks, repr=False)
    # Per request thread, publishing beside the request (runtime/outbox.py); None: in line.
    outboxes: Outboxes | None = field(default=None, repr=False)
    # The contexts' own settings classes, each read from the environment once (tests may
    # install values here).
    context_settings: dict[type[EnvSettings], EnvSettings] = field(default_factory=dict)
    # The bounded contexts this runtime serves (functions/contexts/); tests may add one.
    registry_override: Registry | None = None

    def registry(self) -> Registry:
        if self.registry_override is not None:
            return self.registry_override
        from functions.contexts import REGISTRY

        return REGISTRY

    def settings_of(self, kind: type[S]) -> S:
        """A context's settings (a SOKO_* EnvSettings class it declares), read once."""
        if kind not in self.context_settings:
            self.context_settings[kind] = kind.from_env()
        found = self.context_settings[kind]
        assert isinstance(found, kind)
        return found

    def rails(self) -> Mapping[str, Rail]:
        """Only configured rails: the bot never offers a rail it cannot collect on."""
        if self.rail_overrides is not None:
            return self.rail_overrides
        if self._rails is None:
            from functions.providers.registry import configured_rails

            self._rails = configured_rails(self)
        return self._rails

    def health(self) -> RailHealth:
        """The rails' health (functions/payments/health.py), on Firestore when deployed."""
        if self.health_override is not None:
            return self.health_override
        if self._health is None:
            from functions.payments.health import MemoryBoard, RailHealth, firestore_board

            settings = self.settings
            if settings.backend == "firestore":
                board = firestore_board(settings.project(), settings.firestore_client)
            else:
                board = MemoryBoard()
            self._health = RailHealth(board)
        return self._health

    def providers(self) -> ProviderShared:
        """The rails' tokens and call quotas, shared by every instance (one per runtime)."""
        if self._providers is None:
            from functions.providers.shared import provider_shared

            backend = self.settings.backend
            project = self.settings.project() if backend == "firestore" else ""
            client = self.settings.firestore_client
            self._providers = provider_shared(backend, project, client)
        return self._providers

    def bot(self) -> Bot:
        """The Bot API for calls that are not a webhook answer (notifications, refunds)."""
        if self.bot_override is not None:
            return self.bot_override
        if self._bot is None:
            from functions.telegram.bot_api import HttpBot

            token = self.settings.secret("bot_token")
            self._bot = HttpBot(self.settings.telegram_api_base, token)
        return self._bot

    def throttle(self) -> Throttle | None:
        """The per-user rate limit of this process (SOKO_RATE_PER_MINUTE), None when off."""
        per_minute = self.settings.rate_per_minute
        if per_minute is None:
            return None
        if self._throttle is None:
            from functions.telegram.throttle import Throttle

            self._throttle = Throttle(per_minute, self.settings.rate_burst)
        return self._throttle

    def execute(
        self, decider: Decider[Any, Any], stream: str, command: object, trace: Trace
    ) -> Appended:
        """Decide a command, then follow the reactions the contexts run inline after it
        (the checkout saga), so the answer to the user can show their outcome."""
        appended = self.pipeline.execute(decider, stream, command, trace)
        self.follow(appended.events)
        return appended

    def settle_marks(self) -> None:
        """Wait for this request's publishes, then mark published, in one write, what this
        instance published and no append has marked yet; a failure leaves them to the relay,
        which republishes after its grace period (a duplicate, never a loss)."""
        if self.outboxes is not None:
            self.outboxes.current().drain(OUTBOX_DRAIN_S)
        pending = self.pending_marks.take(len(self.pending_marks))
        if not pending:
            return
        try:
            self.store.mark_published(pending)
        except StoreError:
            log.warning("could not mark %d published events; the relay will", len(pending))

    def follow(self, events: tuple[Envelope, ...]) -> list[Envelope]:
        """The inline reactions to `events`, and to theirs, here and now; what they wrote."""
        return follow_inline(self.pipeline, self.registry().inline_for, events)

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline(
            store=self.store,
            publisher=self.publisher,
            clock=self.clock,
            ids=self.ids,
            cache=self.state_cache,
            marks=self.pending_marks,
            outbox=self.outboxes.current() if self.outboxes is not None else None,
        )


def build(settings: Settings, registry: Registry | None = None) -> Runtime:
    """Adapters for the configured backend, serving the contexts (by default, all of them)."""
    if settings.backend == "memory":
        return _memory(settings, registry)
    # Imported here so entry points that never touch Google Cloud do not pay for its import.
    from functions.runtime.google import google_adapters

    store, publisher, read_models = google_adapters(settings)
    rt = Runtime(
        settings=settings,
        store=store,
        publisher=publisher,
        read_models=read_models,
        registry_override=registry,
        outboxes=Outboxes(),
    )
    if settings.clock_offset_file:  # the local stack, to watch expiries (never deployed)
        from functions.runtime.offset_clock import OffsetClock

        rt.clock = OffsetClock(settings.clock_offset_file)
    return rt


def _memory(settings: Settings, registry: Registry | None) -> Runtime:
    store = MemoryEventStore()
    publisher = MemoryPublisher()
    read_models = MemoryReadModels(store)
    rt = Runtime(
        settings=settings,
        store=store,
        publisher=publisher,
        read_models=read_models,
        registry_override=registry,
    )
    # In one process the bus is a function call: project every event as it is published,
    # then react to it, as the deployed subscribers would. The contexts' members are
    # imported at the first publish, not here: an instance that never publishes (a
    # projection's) never imports the other contexts' read models and reactors.
    publisher.subscribers.append(_delivering(rt))
    return rt


def _delivering(rt: Runtime) -> Callable[[Envelope], None]:
    def deliver(envelope: Envelope) -> None:
        served = rt.registry()
        for projection in served.projections:
            if projection.feeds_on(envelope):
                rt.read_models.apply(projection, envelope)
        for reactor in served.reactors:
            react_to(rt.pipeline, reactor, envelope)

    return deliver


_lock = threading.Lock()
_current: Runtime | None = None


def runtime() -> Runtime:
    """The process's runtime, built on first use and reused while the instance is warm."""
    global _current
    with _lock:
        if _current is None:
            _current = build(Settings.from_env())
        return _current


def settle_marks() -> None:
    """The end of a request: the marks its publishes left pending, if a runtime was built."""
    with _lock:
        current = _current
    if current is not None:
        current.settle_marks()


def install(replacement: Runtime | None) -> None:
    """Use these adapters from now on (tests); None forgets them."""
    global _current
    with _lock:
        _current = replacement
