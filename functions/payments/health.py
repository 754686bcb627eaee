"""Each rail's recent start outcomes and a circuit breaker over them, shared by instances.

An instance counts its own starts per rail in minute buckets for the last hour (started,
unavailable, unknown, refused) and keeps its latest latencies. It writes them to the shared
board (`rail_health/{rail}`, one section per instance) when a start failed or recovered, and
otherwise at most once a minute: a request costs no write of its own. Reads of the board
are cached for READ_TTL, so every instance learns of a failing rail within seconds.

The breaker: a rail whose starts in the last WINDOW failed as unavailable (or unknown) at
least MIN_FAILURES times and at least half the time, and whose last failure is newer than
its last success, is open for COOL_DOWN after that failure: /deposit then chooses the next
rail of the route. After the cool-down it is half-open: the next payer tries it, and a
success closes it (a failure opens it again).

A provider's refusal (a bad number, an amount out of range) is the payer's, not the
rail's: it is counted but is neither a success nor a failure.
"""

from __future__ import annotations

import logging
import secrets
import statistics
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from functions.runtime.firestore_rest import (
    FirestoreRest,
    decode_fields,
    field_path,
    read_document,
    write_document,
)

log = logging.getLogger(__name__)

Seen = Literal["started", "unavailable", "unknown", "refused"]
OUTCOMES: Final[tuple[Seen, ...]] = ("started", "unavailable", "unknown", "refused")
HOUR: Final = timedelta(hours=1)
WINDOW: Final = timedelta(minutes=5)
COOL_DOWN: Final = timedelta(minutes=2)
MIN_FAILURES: Final = 3
FLUSH_EVERY: Final = timedelta(minutes=1)
READ_TTL: Final = timedelta(seconds=15)
LATENCIES_KEPT: Final = 50
COLLECTION: Final = "rail_health"
State = Literal["closed", "open", "half_open"]


def _minute(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _parsed(minute: str) -> datetime:
    return datetime.strptime(minute, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)


@dataclass
class Sample:
    """One instance's record of one rail: what the board keeps per instance."""

    buckets: dict[str, list[int]] = field(default_factory=dict)  # minute -> counts by OUTCOMES
    latencies_ms: list[int] = field(default_factory=list)
    last_failure: str = ""  # ISO time of the latest failed start (the cool-down counts from it)
    last_success: str = ""  # ISO time of the latest start that went through

    def to_doc(self) -> dict[str, Any]:
        return {
            "buckets": self.buckets,
            "latencies_ms": self.latencies_ms,
            "last_failure": self.last_failure,
            "last_success": self.last_success,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Sample:
        buckets = doc.get("buckets") if isinstance(doc.get("buckets"), dict) else {}
        latencies = doc.get("latencies_ms") if isinstance(doc.get("latencies_ms"), list) else []
        return cls(
            {str(k): [int(n) for n in v][:4] for k, v in (buckets or {}).items()},
            [int(n) for n in latencies or []][-LATENCIES_KEPT:],
            str(doc.get("last_failure") or ""),
            str(doc.get("last_success") or ""),
        )

    def drop_before(self, cutoff: datetime) -> None:
        self.buckets = {k: v for k, v in self.buckets.items() if _parsed(k) >= cutoff}

    def stale(self, now: datetime) -> bool:
        """Nothing in the last hour: an instance long gone, whose section can go."""
        latest = max([_parsed(k) for k in self.buckets], default=None)
        return latest is None or now - latest > HOUR


class HealthBoard(Protocol):
    """Where instances share their samples: rail -> instance -> sample."""

    def read(self, rail: str) -> dict[str, Sample]: ...

    def write(
        self, rail: str, instance: str, sample: Sample, forget: frozenset[str] = frozenset()
    ) -> None:
        """Replace this instance's section; drop the sections of instances in `forget`."""
        ...


class MemoryBoard:
    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Sample]] = {}
        self._lock = threading.Lock()

    def read(self, rail: str) -> dict[str, Sample]:
        with self._lock:
            return {i: Sample.from_doc(s.to_doc()) for i, s in self._docs.get(rail, {}).items()}

    def write(
        self, rail: str, instance: str, sample: Sample, forget: frozenset[str] = frozenset()
    ) -> None:
        with self._lock:
            doc = self._docs.setdefault(rail, {})
            for gone in forget:
                doc.pop(gone, None)
            doc[instance] = Sample.from_doc(sample.to_doc())


def _sections(data: Mapping[str, Any]) -> dict[str, Sample]:
    instances = data.get("instances")
    if not isinstance(instances, dict):
        return {}
    return {str(i): Sample.from_doc(s) for i, s in instances.items() if isinstance(s, dict)}


class FirestoreBoard:
    """`rail_health/{rail}` {instances: {<instance>: sample}}: a write replaces the writer's
    section whole (buckets it dropped go) and deletes the forgotten ones, nothing else."""

    def __init__(self, client: Any) -> None:  # a google.cloud.firestore.Client
        self._collection = client.collection(COLLECTION)

    def read(self, rail: str) -> dict[str, Sample]:
        snapshot = self._collection.document(rail).get()
        return _sections(snapshot.to_dict() or {}) if snapshot.exists else {}

    def write(
        self, rail: str, instance: str, sample: Sample, forget: frozenset[str] = frozenset()
    ) -> None:
        from google.cloud import firestore
        from google.cloud.firestore_v1.field_path import FieldPath

        sections: dict[str, Any] = dict.fromkeys(forget, firestore.DELETE_FIELD)
        sections[instance] = sample.to_doc()
        # Merging on the sections' paths, not on every leaf (`merge=True`), so the writer's
        # section is replaced rather than merged key by key into what it held before.
        paths = [FieldPath("instances", i) for i in sections]
        self._collection.document(rail).set({"instances": sections}, merge=paths)


class RestBoard:
    """The same documents over Firestore's REST API: one commit whose mask names the
    writer's section (replaced) and the forgotten ones (absent from the fields: deleted)."""

    def __init__(self, rest: FirestoreRest) -> None:
        self._rest = rest

    def read(self, rail: str) -> dict[str, Sample]:
        doc = read_document(self._rest, self._rest.name(COLLECTION, rail))
        return _sections(decode_fields(doc.get("fields", {}))) if doc is not None else {}

    def write(
        self, rail: str, instance: str, sample: Sample, forget: frozenset[str] = frozenset()
    ) -> None:
        mask = [f"instances.{field_path(i)}" for i in sorted(forget | {instance})]
        fields = {"instances": {instance: sample.to_doc()}}
        write_document(self._rest, self._rest.name(COLLECTION, rail), fields, mask=mask)


def firestore_board(project: str, firestore_client: str) -> HealthBoard:
    """A board on the project's Firestore through the adapter the store uses ("rest" or
    "library"); honours FIRESTORE_EMULATOR_HOST. Connects on first use."""
    if firestore_client == "rest":
        return RestBoard(FirestoreRest.for_project(project))
    from google.cloud import firestore  # imported here: the import is slow

    return FirestoreBoard(firestore.Client(project=project))


@dataclass(frozen=True)
class Stats:
    """A rail's last hour, for /rails."""

    state: State
    attempts: int  # started + unavailable + unknown
    started: int
    refused: int
    p50_ms: int | None

    @property
    def success_percent(self) -> int | None:
        return None if not self.attempts else self.started * 100 // self.attempts


class RailHealth:
    """This instance's view of every rail's health: its own samples plus the board's."""

    def __init__(self, board: HealthBoard, instance: str | None = None) -> None:
        self.board = board
        self.instance = instance or secrets.token_hex(6)
        self._mine: dict[str, Sample] = {}
        self._flushed: dict[str, datetime] = {}
        self._read: dict[str, tuple[datetime, dict[str, Sample]]] = {}
        self._lock = threading.Lock()

    def record(self, rail: str, outcome: Seen, latency_ms: int, now: datetime) -> None:
        """Count one start's outcome; share it now if it changes what the breaker sees."""
        with self._lock:
            sample = self._mine.setdefault(rail, Sample())
            sample.drop_before(now - HOUR)
            counts = sample.buckets.setdefault(_minute(now), [0, 0, 0, 0])
            counts[OUTCOMES.index(outcome)] += 1
            recovered = False
            if outcome in ("unavailable", "unknown"):
                sample.last_failure = now.astimezone(UTC).isoformat()
            elif outcome == "started":
                recovered = sample.last_failure > sample.last_success
                sample.last_success = now.astimezone(UTC).isoformat()
                sample.latencies_ms = [*sample.latencies_ms, latency_ms][-LATENCIES_KEPT:]
            due = now - self._flushed.get(rail, datetime.min.replace(tzinfo=UTC)) >= FLUSH_EVERY
            if not (due or recovered or outcome in ("unavailable", "unknown")):
                return
            self._flushed[rail] = now
            snapshot = Sample.from_doc(sample.to_doc())
            seen = self._read.pop(rail, None)  # read our own write next time
        # Sections of instances gone for an hour are dropped, so the document stays small.
        shared = seen[1] if seen else {}
        gone = frozenset(i for i, s in shared.items() if i != self.instance and s.stale(now))
        try:
            self.board.write(rail, self.instance, snapshot, gone)
        except Exception as err:  # health is advice: a payment never fails on it
            log.warning("rail health of %s not shared: %s", rail, type(err).__name__)

    def samples(self, rail: str, now: datetime) -> list[Sample]:
        with self._lock:
            cached = self._read.get(rail)
            mine = Sample.from_doc(self._mine[rail].to_doc()) if rail in self._mine else None
        if cached is None or now - cached[0] >= READ_TTL:
            try:
                shared = self.board.read(rail)
            except Exception as err:  # unknown health reads as healthy
                log.warning("rail health of %s not read: %s", rail, type(err).__name__)
                shared = {}
            with self._lock:
                self._read[rail] = (now, shared)
            cached = (now, shared)
        others = [s for i, s in cached[1].items() if i != self.instance]
        return [*others, *([mine] if mine else [])]

    def state(self, rail: str, now: datetime) -> State:
        samples = self.samples(rail, now)
        counts = _counts(samples, now - WINDOW)
        failures = counts["unavailable"] + counts["unknown"]
        attempts = failures + counts["started"]
        last_failure = max((s.last_failure for s in samples), default="")
        last_success = max((s.last_success for s in samples), default="")
        failing = failures >= MIN_FAILURES and failures * 2 >= attempts
        if not failing or not last_failure or last_success > last_failure:
            return "closed"
        if now - datetime.fromisoformat(last_failure) < COOL_DOWN:
            return "open"
        return "half_open"

    def open_rails(self, rails: list[str] | tuple[str, ...], now: datetime) -> frozenset[str]:
        """The rails /deposit should pass over now."""
        return frozenset(rail for rail in rails if self.state(rail, now) == "open")

    def stats(self, rail: str, now: datetime) -> Stats:
        samples = self.samples(rail, now)
        counts = _counts(samples, now - HOUR)
        latencies = [ms for s in samples for ms in s.latencies_ms]
        attempts = counts["started"] + counts["unavailable"] + counts["unknown"]
        p50 = int(statistics.median(latencies)) if latencies else None
        return Stats(self.state(rail, now), attempts, counts["started"], counts["refused"], p50)


def _counts(samples: list[Sample], since: datetime) -> dict[Seen, int]:
    totals = dict.fromkeys(OUTCOMES, 0)
    floor = _minute(since)
    for sample in samples:
        for minute, counts in sample.buckets.items():
            if minute >= floor:
                for outcome, n in zip(OUTCOMES, counts, strict=False):
                    totals[outcome] += n
    return totals
