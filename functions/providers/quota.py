"""A rail's outbound calls counted against one budget per minute for the whole deployment.

Every instance of every function that calls a provider (the webhook starting payments, the
payment webhook and the reconcile job asking statuses, token mints) draws on the rail's
`calls_per_minute`. The store holds, per rail, the current window (a UTC minute) and how
many of its calls were handed out. An instance takes a *lease* of calls in one
transaction and spends it locally: its first lease in a window is 1 call, each next one
twice the last, up to MAX_LEASE. An idle instance so holds at most what it used, a busy
one makes one transaction per MAX_LEASE calls, and a lease's unspent calls lapse with its
window (at most what the instance used in that window, so at worst half the budget).

A call the window has no budget left for is not sent: OverQuota, a ProviderUnavailable, so a
payment start is "unavailable" and /deposit fails over to the next rail. When the store
cannot be read the call goes out (logged): pacing is a courtesy to the provider, whose own
429 the rails already treat as "did nothing, unavailable", and never a reason to stop
payments. Within an instance, `functions/providers/pace.py` still spaces calls out.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from functions.providers.base import ProviderUnavailable
from functions.runtime.firestore_rest import (
    FirestoreRest,
    decode_fields,
    read_document,
    write_document,
)
from functions.runtime.ports import ConcurrencyConflict

log = logging.getLogger(__name__)
COLLECTION: Final = "provider_quotas"
MAX_LEASE: Final = 16


class OverQuota(ProviderUnavailable):
    """The call was not sent: the rail's calls for this minute are spent."""


class QuotaContended(Exception):
    """Every attempt to lease met another instance's write (the call then goes out)."""


class QuotaStore(Protocol):
    def take(self, rail: str, window: str, limit: int, want: int) -> int:
        """Hand out up to `want` of the `limit` calls of `window` (a later window starts
        from none used); how many were handed out, 0 when the window is spent."""
        ...


def _granted(used: int, limit: int, want: int) -> int:
    return max(0, min(want, limit - used))


class MemoryQuotaStore:
    """One process's windows: what instances given the same object share."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[str, int]] = {}

    def take(self, rail: str, window: str, limit: int, want: int) -> int:
        with self._lock:
            current, used = self._windows.get(rail, (window, 0))
            if current < window:
                current, used = window, 0
            elif current > window:  # a caller behind the clock: nothing of a past minute
                return 0
            granted = _granted(used, limit, want)
            self._windows[rail] = (current, used + granted)
            return granted


def _lease(
    data: Mapping[str, Any], window: str, limit: int, want: int
) -> tuple[int, dict[str, Any]]:
    """How many calls to hand out of `window` given the stored document, and the document
    after; 0 when the window is spent or past (an instance whose clock is behind)."""
    current, used = str(data.get("window") or ""), data.get("used")
    used = used if isinstance(used, int) and not isinstance(used, bool) else 0
    if current > window:
        return 0, dict(data)
    if current < window:
        used = 0
    granted = _granted(used, limit, want)
    return granted, {"window": window, "used": used + granted}


def _backoff(attempt: int) -> None:
    """Another instance leased first: wait a little (more each time) before reading again."""
    time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter


class FirestoreQuotaStore:
    """`provider_quotas/{rail}` {window, used}: read, then written only if unchanged since
    (an update-time precondition, or `create`), read again on a conflict. As the read models
    do: a transaction holds a lock the emulator times out under a few racing instances."""

    def __init__(self, client: Any, attempts: int = 8) -> None:  # a firestore.Client
        self._client = client
        self._collection = client.collection(COLLECTION)
        self._attempts = attempts

    def take(self, rail: str, window: str, limit: int, want: int) -> int:
        from google.api_core import exceptions as gexc

        ref = self._collection.document(rail)
        for attempt in range(self._attempts):
            snapshot = ref.get()
            data = (snapshot.to_dict() or {}) if snapshot.exists else {}
            granted, lease = _lease(data, window, limit, want)
            if not granted:
                return 0
            try:
                if snapshot.exists:
                    unchanged = self._client.write_option(last_update_time=snapshot.update_time)
                    ref.update(lease, option=unchanged)
                else:
                    ref.create(lease)
            except (gexc.FailedPrecondition, gexc.AlreadyExists):
                _backoff(attempt)
                continue
            return granted
        raise QuotaContended(f"{rail}: quota still contended after {self._attempts} attempts")


class RestQuotaStore:
    """The same documents and the same loop over Firestore's REST API: the lease is
    committed only if the document's `updateTime` is still the one read (or, for a new
    rail, only if it still does not exist)."""

    def __init__(self, rest: FirestoreRest, attempts: int = 8) -> None:
        self._rest = rest
        self._attempts = attempts

    def take(self, rail: str, window: str, limit: int, want: int) -> int:
        name = self._rest.name(COLLECTION, rail)
        for attempt in range(self._attempts):
            doc = read_document(self._rest, name)
            data = decode_fields(doc.get("fields", {})) if doc is not None else {}
            granted, lease = _lease(data, window, limit, want)
            if not granted:
                return 0
            unchanged = {"updateTime": doc["updateTime"]} if doc is not None else {"exists": False}
            try:
                # The mask keeps other fields, as the library's `update` does.
                write_document(self._rest, name, lease, mask=list(lease), precondition=unchanged)
            except ConcurrencyConflict:
                _backoff(attempt)
                continue
            return granted
        raise QuotaContended(f"{rail}: quota still contended after {self._attempts} attempts")


def _window(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


class Quota:
    """One rail's share of its per-minute budget as this instance spends it."""

    def __init__(
        self,
        store: QuotaStore,
        rail: str,
        per_minute: int,
        now: Callable[[], datetime],
        max_lease: int = MAX_LEASE,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("a quota needs a positive number of calls a minute")
        self.store, self.rail, self.per_minute, self._now = store, rail, per_minute, now
        self.max_lease = max(1, min(max_lease, per_minute))
        self._lock = threading.Lock()
        self._window = ""
        self._left = 0  # calls of the lease not spent yet
        self._lease = 0  # the size of the last lease in this window

    def wait(self, what: str) -> None:
        """Spend one call of this minute's budget, leasing more when none is left here;
        OverQuota when the minute's calls are all handed out."""
        with self._lock:
            window = _window(self._now())
            if window != self._window:
                self._window, self._left, self._lease = window, 0, 0
            if self._left == 0:
                want = min(self.max_lease, max(1, self._lease * 2))
                try:
                    granted = self.store.take(self.rail, window, self.per_minute, want)
                except Exception as err:  # the store is advice here: the call goes out
                    log.warning("quota of %s not read: %s", self.rail, type(err).__name__)
                    return
                if granted == 0:
                    raise OverQuota(f"{what}: {self.rail}'s calls for this minute are spent")
                self._left, self._lease = granted, granted
            self._left -= 1
