"""The command pipeline: load -> evolve -> decide -> append -> publish.

A conflict means another instance appended first; we reload and decide again, a bounded
number of times with jitter, so two buyers of one item are serialised by the store and
never both succeed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from events import Envelope, Event, decode, encode
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import SnapshotUnreadable
from functions.runtime.outbox import Outbox
from functions.runtime.ports import (
    NO_HEAD,
    Appended,
    Clock,
    ConcurrencyConflict,
    EventStore,
    Ids,
    Latest,
    LatestOf,
    Publisher,
    PublishFailed,
    Snapshot,
)
from functions.runtime.state_cache import Folded, StateCache

log = logging.getLogger(__name__)
S = TypeVar("S")
T = TypeVar("T")
# A snapshot's text stays well under Firestore's 1 MiB per document; a state bigger than this
# is not snapshotted (its stream is folded as before) rather than failing the append.
MAX_SNAPSHOT_CHARS = 512 * 1024


@dataclass(frozen=True)
class Trace:
    """Why a command runs: the idempotency key of its cause and the user journey it is in."""

    idempotency_key: str | None = None
    causation_id: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class Basis:
    """What a command is decided on: a stream's state at a version, and the head token the
    append may use instead of reading the head (None: the store reads it). `fresh`: read
    from the store just now, rather than trusted from this instance's own last append."""

    version: int
    state: Any
    head: object | None
    fresh: bool


class PendingMarks:
    """Events this instance published whose published mark rides in its next append."""

    def __init__(self, per_append: int = 100) -> None:
        self._per_append = per_append  # the batch also holds the append's own writes
        self._lock = threading.Lock()
        self._events: deque[Envelope] = deque()

    def add(self, events: Sequence[Envelope]) -> None:
        with self._lock:
            self._events.extend(events)

    def take(self, most: int | None = None) -> tuple[Envelope, ...]:
        with self._lock:
            count = min(self._per_append if most is None else most, len(self._events))
            return tuple(self._events.popleft() for _ in range(count))

    def put_back(self, events: Sequence[Envelope]) -> None:
        with self._lock:
            self._events.extendleft(reversed(events))

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


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
    marks: PendingMarks = field(default_factory=PendingMarks)
    # Where publishes go to overlap the next commit (functions/runtime/outbox.py); None
    # publishes in line (the memory bus delivers as it publishes, so it stays in line).
    outbox: Outbox | None = None

    def execute(
        self,
        decider: Decider[Any, Any],
        stream: str,
        command: object,
        trace: Trace = Trace(),
        *,
        new_stream: bool = False,
    ) -> Appended:
        """Decide `command` on `stream`; a repeated idempotency key returns the first outcome.

        The key is not looked up first: the append records it atomically and reports a
        repeat, which saves a round trip on every first delivery (the common case). Only a
        refusal asks whether it was a repeat, since the first delivery may have changed the
        state it is decided on. Domain refusals raise `DomainError` and write nothing.

        A state this instance's own last append left is decided on without reading the
        store: the append's head precondition fails if anyone appended since, and then the
        command is decided again on state read now. A refusal, or a decision to write
        nothing, is only ever taken on state read now, so a stale cache costs a retry, never
        a wrong "no". `new_stream` (a stream named by an id made for it) is decided on the
        initial state the same way, without a read.
        """
        refused_at: int | None = None
        trust_cache = True
        for attempt in range(self.max_attempts):
            if new_stream and trust_cache and not self._cached(decider, stream):
                basis = Basis(0, decider.initial, NO_HEAD, fresh=False)
            else:
                basis = self._basis(decider, stream, trust_cache)
            if basis.fresh and basis.version == refused_at and self.cache is not None:
                # The store refused this very version and showed nothing newer: the cached
                # fold is ahead of the store (restored from a backup, or reset), so it goes.
                self.cache.drop(decider, stream)
                basis = self._basis(decider, stream, trust_cache=False)
            try:
                new_events = decider.decide(basis.state, command)
            except DomainError:
                if not basis.fresh:
                    trust_cache = False
                    continue
                earlier = self._earlier(trace)
                if earlier is not None:
                    return earlier
                raise
            if not new_events and not basis.fresh:
                # "Nothing to do" is a refusal too, and no head precondition guards an
                # append without events: decide it again on state read now.
                trust_cache = False
                continue
            after = _evolved(decider, basis.state, new_events)
            try:
                appended = self._append(decider, stream, basis, new_events, after, trace)
            except ConcurrencyConflict:
                refused_at = basis.version
                if basis.fresh:
                    self._back_off(attempt)  # contention; a stale cache retries at once
                trust_cache = False
                continue
            if not appended.duplicate:
                self.publish(appended)
                if self.cache is not None and new_events:
                    # The next command on this stream reads nothing.
                    folded = Folded(basis.version + len(new_events), after, appended.head)
                    self.cache.put(decider, stream, folded)
            return appended
        raise ConcurrencyConflict(f"{stream}: gave up after {self.max_attempts} attempts")

    def _append(
        self,
        decider: Decider[Any, Any],
        stream: str,
        basis: Basis,
        new_events: Sequence[Event],
        after: Any,
        trace: Trace,
    ) -> Appended:
        """Append what was decided (leaving the state `after`), carrying the published marks
        that wait for a write."""
        envelopes = self._envelopes(stream, basis.version, new_events, trace)
        snapshot = self._snapshot(decider, basis.version + len(new_events), after, new_events)
        marks = self.marks.take()
        try:
            appended = self.store.append(
                stream,
                basis.version,
                envelopes,
                trace.idempotency_key,
                snapshot=snapshot,
                head=basis.head,
                marks=marks,
            )
        except BaseException:
            self.marks.put_back(marks)
            raise
        if appended.duplicate:  # the store wrote nothing, marks included
            self.marks.put_back(marks)
        return appended

    def current(self, decider: Decider[S, Any], stream: str) -> S:
        """The aggregate's state now, for reads that decide nothing (prices, an answer)."""
        state: S = self._basis(decider, stream, trust_cache=False).state
        return state

    def current_both(
        self, first: tuple[Decider[S, Any], str], second: tuple[Decider[T, Any], str]
    ) -> tuple[S, T]:
        """The states now of two aggregates, for reads that decide nothing: both heads are
        read in one round trip, and only a stream that moved costs another read."""
        one, other = self._current_many([first, second])
        return one, other

    def _current_many(self, wanted: Sequence[tuple[Decider[Any, Any], str]]) -> list[Any]:
        known = [self.cache.get(d, s) if self.cache is not None else None for d, s in wanted]
        asked = [
            LatestOf(stream, _fold(decider), seen.version if seen is not None else 0)
            for (decider, stream), seen in zip(wanted, known, strict=True)
        ]
        latest = self.store.load_latest_many(asked)
        return [
            self._from_latest(decider, stream, found, seen).state
            for (decider, stream), found, seen in zip(wanted, latest, known, strict=True)
        ]

    def _from_latest(
        self, decider: Decider[Any, Any], stream: str, latest: Latest, known: Folded | None
    ) -> Basis:
        """The state a `load_latest_many` answer gives, on top of what this instance knew."""
        if latest.snapshot is None and known is not None:
            version, state = known.version, known.state
        else:
            restored = self._snapshot_state(decider, stream, latest)
            if restored is None:  # unreadable: fold the whole stream, as a cold read does
                return self._basis(decider, stream, trust_cache=False)
            version, state = restored
        for envelope in latest.events:
            state = decider.evolve(state, decode(envelope))
        if latest.events:
            version = latest.events[-1].version
        # Folded up to the head as read: its token is good for this instance's next append.
        if self.cache is not None:
            self.cache.put(decider, stream, Folded(version, state, latest.head))
        return Basis(version, state, latest.head, fresh=True)

    def known(self, decider: Decider[S, Any], stream: str) -> S:
        """The state as this instance last wrote or read the head, without a read if it has
        one; else the state now. For answering what a command just did, never to decide."""
        cached = self.cache.get(decider, stream) if self.cache is not None else None
        if cached is not None and cached.head is not None:
            state: S = cached.state
            return state
        return self.current(decider, stream)

    def _cached(self, decider: Decider[Any, Any], stream: str) -> bool:
        return self.cache is not None and self.cache.get(decider, stream) is not None

    def _basis(self, decider: Decider[Any, Any], stream: str, trust_cache: bool) -> Basis:
        """The state to decide on: the cached fold as our own append left it (trusted, with
        its head token), or else the cached fold or the stored snapshot plus newer events."""
        known = self.cache.get(decider, stream) if self.cache is not None else None
        if known is not None and trust_cache and known.head is not None:
            return Basis(known.version, known.state, known.head, fresh=False)
        head: object | None = None
        if known is not None:
            version, state = known.version, known.state
            newer = self.store.load(stream, after=version)
            if not newer:
                head = known.head  # nothing newer: the head is as the token says
        else:
            version, state, newer, head = self._restored(decider, stream)
        for envelope in newer:
            state = decider.evolve(state, decode(envelope))
        if newer:
            version = newer[-1].version
        if self.cache is not None and (newer or known is None):
            self.cache.put(decider, stream, Folded(version, state, head))
        return Basis(version, state, head, fresh=True)

    def _restored(
        self, decider: Decider[Any, Any], stream: str
    ) -> tuple[int, Any, list[Envelope], object | None]:
        """A cold read of the head (its snapshot, if our fold made it) and the events after."""
        latest = self.store.load_latest(stream, _fold(decider))
        restored = self._snapshot_state(decider, stream, latest)
        if restored is None:
            return 0, decider.initial, self.store.load(stream), None
        version, state = restored
        return version, state, latest.events, latest.head

    def _snapshot_state(
        self, decider: Decider[Any, Any], stream: str, latest: Latest
    ) -> tuple[int, Any] | None:
        """The state `latest`'s snapshot holds (the initial one without a snapshot), or None
        when it cannot be read."""
        if latest.snapshot is None or decider.snapshots is None:
            return 0, decider.initial
        try:
            return latest.snapshot.version, decider.snapshots.load(latest.snapshot.state)
        except SnapshotUnreadable:
            # Same fold name, other shape: cannot happen unless the fingerprint missed a change.
            log.warning("unreadable snapshot ignored", extra={"stream": stream})
            return None

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
        """Publish (beside the request, with an outbox) and leave the mark pending; on failure
        the events stay unpublished for the relay job."""
        if not appended.events:
            return
        if self.outbox is not None:
            self.outbox.submit(lambda: self._publish_now(appended))
        else:
            self._publish_now(appended)

    def _publish_now(self, appended: Appended) -> None:
        try:
            self.publisher.publish(appended.events)
        except PublishFailed:
            log.warning("publish failed; relay will retry", extra={"stream": appended.stream})
            return
        # Marked in this instance's next append, or at the end of the request by
        # Runtime.settle_marks: one write per request, not one per command.
        self.marks.add(appended.events)

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


def _fold(decider: Decider[Any, Any]) -> str:
    """The name of the snapshots the decider reads ("" for one that keeps none)."""
    return decider.snapshots.fold if decider.snapshots is not None else ""
