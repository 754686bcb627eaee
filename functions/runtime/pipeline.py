"""The command pipeline: load -> evolve -> decide -> append -> publish.

A conflict means another instance appended first; we reload and decide again, a bounded
number of times with jitter, so two buyers of one item are serialised by the store and
never both succeed.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from events import Envelope, Event, decode, encode
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import SnapshotUnreadable
from functions.runtime.ports import (
    Appended,
    Clock,
    ConcurrencyConflict,
    EventStore,
    Ids,
    Publisher,
    PublishFailed,
    Snapshot,
)
from functions.runtime.state_cache import Folded, StateCache

log = logging.getLogger(__name__)
S = TypeVar("S")
# A snapshot's text stays well under Firestore's 1 MiB per document; a state bigger than this
# is not snapshotted (its stream is folded as before) rather than failing the append.
MAX_SNAPSHOT_CHARS = 512 * 1024


@dataclass(frozen=True)
class Trace:
    """Why a command runs: the idempotency key of its cause and the user journey it is in."""

    idempotency_key: str | None = None
    causation_id: str | None = None
    correlation_id: str | None = None


@dataclass
class Pipeline:
    store: EventStore
    publisher: Publisher
    clock: Clock
    ids: Ids
    max_attempts: int = 8
    sleep: Callable[[float], None] = field(default=time.sleep)
    # States this instance folded before: a command then reads only the newer events.
    cache: StateCache | None = None

    def execute(
        self, decider: Decider[Any, Any], stream: str, command: object, trace: Trace = Trace()
    ) -> Appended:
        """Decide `command` on `stream`; a repeated idempotency key returns the first outcome.

        The key is not looked up first: the append records it atomically and reports a
        repeat, which saves a round trip on every first delivery (the common case). Only a
        refusal asks whether it was a repeat, since the first delivery may have changed the
        state it is decided on. Domain refusals raise `DomainError` and write nothing.
        """
        refused_at: int | None = None
        for attempt in range(self.max_attempts):
            version, state = self._state(decider, stream)
            if version == refused_at and self.cache is not None:
                # The store refused this very version and showed nothing newer: the cached
                # fold is ahead of the store (restored from a backup, or reset), so it goes.
                self.cache.drop(decider, stream)
                version, state = self._state(decider, stream)
            try:
                new_events = decider.decide(state, command)
            except DomainError:
                earlier = self._earlier(trace)
                if earlier is not None:
                    return earlier
                raise
            envelopes = self._envelopes(stream, version, new_events, trace)
            after = _evolved(decider, state, new_events)
            snapshot = self._snapshot(decider, version + len(new_events), after, new_events)
            try:
                appended = self.store.append(
                    stream, version, envelopes, trace.idempotency_key, snapshot=snapshot
                )
            except ConcurrencyConflict:
                refused_at = version
                self._back_off(attempt)
                continue
            if not appended.duplicate:
                self.publish(appended)
                if self.cache is not None and new_events:
                    # The next command on this stream reads nothing old.
                    self.cache.put(decider, stream, Folded(version + len(new_events), after))
            return appended
        raise ConcurrencyConflict(f"{stream}: gave up after {self.max_attempts} attempts")

    def current(self, decider: Decider[S, Any], stream: str) -> S:
        """The aggregate's state now, for reads that decide nothing (prices, an answer)."""
        state: S = self._state(decider, stream)[1]
        return state

    def _state(self, decider: Decider[Any, Any], stream: str) -> tuple[int, Any]:
        """(version, state) now: from the cached fold (or else the stored snapshot) plus the
        events after it, if any."""
        known = self.cache.get(decider, stream) if self.cache is not None else None
        if known is not None:
            version, state = known.version, known.state
            newer = self.store.load(stream, after=version)
        elif decider.snapshots is not None:
            version, state, newer = self._restored(decider, stream)
        else:
            version, state = 0, decider.initial
            newer = self.store.load(stream)
        for envelope in newer:
            state = decider.evolve(state, decode(envelope))
        if newer:
            version = newer[-1].version
            if self.cache is not None:
                self.cache.put(decider, stream, Folded(version, state))
        return version, state

    def _restored(self, decider: Decider[Any, Any], stream: str) -> tuple[int, Any, list[Envelope]]:
        """A cold read: the head's snapshot, if our fold made it, and the events after it."""
        assert decider.snapshots is not None
        latest = self.store.load_latest(stream, decider.snapshots.fold)
        if latest.snapshot is None:
            return 0, decider.initial, latest.events
        try:
            state = decider.snapshots.load(latest.snapshot.state)
        except SnapshotUnreadable:
            # Same fold name, other shape: cannot happen unless the fingerprint missed a change.
            log.warning("unreadable snapshot ignored", extra={"stream": stream})
            return 0, decider.initial, self.store.load(stream)
        return latest.snapshot.version, state, latest.events

    def _snapshot(
        self, decider: Decider[Any, Any], version: int, state: Any, new: Sequence[Event]
    ) -> Snapshot | None:
        """The state our append leaves, to keep with the head (deciders that opt in)."""
        if decider.snapshots is None or not new:
            return None
        text = decider.snapshots.dump(state)
        if len(text) > MAX_SNAPSHOT_CHARS:
            return None
        return Snapshot(version, decider.snapshots.fold, text)

    def _earlier(self, trace: Trace) -> Appended | None:
        key = trace.idempotency_key
        return self.store.recorded(key) if key is not None else None

    def publish(self, appended: Appended) -> None:
        """Publish and mark; on failure the events stay unpublished for the relay job."""
        if not appended.events:
            return
        try:
            self.publisher.publish(appended.events)
        except PublishFailed:
            log.warning("publish failed; relay will retry", extra={"stream": appended.stream})
            return
        self.store.mark_published(appended.events)

    def _envelopes(self, stream: str, version: int, events: Any, trace: Trace) -> list[Envelope]:
        now = self.clock.now()
        envelopes = []
        for offset, event in enumerate(events, start=1):
            type_name, data = encode(event)
            envelopes.append(
                Envelope(
                    event_id=self.ids.new_id(),
                    stream=stream,
                    version=version + offset,
                    type=type_name,
                    occurred_at=now,
                    causation_id=trace.causation_id,
                    correlation_id=trace.correlation_id,
                    data=data,
                )
            )
        return envelopes

    def _back_off(self, attempt: int) -> None:
        # Full jitter: spreads competing instances out instead of colliding again in step.
        self.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))  # noqa: S311


def _evolved(decider: Decider[Any, Any], state: Any, events: Sequence[Event]) -> Any:
    for event in events:
        state = decider.evolve(state, event)
    return state
