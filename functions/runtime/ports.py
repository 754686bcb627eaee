"""The ports the pipeline and entry points talk to. Adapters: memory, Firestore, Pub/Sub."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from events import Envelope
from functions.projections.base import CatchUpFailed, Projection

__all__ = ["CatchUpFailed"]


class StoreError(Exception):
    """Base of the event store's errors."""


class ConcurrencyConflict(StoreError):
    """The stream moved past the expected version: reload, decide again."""


class StoreUnavailable(StoreError):
    """A transient failure reaching the store: the caller answers 5xx so the sender retries."""


class InvalidAppend(StoreError):
    """Envelopes that do not continue the stream (wrong stream, gaps): a programming error."""


class PublishFailed(Exception):
    """Pub/Sub did not accept the events; they stay unpublished for the relay job."""


@dataclass(frozen=True)
class Appended:
    """The outcome of an append: the events written, or those of the original on a duplicate."""

    stream: str
    events: tuple[Envelope, ...]
    duplicate: bool = False
    # The head as this append left it (see `append`), for the next append on the stream: a
    # token for concurrency, not part of the outcome's value.
    head: object | None = field(default=None, compare=False)


class _NoHead:
    def __repr__(self) -> str:
        return "NO_HEAD"


# A head token meaning "the stream has no head yet": the append creates it, or conflicts.
NO_HEAD: object = _NoHead()


@dataclass(frozen=True)
class Snapshot:
    """An aggregate's state folded to `version` by the fold named `fold`, as JSON text.

    Kept with the stream's head so a cold instance reads one document, not the stream; a
    reader asking for another fold gets none (functions/domain/snapshots.py)."""

    version: int
    fold: str
    state: str


@dataclass(frozen=True)
class Latest:
    """A stream as a cold reader needs it: a snapshot of its fold, if any, and the events after."""

    snapshot: Snapshot | None
    events: list[Envelope]
    # The head as read (NO_HEAD for a stream without one): appending after exactly these
    # events can pass it to `append` instead of the store reading the head again.
    head: object | None = field(default=None, compare=False)


@dataclass(frozen=True)
class LatestOf:
    """One stream asked of `load_latest_many`: `fold` names the snapshots the caller can
    read, `after` the version it has already folded (0: none)."""

    stream: str
    fold: str
    after: int = 0


def check_snapshot(events: Sequence[Envelope], snapshot: Snapshot | None) -> None:
    """A snapshot stored with an append is the state after exactly those events."""
    if snapshot is not None and (not events or snapshot.version != events[-1].version):
        raise InvalidAppend(f"a snapshot at version {snapshot.version} does not end this append")


class EventStore(Protocol):
    def load(self, stream: str, after: int = 0, up_to: int | None = None) -> list[Envelope]:
        """Events of a stream with after < version <= up_to, in version order."""
        ...

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
        """Atomically append; a known key returns the original outcome and writes nothing.

        `snapshot`, the state after these events, is kept with the head in the same atomic
        write (replacing an older one); without one, the stored snapshot stays as it was.
        `head`, a token from an earlier `Appended.head` or `Latest.head`, says the stream is
        as that left it: the store then checks it in the write itself, without reading the
        head first, and raises ConcurrencyConflict if anyone appended since. `marks`, events
        (of any stream) already on the bus, are marked published in the same write."""
        ...

    def load_latest(self, stream: str, fold: str) -> Latest:
        """The stored snapshot if it was made by `fold`, and the events after it (all of them
        without one), reading the head and its snapshot in one round trip."""
        ...

    def load_latest_many(self, wanted: Sequence[LatestOf]) -> list[Latest]:
        """For each stream, in order: its snapshot of `fold` if that is past `after`, and the
        events after the later of the two, up to the head as read. Every head is read in one
        round trip; only a stream that moved past both costs one more read."""
        ...

    def recorded(self, idempotency_key: str) -> Appended | None:
        """The outcome stored under a key, if the command was already handled."""
        ...

    def is_recorded(self, idempotency_key: str) -> bool:
        """Whether a command was handled under this key: one read, without its events."""
        ...

    def streams(self, category: str) -> list[str]:
        """Names of every stream of a category (`wallet` -> wallet-1, wallet-2, …): audits."""
        ...

    def unpublished(self, limit: int, before: datetime | None = None) -> list[Envelope]:
        """Committed events not yet marked published (that occurred before `before`, if
        given), oldest first."""
        ...

    def mark_published(self, events: Sequence[Envelope]) -> None:
        """Record that these events reached the bus."""
        ...


class Publisher(Protocol):
    def publish(self, events: Sequence[Envelope]) -> None:
        """Publish and wait for the bus to accept every event; raise PublishFailed if not."""
        ...


class ReadModels(Protocol):
    def apply(self, projection: Projection, envelope: Envelope) -> int:
        """Apply an event to its per-stream document; returns how many events were applied."""
        ...

    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        """One read-model document, or None."""
        ...

    def all(self, collection: str) -> dict[str, dict[str, Any]]:
        """Every document of a read model by id (rebuild checks, small admin views)."""
        ...

    def find(self, collection: str, field: str, value: Any, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` documents whose top-level `field` equals `value`."""
        ...

    def find_due(
        self, collection: str, field: str, cutoff: datetime, limit: int
    ) -> list[dict[str, Any]]:
        """Up to `limit` documents whose time `field` is at or before `cutoff`, earliest
        first; documents without the field (or with None) are not due. The scheduled jobs
        use it, so work that is due is found however much that is not due has piled up."""
        ...

    def top(
        self, collection: str, field: str, where: Mapping[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        """Up to `limit` documents whose fields equal `where`, highest integer `field`
        first (the leaderboard: a query over per-user documents, never one hot document).
        On Firestore each `where` and `field` pair needs its composite index."""
        ...

    def count_above(self, collection: str, field: str, value: int, where: Mapping[str, Any]) -> int:
        """How many documents whose fields equal `where` have `field` above `value` (an
        asker's rank is one more), counted by the store, not by reading them."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Ids(Protocol):
    def new_id(self) -> str:
        """A fresh unique id for an event."""
        ...
