"""What a projection is: a pure fold of one stream into one read-model document."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from events import Envelope

Doc = dict[str, Any]
T = TypeVar("T")
# The field recording the last stream version folded into a document.
APPLIED_VERSION = "applied_version"


class CatchUpFailed(Exception):
    """A read model saw a gap the store could not fill yet; the message must be redelivered."""


@dataclass(frozen=True)
class Projection:
    """Feeds `collection/{aggregate id}` from the streams of one category."""

    name: str
    collection: str
    category: str
    project: Callable[[Mapping[str, Any] | None, Envelope], Doc]

    def doc_id(self, stream: str) -> str:
        """One document per stream: the stream's aggregate id."""
        return stream.split("-", 1)[1]

    def feeds_on(self, envelope: Envelope) -> bool:
        """Whether this projection reads events of that stream."""
        return envelope.category == self.category


def state_of(doc: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A stored document without its bookkeeping, as the projection wrote it."""
    if doc is None:
        return None
    return {k: v for k, v in doc.items() if k != APPLIED_VERSION}


def advance(
    projection: Projection,
    doc: Mapping[str, Any] | None,
    envelope: Envelope,
    load_missing: Callable[[str, int, int], list[Envelope]],
) -> tuple[Doc | None, int]:
    """The next document for an incoming event, or None when it was already applied.

    Pub/Sub delivers at least once and in any order, so the message is only a doorbell:
    an old version is skipped, the next one applied, and a gap filled from the store.
    """
    applied = int(doc[APPLIED_VERSION]) if doc else 0
    if envelope.version <= applied:
        return None, 0
    if envelope.version == applied + 1:
        pending = [envelope]
    else:
        pending = load_missing(envelope.stream, applied, envelope.version)
        expected = list(range(applied + 1, envelope.version + 1))
        if [e.version for e in pending] != expected:
            raise CatchUpFailed(f"{envelope.stream}: have {applied}, need {envelope.version}")
    state: Doc | None = dict(doc) if doc else None
    for event in pending:
        state = {**projection.project(state_of(state), event), APPLIED_VERSION: event.version}
    return state, len(pending)


_DAWN = datetime.min.replace(tzinfo=UTC)


def oldest_first(items: Iterable[T], time_of: Callable[[T], datetime | None]) -> list[T]:
    """Sorted by a time, items without one first. A read-model query has no order (it
    filters on one equality field, so Firestore needs no composite index): readers sort."""
    return sorted(items, key=lambda item: time_of(item) or _DAWN)
