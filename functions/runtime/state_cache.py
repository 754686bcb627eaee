"""Aggregate states a warm instance already folded, so a command reads only newer events.

Events never change once written, so the state at version v plus the events after v is the
state now: the cache can only save reads, never hide an event. It is per process (a warm
function instance) and bounded; a miss costs what loading did before. States are immutable
values (frozen dataclasses), so sharing them between threads is safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from functions.domain.decider import Decider


@dataclass(frozen=True)
class Folded:
    version: int
    state: Any
    # The stream's head token when this instance's own append (or a read of the head) left
    # the state at `version`: deciding on it needs no read (functions/runtime/pipeline.py).
    head: object | None = None


class StateCache:
    def __init__(self, capacity: int = 2_000) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[int, str], Folded] = OrderedDict()

    def get(self, decider: Decider[Any, Any], stream: str) -> Folded | None:
        key = (id(decider), stream)
        with self._lock:
            folded = self._entries.get(key)
            if folded is not None:
                self._entries.move_to_end(key)
            return folded

    def put(self, decider: Decider[Any, Any], stream: str, folded: Folded) -> None:
        """Keep `folded` unless a newer version of the stream is already cached."""
        key = (id(decider), stream)
        with self._lock:
            known = self._entries.get(key)
            if known is not None and known.version > folded.version:
                return
            if known is not None and known.version == folded.version and folded.head is None:
                return  # the same state; keep the head token it may carry
            self._entries[key] = folded
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def drop(self, decider: Decider[Any, Any], stream: str) -> None:
        """Forget the stream's fold: the store no longer has the version it was taken at."""
        with self._lock:
            self._entries.pop((id(decider), stream), None)
