"""In-process adapters with the same contracts (and the same errors) as the real ones."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from events import Envelope
from functions.projections.base import Projection, advance
from functions.runtime.ports import (
    NO_HEAD,
    Appended,
    ConcurrencyConflict,
    EventStore,
    Latest,
    LatestOf,
    PublishFailed,
    Snapshot,
)
from functions.runtime.validation import check_append_request


class MemoryEventStore:
    """Streams, idempotency records and the unpublished set, guarded by one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[str, list[Envelope]] = {}
        self._keys: dict[str, tuple[str, tuple[int, ...]]] = {}
        self._unpublished: dict[str, Envelope] = {}
        self._snapshots: dict[str, Snapshot] = {}

    def load(self, stream: str, after: int = 0, up_to: int | None = None) -> list[Envelope]:
        # A stream's list is dense (append checks the expected version): version v is at
        # index v - 1, so a tail is a slice, not a scan of the whole stream.
        with self._lock:
            events = self._streams.get(stream, [])
            return events[max(after, 0) : None if up_to is None else max(up_to, 0)]

    def append(
        self,
        stream: str,
        expected_version: int,
        events: Sequence[Envelope],
        idempotency_key: str | None = None,
        snapshot: Snapshot | None = None,
        head: object | None = None,
        marks: Sequence[Envelope] = (),
    ) -> Appended:
        check_append_request(stream, expected_version, events, idempotency_key, snapshot)
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._keys:
                return self._outcome(idempotency_key)
            current = self._streams.setdefault(stream, [])
            if events and len(current) != expected_version:
                raise ConcurrencyConflict(
                    f"{stream}: expected {expected_version}, at {len(current)}"
                )
            if events and head is not None and head != _head(current):
                raise ConcurrencyConflict(f"{stream}: the head moved since {head!r}")
            current.extend(events)
            for event in marks:
                self._unpublished.pop(event.event_id, None)
            if snapshot is not None:
                self._snapshots[stream] = snapshot
            for event in events:
                self._unpublished[event.event_id] = event
            if idempotency_key is not None:
                self._keys[idempotency_key] = (stream, tuple(e.version for e in events))
            return Appended(stream, tuple(events), head=_head(current))

    def load_latest(self, stream: str, fold: str) -> Latest:
        return self.load_latest_many([LatestOf(stream, fold)])[0]

    def load_latest_many(self, wanted: Sequence[LatestOf]) -> list[Latest]:
        with self._lock:
            return [self._latest(w) for w in wanted]

    def _latest(self, wanted: LatestOf) -> Latest:
        snapshot = self._snapshots.get(wanted.stream)
        usable = snapshot if snapshot is not None and snapshot.fold == wanted.fold else None
        if usable is not None and usable.version <= wanted.after:
            usable = None  # the caller's own fold is as new
        start = usable.version if usable is not None else wanted.after
        events = self._streams.get(wanted.stream, [])
        return Latest(usable, events[max(start, 0) :], head=_head(events))

    def recorded(self, idempotency_key: str) -> Appended | None:
        with self._lock:
            return self._outcome(idempotency_key) if idempotency_key in self._keys else None

    def is_recorded(self, idempotency_key: str) -> bool:
        with self._lock:
            return idempotency_key in self._keys

    def unpublished(self, limit: int, before: datetime | None = None) -> list[Envelope]:
        with self._lock:
            pending = sorted(self._unpublished.values(), key=lambda e: (e.occurred_at, e.version))
        if before is not None:
            pending = [e for e in pending if e.occurred_at < before]
        return pending[:limit]

    def mark_published(self, events: Sequence[Envelope]) -> None:
        with self._lock:
            for event in events:
                self._unpublished.pop(event.event_id, None)

    def streams(self, category: str = "") -> list[str]:
        """Every stream name of a category (all of them without one)."""
        prefix = f"{category}-" if category else ""
        with self._lock:
            return sorted(
                s for s, events in self._streams.items() if events and s.startswith(prefix)
            )

    def _outcome(self, key: str) -> Appended:
        stream, versions = self._keys[key]
        by_version = {e.version: e for e in self._streams.get(stream, [])}
        return Appended(stream, tuple(by_version[v] for v in versions), duplicate=True)


def _head(events: Sequence[Envelope]) -> object:
    """The head token of a memory stream: its length, which every append changes."""
    return len(events) if events else NO_HEAD


class MemoryPublisher:
    """Records what was published and hands each event to in-process subscribers."""

    def __init__(self) -> None:
        self.published: list[Envelope] = []
        self.subscribers: list[Callable[[Envelope], None]] = []
        self.fail_next = 0  # fault injection: how many publish calls to refuse

    def publish(self, events: Sequence[Envelope]) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise PublishFailed("memory publisher told to fail")
        self.published.extend(events)
        for event in events:
            for subscriber in self.subscribers:
                subscriber(event)


class MemoryReadModels:
    """Per-stream documents with their applied version, catching up from the store on a gap."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._docs: dict[str, dict[str, dict[str, Any]]] = {}

    def apply(self, projection: Projection, envelope: Envelope) -> int:
        doc_id = projection.doc_id(envelope.stream)
        with self._lock:
            collection = self._docs.setdefault(projection.collection, {})
            new_doc, applied = advance(
                projection, collection.get(doc_id), envelope, self._load_missing
            )
            if new_doc is not None:
                collection[doc_id] = new_doc
            return applied

    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._docs.get(collection, {}).get(doc_id)
            return dict(doc) if doc is not None else None

    def all(self, collection: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {k: dict(v) for k, v in self._docs.get(collection, {}).items()}

    def find(self, collection: str, field: str, value: Any, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            docs = self._docs.get(collection, {}).values()
            return [dict(d) for d in docs if field in d and d[field] == value][:limit]

    def find_due(
        self, collection: str, field: str, cutoff: datetime, limit: int
    ) -> list[dict[str, Any]]:
        with self._lock:
            docs = self._docs.get(collection, {}).values()
            due = [d for d in docs if isinstance(d.get(field), datetime) and d[field] <= cutoff]
            return [dict(d) for d in sorted(due, key=lambda d: d[field])][:limit]

    def top(
        self, collection: str, field: str, where: Mapping[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        ranked = sorted(self._matching(collection, field, where), key=lambda d: -d[field])
        return ranked[:limit]

    def count_above(self, collection: str, field: str, value: int, where: Mapping[str, Any]) -> int:
        return sum(1 for d in self._matching(collection, field, where) if d[field] > value)

    def _matching(
        self, collection: str, field: str, where: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        # As Firestore: a document without the ordered field, or not an integer, is left out.
        with self._lock:
            docs = self._docs.get(collection, {}).values()
            return [
                dict(d)
                for d in docs
                if isinstance(d.get(field), int)
                and all(k in d and d[k] == v for k, v in where.items())
            ]

    def _load_missing(self, stream: str, after: int, up_to: int) -> list[Envelope]:
        return self._store.load(stream, after=after, up_to=up_to)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class UuidIds:
    def new_id(self) -> str:
        return str(uuid.uuid4())
