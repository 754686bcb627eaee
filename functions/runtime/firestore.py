"""Firestore adapters: the event store (DESIGN.md §4) and per-stream read models.

Layout:
  streams/{stream}                      head: {version, snapshot?: {version, fold, state}}
  streams/{stream}/events/{version:010d} {envelope (JSON), type, occurred_at, published}
  idempotency/{key}                     {stream, versions, recorded_at}
  {read model collection}/{doc id}      projected fields + applied_version

The envelope is stored as its JSON text so that what is read back is byte-for-byte what was
appended (Firestore maps would reorder keys and could turn big integers into floats).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from events import Envelope
from functions.projections.base import Projection, advance
from functions.runtime.layout import (
    EVENTS,
    KEYS,
    STREAMS,
    event_document,
    key_record,
    latest_plan,
    outcome_of,
)
from functions.runtime.ports import (
    NO_HEAD,
    Appended,
    ConcurrencyConflict,
    Latest,
    LatestOf,
    Snapshot,
    StoreUnavailable,
)
from functions.runtime.validation import (
    check_append_request,
    check_key,
    key_document_id,
)

# Transient failures worth a retry by whoever sent us the request.
TRANSIENT = (
    gexc.ServiceUnavailable,
    gexc.DeadlineExceeded,
    gexc.InternalServerError,
    gexc.TooManyRequests,
    gexc.ResourceExhausted,
)


@contextmanager
def translated() -> Iterator[None]:
    """Google API errors as the port's errors, so callers handle one family."""
    try:
        yield
    except gexc.Aborted as err:  # contention outlasted the client's own retries
        raise ConcurrencyConflict(str(err)) from err
    except (gexc.AlreadyExists, gexc.FailedPrecondition) as err:
        # A document the batch creates exists, or the head moved: someone appended first.
        raise ConcurrencyConflict(str(err)) from err
    except TRANSIENT as err:
        raise StoreUnavailable(str(err)) from err
    except ValueError as err:
        # The client's transaction wrapper reports contention that outlasted its retries as
        # a ValueError caused by Aborted; the pipeline's reload-and-decide-again handles it.
        if isinstance(err.__cause__, gexc.Aborted):
            raise ConcurrencyConflict(str(err)) from err
        raise


class FirestoreEventStore:
    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def load(self, stream: str, after: int = 0, up_to: int | None = None) -> list[Envelope]:
        query = self._events(stream).where(filter=FieldFilter("version", ">", after))
        if up_to is not None:
            query = query.where(filter=FieldFilter("version", "<=", up_to))
        with translated():
            snaps = query.order_by("version").stream()
            return [Envelope.from_json(s.get("envelope")) for s in snaps]

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
        """One atomic batch, no transaction: optimistic concurrency without locks.

        The batch updates the head only if it is unchanged (an update-time precondition) and
        creates the event and key documents, which fails if any exists. So of two racing
        appends exactly one commits, and neither waits on a lock, which pessimistic
        server-side transactions would make it do. The head's update time comes from the
        caller's token (what our last commit or read of it returned) or else from reading
        it; the new one, from the commit's result, is returned for the next append.
        """
        check_append_request(stream, expected_version, events, idempotency_key, snapshot)
        batch = self._db.batch()
        if events:
            self._continue_stream(batch, stream, expected_version, events, snapshot, head)
        if idempotency_key is not None:
            batch.create(self._key(idempotency_key), key_record(stream, events))
        for event in marks:
            # merge: a mark never fails the append it rides in (an event document is never
            # deleted, but a test's reset store may have lost it).
            batch.set(self._event_ref(event), {"published": True}, merge=True)
        try:
            with translated():
                results = batch.commit()
        except ConcurrencyConflict:
            earlier = self.recorded(idempotency_key) if idempotency_key else None
            if earlier is not None:
                return earlier
            raise
        # The head is the write after the events' creates (the batch keeps the order).
        new_head = results[len(events)].update_time if events else None
        return Appended(stream, tuple(events), head=new_head)

    def _continue_stream(
        self,
        batch: Any,
        stream: str,
        expected_version: int,
        events: Sequence[Envelope],
        snapshot: Snapshot | None,
        known: object | None,
    ) -> None:
        head = self._db.collection(STREAMS).document(stream)
        if known is None:
            with translated():
                # Only the version: the snapshot beside it may be large and is not needed.
                snap = head.get(field_paths=["version"])
            version = int(snap.get("version")) if snap.exists else 0
            if version != expected_version:
                raise ConcurrencyConflict(f"{stream}: expected {expected_version}, at {version}")
            known = snap.update_time if snap.exists else NO_HEAD
        for event in events:
            batch.create(self._event_ref(event), event_document(event))
        fields: dict[str, Any] = {"version": events[-1].version}
        if snapshot is not None:
            fields["snapshot"] = {
                "version": snapshot.version,
                "fold": snapshot.fold,
                "state": snapshot.state,
            }
        if known is NO_HEAD:
            batch.create(head, fields)  # fails if a racing append created it first
        else:
            unchanged = self._db.write_option(last_update_time=known)
            batch.update(head, fields, option=unchanged)

    def load_latest(self, stream: str, fold: str) -> Latest:
        return self.load_latest_many([LatestOf(stream, fold)])[0]

    def load_latest_many(self, wanted: Sequence[LatestOf]) -> list[Latest]:
        """One batchGet of the heads; the events of a stream only if its head is past them."""
        heads = self._db.collection(STREAMS)
        refs = [heads.document(name) for name in dict.fromkeys(w.stream for w in wanted)]
        with translated():
            found = {snap.id: snap for snap in self._db.get_all(refs) if snap.exists}
        return [self._latest(w, found.get(w.stream)) for w in wanted]

    def _latest(self, wanted: LatestOf, head: Any | None) -> Latest:
        if head is None:
            return Latest(None, [], head=NO_HEAD)
        snapshot, after, version = latest_plan(head.to_dict() or {}, wanted.fold, wanted.after)
        if after >= version:
            return Latest(snapshot, [], head=head.update_time)
        events = self.load(wanted.stream, after=after, up_to=version)
        # Bounded by the head's version, so the token matches the events returned.
        return Latest(snapshot, events, head=head.update_time)

    def recorded(self, idempotency_key: str) -> Appended | None:
        check_key(idempotency_key)
        with translated():
            snap = self._key(idempotency_key).get()
        return self._outcome(snap.to_dict() or {}) if snap.exists else None

    def is_recorded(self, idempotency_key: str) -> bool:
        check_key(idempotency_key)
        with translated():
            return bool(self._key(idempotency_key).get(field_paths=["stream"]).exists)

    def streams(self, category: str) -> list[str]:
        # Head documents exist for every stream with events; ids sort, so a range is a prefix.
        heads = self._db.collection(STREAMS)
        query = heads.where(filter=FieldFilter("__name__", ">=", heads.document(f"{category}-")))
        query = query.where(filter=FieldFilter("__name__", "<", heads.document(f"{category}.")))
        with translated():
            return [snap.id for snap in query.select([]).stream()]

    def unpublished(self, limit: int, before: datetime | None = None) -> list[Envelope]:
        query = self._db.collection_group(EVENTS).where(
            filter=FieldFilter("published", "==", False)
        )
        if before is not None:
            # Served by the composite index (published, occurred_at) in firestore.tf.
            query = query.where(filter=FieldFilter("occurred_at", "<", before))
        query = query.order_by("occurred_at").limit(limit)
        with translated():
            return [Envelope.from_json(s.get("envelope")) for s in query.stream()]

    def mark_published(self, events: Sequence[Envelope]) -> None:
        for start in range(0, len(events), 500):  # a batch holds at most 500 writes
            batch = self._db.batch()
            for event in events[start : start + 500]:
                batch.update(self._event_ref(event), {"published": True})
            with translated():
                batch.commit()

    def _key(self, key: str) -> Any:
        return self._db.collection(KEYS).document(key_document_id(key))

    def _event_ref(self, event: Envelope) -> Any:
        return self._events(event.stream).document(f"{event.version:010d}")

    def _events(self, stream: str) -> Any:
        return self._db.collection(STREAMS).document(stream).collection(EVENTS)

    def _outcome(self, record: dict[str, Any]) -> Appended:
        return outcome_of(record, self.load)


class FirestoreReadModels:
    """Each apply reads one document and writes it back only if it is unchanged since."""

    def __init__(self, client: firestore.Client, store: FirestoreEventStore, attempts: int = 10):
        self._db = client
        self._store = store
        self._attempts = attempts

    def apply(self, projection: Projection, envelope: Envelope) -> int:
        ref = self._db.collection(projection.collection).document(
            projection.doc_id(envelope.stream)
        )
        for _ in range(self._attempts):
            with translated():
                snap = ref.get()
            doc = snap.to_dict() if snap.exists else None
            new_doc, applied = advance(projection, doc, envelope, self._load_missing)
            if new_doc is None:
                return 0
            try:
                with translated():
                    self._write_if_unchanged(ref, snap, doc, new_doc)
            except ConcurrencyConflict:
                continue  # another delivery wrote first: read again, decide again
            return applied
        raise ConcurrencyConflict(f"{ref.path}: still contended after {self._attempts} attempts")

    def _write_if_unchanged(
        self, ref: Any, snap: Any, old: dict[str, Any] | None, new: dict[str, Any]
    ) -> None:
        if old is None:
            ref.create(new)  # fails if a racing delivery created it first
            return
        # update() is the write that takes a precondition; fields the projection dropped are
        # deleted explicitly so the stored document equals what it returned.
        dropped = {field: firestore.DELETE_FIELD for field in old if field not in new}
        unchanged = self._db.write_option(last_update_time=snap.update_time)
        ref.update({**new, **dropped}, option=unchanged)

    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        with translated():
            snap = self._db.collection(collection).document(doc_id).get()
        return snap.to_dict() if snap.exists else None

    def all(self, collection: str) -> dict[str, dict[str, Any]]:
        with translated():
            return {s.id: s.to_dict() or {} for s in self._db.collection(collection).stream()}

    def find(self, collection: str, field: str, value: Any, limit: int) -> list[dict[str, Any]]:
        query = self._db.collection(collection).where(filter=FieldFilter(field, "==", value))
        with translated():
            return [s.to_dict() or {} for s in query.limit(limit).stream()]

    def find_due(
        self, collection: str, field: str, cutoff: datetime, limit: int
    ) -> list[dict[str, Any]]:
        # One range filter ordered by the same field: served by the automatic single-field
        # index; a None or missing field is another type and never matches.
        query = (
            self._db.collection(collection)
            .where(filter=FieldFilter(field, "<=", cutoff))
            .order_by(field)
            .limit(limit)
        )
        with translated():
            return [s.to_dict() or {} for s in query.stream()]

    def top(
        self, collection: str, field: str, where: Mapping[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        query = self._where(collection, where).order_by(field, direction=firestore.Query.DESCENDING)
        with translated():
            return [s.to_dict() or {} for s in query.limit(limit).stream()]

    def count_above(self, collection: str, field: str, value: int, where: Mapping[str, Any]) -> int:
        # Ordered like top(), so the same composite index serves the count.
        query = (
            self._where(collection, where)
            .where(filter=FieldFilter(field, ">", value))
            .order_by(field, direction=firestore.Query.DESCENDING)
        )
        with translated():
            (result,) = query.count().get()
            return int(result[0].value)

    def _where(self, collection: str, where: Mapping[str, Any]) -> Any:
        query: Any = self._db.collection(collection)
        for name, wanted in where.items():
            query = query.where(filter=FieldFilter(name, "==", wanted))
        return query

    def _load_missing(self, stream: str, after: int, up_to: int) -> list[Envelope]:
        # Events are immutable once committed, so reading them outside the transaction is safe.
        return self._store.load(stream, after=after, up_to=up_to)


def client(project: str) -> firestore.Client:
    """A client for the project; honours FIRESTORE_EMULATOR_HOST. Connects lazily."""
    return firestore.Client(project=project)


__all__ = ["FirestoreEventStore", "FirestoreReadModels", "client"]
