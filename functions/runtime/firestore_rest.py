"""The event store and read models over Firestore's REST API with httpx.

Same layout and semantics as functions/runtime/firestore.py (the library adapter, which is
the reference), without importing `google.cloud.firestore` (~0.25-0.33 s of cold start).
The head token is the head write's `updateTime` as the server's RFC 3339 text (nanoseconds
kept). Nothing connects or reads a token until the first call.
"""

from __future__ import annotations

import base64
import functools
import os
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from events import Envelope
from functions.projections.base import Projection, advance
from functions.runtime.google_rest import GoogleRest, TokenSource, TokenUnavailable
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

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
CONFLICT_STATUSES = frozenset({"ALREADY_EXISTS", "FAILED_PRECONDITION", "ABORTED"})
_SIMPLE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


class FirestoreRequestFailed(Exception):
    """Firestore refused a request for a reason that is not contention nor transient: a bug."""


# --------------------------------------------------------------------------------------
# values codec
# --------------------------------------------------------------------------------------


def encode(value: Any) -> dict[str, Any]:
    """A Python value as Firestore's typed Value JSON; integers stay integers."""
    if value is None:
        return {"nullValue": None}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"integerValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"timestampValue": timestamp(value)}
    if isinstance(value, Mapping):
        return {"mapValue": {"fields": {str(k): encode(v) for k, v in value.items()}}}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [encode(v) for v in value]}}
    raise TypeError(f"cannot store a {type(value).__name__} in Firestore")


def decode(value: Mapping[str, Any]) -> Any:
    """Firestore's Value JSON as the Python value the library client would return."""
    if "integerValue" in value:
        return int(value["integerValue"])
    if "stringValue" in value:
        return str(value["stringValue"])
    if "booleanValue" in value:
        return bool(value["booleanValue"])
    if "nullValue" in value:
        return None
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "timestampValue" in value:
        return parse_timestamp(str(value["timestampValue"]))
    if "mapValue" in value:
        return decode_fields(value["mapValue"].get("fields", {}))
    if "arrayValue" in value:
        return [decode(v) for v in value["arrayValue"].get("values", [])]
    if "bytesValue" in value:
        return base64.b64decode(value["bytesValue"])
    if "referenceValue" in value:
        return str(value["referenceValue"])
    raise TypeError(f"unknown Firestore value {sorted(value)}")


def decode_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: decode(v) for name, v in fields.items()}


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds; a naive time is taken as UTC (as the library does)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 as an aware UTC datetime; digits past microseconds are truncated."""
    match = _TS.match(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    whole, fraction, zone = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]
    parsed = datetime.fromisoformat(f"{whole}.{micros}{'+00:00' if zone == 'Z' else zone}")
    return parsed.astimezone(UTC)


def field_path(name: str) -> str:
    """A top-level field name as a field path (quoted unless it is a simple name)."""
    if _SIMPLE_FIELD.match(name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


# --------------------------------------------------------------------------------------
# transport
# --------------------------------------------------------------------------------------


class FirestoreRest:
    """An httpx client for one database's documents API, made on first use."""

    def __init__(
        self,
        project: str,
        *,
        emulator_host: str | None = None,
        endpoint: str = "https://firestore.googleapis.com",
        token_source: TokenSource | None = None,
        http: httpx.Client | None = None,
        timeout_s: float = 10.0,
        read_attempts: int = 3,
    ) -> None:
        self.root = f"projects/{project}/databases/(default)/documents"
        base = f"http://{emulator_host}" if emulator_host else endpoint.rstrip("/")
        self._api = GoogleRest(
            f"{base}/v1",
            emulator=emulator_host is not None,
            # The emulator's admin, whom security rules do not apply to.
            emulator_token="owner",  # noqa: S106
            token_source=token_source,
            http=http,
            timeout_s=timeout_s,
        )
        self._read_attempts = max(1, read_attempts)

    @classmethod
    def for_project(cls, project: str) -> FirestoreRest:
        """The process's one client of the project's database (the store, the rails' shared
        state and the health board share it, so a cold instance fetches one token and opens
        one connection pool); honours FIRESTORE_EMULATOR_HOST, as the library client does."""
        return _shared(project, os.environ.get("FIRESTORE_EMULATOR_HOST") or None)

    def name(self, *segments: str) -> str:
        return "/".join([self.root, *segments])

    def call(self, path: str, body: Mapping[str, Any], *, read: bool = True) -> Any:
        """POST to `{base}/{path}`; reads are retried on transient failures, commits not (a
        lost reply would turn a retried create into a false conflict)."""
        attempts = self._read_attempts if read else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._post(path, body)
            except StoreUnavailable:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, path: str, body: Mapping[str, Any]) -> Any:
        try:
            resp = self._api.post(path, json=body)
        except (httpx.TransportError, TokenUnavailable) as err:
            raise StoreUnavailable(f"firestore {path.rsplit(':', 1)[-1]}: {err!r}") from err
        if resp.status_code < 300:
            try:
                return resp.json()
            except ValueError as err:
                raise StoreUnavailable("firestore: unreadable response") from err
        raise _error(resp)


@functools.cache
def _shared(project: str, emulator_host: str | None) -> FirestoreRest:
    return FirestoreRest(project, emulator_host=emulator_host)


def _error(resp: httpx.Response) -> Exception:
    try:
        error = resp.json()
        if isinstance(error, list):  # streamed methods answer a list
            error = error[0]
        status = str(error["error"].get("status", ""))
        message = str(error["error"].get("message", ""))[:300]
    except (ValueError, LookupError, TypeError, AttributeError):
        status, message = "", resp.text[:300]
    text = f"HTTP {resp.status_code} {status}: {message}"
    if status in CONFLICT_STATUSES or resp.status_code == 409:
        return ConcurrencyConflict(text)
    if resp.status_code in TRANSIENT_STATUSES or status in {"UNAVAILABLE", "DEADLINE_EXCEEDED"}:
        return StoreUnavailable(text)
    return FirestoreRequestFailed(text)


# --------------------------------------------------------------------------------------
# small helpers over the API
# --------------------------------------------------------------------------------------


class _Api:
    def __init__(self, rest: FirestoreRest) -> None:
        self.rest = rest

    def get(self, name: str, fields: Sequence[str] | None = None) -> dict[str, Any] | None:
        """One document (its raw JSON: fields, updateTime), or None."""
        found = self.get_all([name], fields)
        return found[0] if found else None

    def get_all(
        self, names: Sequence[str], fields: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """The documents of these names that exist, in one batchGet (in any order)."""
        body: dict[str, Any] = {"documents": list(names)}
        if fields is not None:
            body["mask"] = {"fieldPaths": [field_path(f) for f in fields]}
        reply = self.rest.call(f"{self.rest.root}:batchGet", body)
        return [item["found"] for item in reply if "found" in item]

    def commit(self, writes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        reply = self.rest.call(f"{self.rest.root}:commit", {"writes": writes}, read=False)
        results: list[dict[str, Any]] = reply.get("writeResults", [])
        return results

    def query(self, parent: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        reply = self.rest.call(f"{parent}:runQuery", {"structuredQuery": query})
        return [item["document"] for item in reply if "document" in item]

    def count(self, parent: str, query: dict[str, Any]) -> int:
        body = {
            "structuredAggregationQuery": {
                "structuredQuery": query,
                "aggregations": [{"alias": "n", "count": {}}],
            }
        }
        for item in self.rest.call(f"{parent}:runAggregationQuery", body):
            if "result" in item:
                return int(decode(item["result"]["aggregateFields"]["n"]))
        return 0


def _doc_id(document: Mapping[str, Any]) -> str:
    return str(document["name"]).rsplit("/", 1)[-1]


def _fields(document: Mapping[str, Any]) -> dict[str, Any]:
    return decode_fields(document.get("fields", {}))


def _filter(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"fieldFilter": {"field": {"fieldPath": field}, "op": op, "value": encode(value)}}


def _where(filters: list[dict[str, Any]]) -> dict[str, Any]:
    if len(filters) == 1:
        return filters[0]
    return {"compositeFilter": {"op": "AND", "filters": filters}}


def _create(name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "update": {"name": name, "fields": {k: encode(v) for k, v in fields.items()}},
        "currentDocument": {"exists": False},
    }


def _update(
    name: str, fields: Mapping[str, Any], precondition: dict[str, Any] | None, mask: Sequence[str]
) -> dict[str, Any]:
    write: dict[str, Any] = {
        "update": {"name": name, "fields": {k: encode(v) for k, v in fields.items()}},
        "updateMask": {"fieldPaths": [field_path(f) for f in mask]},
    }
    if precondition is not None:
        write["currentDocument"] = precondition
    return write


# --------------------------------------------------------------------------------------
# the ports
# --------------------------------------------------------------------------------------


class RestEventStore:
    def __init__(self, rest: FirestoreRest) -> None:
        self._rest = rest
        self._api = _Api(rest)

    def load(self, stream: str, after: int = 0, up_to: int | None = None) -> list[Envelope]:
        filters = [_filter("version", "GREATER_THAN", after)]
        if up_to is not None:
            filters.append(_filter("version", "LESS_THAN_OR_EQUAL", up_to))
        query = {
            "from": [{"collectionId": EVENTS}],
            "where": _where(filters),
            "orderBy": [{"field": {"fieldPath": "version"}, "direction": "ASCENDING"}],
        }
        docs = self._api.query(self._rest.name(STREAMS, stream), query)
        return [Envelope.from_json(_fields(d)["envelope"]) for d in docs]

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
        """One commit, no transaction, with the library adapter's preconditions."""
        check_append_request(stream, expected_version, events, idempotency_key, snapshot)
        writes: list[dict[str, Any]] = []
        if events:
            writes += self._continue_stream(stream, expected_version, events, snapshot, head)
        if idempotency_key is not None:
            writes.append(_create(self._key(idempotency_key), key_record(stream, events)))
        for event in marks:
            # Like a merge set: a mark never fails the append it rides in.
            writes.append(
                _update(self._event_name(event), {"published": True}, None, ["published"])
            )
        try:
            results = self._api.commit(writes)
        except ConcurrencyConflict:
            earlier = self.recorded(idempotency_key) if idempotency_key else None
            if earlier is not None:
                return earlier
            raise
        new_head = str(results[len(events)]["updateTime"]) if events else None
        return Appended(stream, tuple(events), head=new_head)

    def _continue_stream(
        self,
        stream: str,
        expected_version: int,
        events: Sequence[Envelope],
        snapshot: Snapshot | None,
        known: object | None,
    ) -> list[dict[str, Any]]:
        head = self._rest.name(STREAMS, stream)
        if known is None:
            doc = self._api.get(head, fields=["version"])
            version = int(_fields(doc).get("version", 0)) if doc is not None else 0
            if version != expected_version:
                raise ConcurrencyConflict(f"{stream}: expected {expected_version}, at {version}")
            known = str(doc["updateTime"]) if doc is not None else NO_HEAD
        writes = [_create(self._event_name(e), event_document(e)) for e in events]
        fields: dict[str, Any] = {"version": events[-1].version}
        if snapshot is not None:
            fields["snapshot"] = {
                "version": snapshot.version,
                "fold": snapshot.fold,
                "state": snapshot.state,
            }
        if known is NO_HEAD:
            writes.append(_create(head, fields))
        else:
            writes.append(_update(head, fields, {"updateTime": str(known)}, list(fields)))
        return writes

    def load_latest(self, stream: str, fold: str) -> Latest:
        return self.load_latest_many([LatestOf(stream, fold)])[0]

    def load_latest_many(self, wanted: Sequence[LatestOf]) -> list[Latest]:
        """One batchGet of the heads; the events of a stream only if its head is past them."""
        names = {self._rest.name(STREAMS, w.stream): w.stream for w in wanted}
        found = {names[d["name"]]: d for d in self._api.get_all(list(names))}
        return [self._latest(w, found.get(w.stream)) for w in wanted]

    def _latest(self, wanted: LatestOf, head: dict[str, Any] | None) -> Latest:
        if head is None:
            return Latest(None, [], head=NO_HEAD)
        snapshot, after, version = latest_plan(_fields(head), wanted.fold, wanted.after)
        token = str(head["updateTime"])
        if after >= version:
            return Latest(snapshot, [], head=token)
        return Latest(snapshot, self.load(wanted.stream, after=after, up_to=version), head=token)

    def recorded(self, idempotency_key: str) -> Appended | None:
        check_key(idempotency_key)
        doc = self._api.get(self._key(idempotency_key))
        return self._outcome(_fields(doc)) if doc is not None else None

    def is_recorded(self, idempotency_key: str) -> bool:
        check_key(idempotency_key)
        return self._api.get(self._key(idempotency_key), fields=["stream"]) is not None

    def streams(self, category: str) -> list[str]:
        low, high = (
            self._rest.name(STREAMS, f"{category}-"),
            self._rest.name(STREAMS, f"{category}."),
        )
        name = {"fieldPath": "__name__"}
        query = {
            "from": [{"collectionId": STREAMS}],
            "select": {"fields": [name]},
            "where": _where(
                [
                    {"fieldFilter": {"field": name, "op": op, "value": {"referenceValue": ref}}}
                    for op, ref in (("GREATER_THAN_OR_EQUAL", low), ("LESS_THAN", high))
                ]
            ),
        }
        return [_doc_id(d) for d in self._api.query(self._rest.root, query)]

    def unpublished(self, limit: int, before: datetime | None = None) -> list[Envelope]:
        filters = [_filter("published", "EQUAL", False)]
        if before is not None:
            filters.append(_filter("occurred_at", "LESS_THAN", before))
        query = {
            "from": [{"collectionId": EVENTS, "allDescendants": True}],
            "where": _where(filters),
            "orderBy": [{"field": {"fieldPath": "occurred_at"}, "direction": "ASCENDING"}],
            "limit": limit,
        }
        docs = self._api.query(self._rest.root, query)
        return [Envelope.from_json(_fields(d)["envelope"]) for d in docs]

    def mark_published(self, events: Sequence[Envelope]) -> None:
        for start in range(0, len(events), 500):  # a commit holds at most 500 writes
            self._api.commit(
                [
                    _update(
                        self._event_name(e), {"published": True}, {"exists": True}, ["published"]
                    )
                    for e in events[start : start + 500]
                ]
            )

    def _key(self, key: str) -> str:
        return self._rest.name(KEYS, key_document_id(key))

    def _event_name(self, event: Envelope) -> str:
        return self._rest.name(STREAMS, event.stream, EVENTS, f"{event.version:010d}")

    def _outcome(self, record: dict[str, Any]) -> Appended:
        return outcome_of(record, self.load)


class RestReadModels:
    """Each apply reads one document and writes it back only if it is unchanged since."""

    def __init__(self, rest: FirestoreRest, store: RestEventStore, attempts: int = 10) -> None:
        self._rest = rest
        self._api = _Api(rest)
        self._store = store
        self._attempts = attempts

    def apply(self, projection: Projection, envelope: Envelope) -> int:
        name = self._rest.name(projection.collection, projection.doc_id(envelope.stream))
        for _ in range(self._attempts):
            raw = self._api.get(name)
            doc = _fields(raw) if raw is not None else None
            new_doc, applied = advance(projection, doc, envelope, self._store.load)
            if new_doc is None:
                return 0
            if raw is None or doc is None:
                write = _create(name, new_doc)
            else:
                # Fields the projection dropped are in the mask but not the data: deleted.
                mask = list(new_doc) + [f for f in doc if f not in new_doc]
                write = _update(name, new_doc, {"updateTime": str(raw["updateTime"])}, mask)
            try:
                self._api.commit([write])
            except ConcurrencyConflict:
                continue  # another delivery wrote first: read again, decide again
            return applied
        raise ConcurrencyConflict(f"{name}: still contended after {self._attempts} attempts")

    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        raw = self._api.get(self._rest.name(collection, doc_id))
        return _fields(raw) if raw is not None else None

    def all(self, collection: str) -> dict[str, dict[str, Any]]:
        docs = self._api.query(self._rest.root, {"from": [{"collectionId": collection}]})
        return {_doc_id(d): _fields(d) for d in docs}

    def find(self, collection: str, field: str, value: Any, limit: int) -> list[dict[str, Any]]:
        query = {
            "from": [{"collectionId": collection}],
            "where": _filter(field_path(field), "EQUAL", value),
            "limit": limit,
        }
        return [_fields(d) for d in self._api.query(self._rest.root, query)]

    def find_due(
        self, collection: str, field: str, cutoff: datetime, limit: int
    ) -> list[dict[str, Any]]:
        path = field_path(field)
        query = {
            "from": [{"collectionId": collection}],
            "where": _filter(path, "LESS_THAN_OR_EQUAL", cutoff),
            "orderBy": [{"field": {"fieldPath": path}, "direction": "ASCENDING"}],
            "limit": limit,
        }
        return [_fields(d) for d in self._api.query(self._rest.root, query)]

    def top(
        self, collection: str, field: str, where: Mapping[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        query = self._equal(collection, where, [])
        query["orderBy"] = [{"field": {"fieldPath": field_path(field)}, "direction": "DESCENDING"}]
        query["limit"] = limit
        return [_fields(d) for d in self._api.query(self._rest.root, query)]

    def count_above(self, collection: str, field: str, value: int, where: Mapping[str, Any]) -> int:
        path = field_path(field)
        query = self._equal(collection, where, [_filter(path, "GREATER_THAN", value)])
        query["orderBy"] = [{"field": {"fieldPath": path}, "direction": "DESCENDING"}]
        return self._api.count(self._rest.root, query)

    def _equal(
        self, collection: str, where: Mapping[str, Any], more: list[dict[str, Any]]
    ) -> dict[str, Any]:
        filters = [_filter(field_path(k), "EQUAL", v) for k, v in where.items()] + more
        query: dict[str, Any] = {"from": [{"collectionId": collection}]}
        if filters:
            query["where"] = _where(filters)
        return query


def rest_adapters(project: str) -> tuple[RestEventStore, RestReadModels]:
    """The store and read models sharing one lazily made client."""
    rest = FirestoreRest.for_project(project)
    store = RestEventStore(rest)
    return store, RestReadModels(rest, store)


# --------------------------------------------------------------------------------------
# for the smaller adapters (provider tokens and quotas, rail health): one document each
# --------------------------------------------------------------------------------------


def read_document(rest: FirestoreRest, name: str) -> dict[str, Any] | None:
    """One document's raw JSON (`fields`, `updateTime`), or None when it does not exist."""
    return _Api(rest).get(name)


def write_document(
    rest: FirestoreRest,
    name: str,
    fields: Mapping[str, Any],
    *,
    mask: Sequence[str] | None = None,
    precondition: dict[str, Any] | None = None,
) -> None:
    """One commit of one update: the whole document, or only the field paths in `mask` (a
    path in the mask that `fields` lacks is deleted). ConcurrencyConflict when the
    precondition fails."""
    write: dict[str, Any] = {
        "update": {"name": name, "fields": {k: encode(v) for k, v in fields.items()}}
    }
    if mask is not None:
        write["updateMask"] = {"fieldPaths": list(mask)}
    if precondition is not None:
        write["currentDocument"] = precondition
    _Api(rest).commit([write])


__all__ = [
    "FirestoreRest",
    "RestEventStore",
    "RestReadModels",
    "read_document",
    "rest_adapters",
    "write_document",
]
