"""Checks every event store adapter makes before writing, so they fail alike."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from events import Envelope
from functions.runtime.ports import InvalidAppend, Snapshot, check_snapshot

# Firestore document ids may not contain "/" nor be "." / ".." / "__.*__"; keys are ids there.
_KEY = re.compile(r"^(?!__.*__$)(?!\.\.?$)(?!sha256~)[^/]{1,1500}$")
MAX_KEY_CHARS = 4096


def check_append(stream: str, expected_version: int, events: Sequence[Envelope]) -> None:
    """Refuse envelopes that do not continue `stream` from `expected_version` without gaps."""
    if expected_version < 0:
        raise InvalidAppend(f"expected version {expected_version} < 0")
    for offset, event in enumerate(events, start=1):
        if event.stream != stream:
            raise InvalidAppend(f"event for {event.stream} appended to {stream}")
        if event.version != expected_version + offset:
            raise InvalidAppend(f"{stream}: version {event.version} breaks the sequence")


def check_key(key: str) -> None:
    """Refuse empty and absurdly long idempotency keys (any other text is storable)."""
    if not key or len(key) > MAX_KEY_CHARS:
        raise InvalidAppend(f"unusable idempotency key {key[:64]!r}")


def key_document_id(key: str) -> str:
    """The document id a key is stored under: itself when Firestore allows it, else its hash.

    Keys carry ids a sender chose (a provider's payment id may hold a "/"), and such a key
    must be as storable as any other: a sender's input never becomes our store's error.
    """
    check_key(key)
    if _KEY.match(key):
        return key
    return "sha256~" + hashlib.sha256(key.encode()).hexdigest()


def check_append_request(
    stream: str,
    expected_version: int,
    events: Sequence[Envelope],
    idempotency_key: str | None,
    snapshot: Snapshot | None,
) -> None:
    """Every store adapter's append checks its arguments the same way before writing."""
    check_append(stream, expected_version, events)
    check_snapshot(events, snapshot)
    if idempotency_key is not None:
        check_key(idempotency_key)
