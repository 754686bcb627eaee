"""Checks every event store adapter makes before writing, so they fail alike."""

from __future__ import annotations

import re
from collections.abc import Sequence

from events import Envelope
from functions.runtime.ports import InvalidAppend

# Firestore document ids may not contain "/" nor be "." / ".." / "__.*__"; keys are ids there.
_KEY = re.compile(r"^(?!__.*__$)(?!\.\.?$)[^/]{1,1500}$")


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
    """Refuse idempotency keys that cannot be stored as document ids."""
    if not _KEY.match(key):
        raise InvalidAppend(f"unusable idempotency key {key!r}")
