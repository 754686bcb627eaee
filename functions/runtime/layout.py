"""The Firestore document layout both Firestore adapters write and read (the library one,
functions/runtime/firestore.py, and the REST one, firestore_rest.py): one definition, so
either reads what the other wrote."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from events import Envelope
from functions.runtime.ports import Appended, Snapshot

STREAMS, EVENTS, KEYS = "streams", "events", "idempotency"


def event_document(event: Envelope) -> dict[str, Any]:
    """streams/{stream}/events/{version:010d}: the envelope as its exact JSON text."""
    return {
        "envelope": event.to_json(),
        "version": event.version,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "published": False,
    }


def snapshot_of(head: dict[str, Any], fold: str) -> Snapshot | None:
    """The head's snapshot, if the fold named `fold` made it."""
    stored = head.get("snapshot")
    if not isinstance(stored, dict) or stored.get("fold") != fold:
        return None
    return Snapshot(int(stored["version"]), fold, str(stored["state"]))


def latest_plan(head: dict[str, Any], fold: str, after: int) -> tuple[Snapshot | None, int, int]:
    """From a stream's head: its snapshot of `fold` if past `after`, the version the events
    are to be read after, and the head's version (they are read up to it)."""
    snapshot = snapshot_of(head, fold)
    if snapshot is not None and snapshot.version <= after:
        snapshot = None  # the caller's own fold is as new
    start = snapshot.version if snapshot is not None else after
    return snapshot, start, int(head["version"])


def key_record(stream: str, events: Sequence[Envelope]) -> dict[str, Any]:
    """idempotency/{key}: which stream and versions the keyed command wrote."""
    return {
        "stream": stream,
        "versions": [e.version for e in events],
        "recorded_at": datetime.now(UTC),
    }


def outcome_of(
    record: dict[str, Any], load: Callable[[str, int, int], Sequence[Envelope]]
) -> Appended:
    """The first outcome a key record names, its events loaded (after, up_to) by `load`."""
    stream, versions = str(record["stream"]), [int(v) for v in record["versions"]]
    if not versions:
        return Appended(stream, (), duplicate=True)
    events = load(stream, versions[0] - 1, versions[-1])
    return Appended(stream, tuple(events), duplicate=True)
