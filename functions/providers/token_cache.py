"""Where a provider's OAuth access token is kept, so every instance uses the same one.

Daraja may invalidate the previous token when a new one is minted: instances that each
minted their own would keep knocking each other's token out. They share one through this
cache instead (Firestore in the cloud, memory in tests and single-process runs).

Layout in Firestore: `provider_tokens/{name}` {token, expires_at}. The token is short-lived
(about an hour) and never logged; the document is readable only by the service account.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from functions.runtime.firestore_rest import (
    FirestoreRest,
    decode_fields,
    read_document,
    write_document,
)

COLLECTION: Final = "provider_tokens"
log = logging.getLogger(__name__)
MARGIN: Final = timedelta(seconds=60)  # a token this close to expiry is refreshed


class TokenCache(Protocol):
    def get(self, name: str) -> tuple[str, datetime] | None:
        """The cached (token, expires_at) for `name`, or None; expires_at is aware UTC."""
        ...

    def put(self, name: str, token: str, expires_at: datetime) -> None:
        """Remember a freshly minted token, replacing whatever was cached."""
        ...


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    return moment.astimezone(UTC)


class MemoryTokenCache:
    """Tokens in this process; shared by every rail instance given the same object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, datetime]] = {}

    def get(self, name: str) -> tuple[str, datetime] | None:
        with self._lock:
            return self._tokens.get(name)

    def put(self, name: str, token: str, expires_at: datetime) -> None:
        with self._lock:
            self._tokens[name] = (token, _aware(expires_at))


def _entry(data: Mapping[str, Any]) -> tuple[str, datetime] | None:
    """A stored document as (token, expires_at in UTC); anything else (a hand-edited
    document) reads as a miss, so a new token is minted."""
    token, expires_at = data.get("token"), data.get("expires_at")
    if not isinstance(token, str) or not token or not isinstance(expires_at, datetime):
        return None
    if expires_at.tzinfo is None:  # Firestore timestamps come back aware; be sure
        expires_at = expires_at.replace(tzinfo=UTC)
    e = expires_at.astimezone(UTC)  # a plain datetime, not the client's subclass
    return token, datetime(*e.timetuple()[:6], e.microsecond, tzinfo=UTC)


class FirestoreTokenCache:
    """Tokens in `provider_tokens/{name}`, shared by every instance of every function."""

    def __init__(self, client: Any) -> None:  # a google.cloud.firestore.Client
        self._collection = client.collection(COLLECTION)

    def get(self, name: str) -> tuple[str, datetime] | None:
        snapshot = self._collection.document(name).get()
        return _entry(snapshot.to_dict() or {}) if snapshot.exists else None

    def put(self, name: str, token: str, expires_at: datetime) -> None:
        self._collection.document(name).set({"token": token, "expires_at": _aware(expires_at)})


class RestTokenCache:
    """The same documents over Firestore's REST API (no google.cloud import)."""

    def __init__(self, rest: FirestoreRest) -> None:
        self._rest = rest

    def get(self, name: str) -> tuple[str, datetime] | None:
        doc = read_document(self._rest, self._rest.name(COLLECTION, name))
        return _entry(decode_fields(doc.get("fields", {}))) if doc is not None else None

    def put(self, name: str, token: str, expires_at: datetime) -> None:
        # No mask: the whole document is replaced, as the library's `set` does.
        fields = {"token": token, "expires_at": _aware(expires_at)}
        write_document(self._rest, self._rest.name(COLLECTION, name), fields)


class SharedToken:
    """One provider's token as an instance sees it: its own copy, the cache's, or a new one.

    `mint()` asks the provider for a token and returns it with its expiry; it is called only
    when neither copy is valid for another MARGIN, or when the token in use was rejected
    and the cache holds nothing newer (another instance may already have refreshed it).
    """

    def __init__(
        self,
        cache: TokenCache,
        name: str,
        mint: Callable[[], tuple[str, datetime]],
        now: Callable[[], datetime],
    ) -> None:
        self._cache, self.name, self._mint, self._now = cache, name, mint, now
        self._lock = threading.Lock()  # one mint at a time in this instance
        self._mine: tuple[str, datetime] | None = None

    def get(self, rejected: str | None = None) -> str:
        """A token valid for another MARGIN and other than `rejected`."""
        with self._lock:
            if self._usable(self._mine, rejected):
                assert self._mine is not None
                return self._mine[0]
            cached = self._read()
            if cached is None or not self._usable(cached, rejected):
                cached = self._mint()
                self._write(cached)
            self._mine = cached
            return cached[0]

    # A cache outage must not stop payments: mint (and keep) our own token meanwhile.
    def _read(self) -> tuple[str, datetime] | None:
        try:
            return self._cache.get(self.name)
        except Exception as err:
            log.warning("token cache unreadable for %s: %s", self.name, type(err).__name__)
            return None

    def _write(self, entry: tuple[str, datetime]) -> None:
        try:
            self._cache.put(self.name, *entry)
        except Exception as err:
            log.warning("token cache unwritable for %s: %s", self.name, type(err).__name__)

    def current(self) -> str | None:
        """The token this instance last used, if any (to keep it out of messages)."""
        return self._mine[0] if self._mine else None

    def _usable(self, entry: tuple[str, datetime] | None, rejected: str | None) -> bool:
        return entry is not None and entry[0] != rejected and entry[1] - self._now() > MARGIN


__all__ = [
    "COLLECTION",
    "FirestoreTokenCache",
    "MemoryTokenCache",
    "RestTokenCache",
    "SharedToken",
    "TokenCache",
]
