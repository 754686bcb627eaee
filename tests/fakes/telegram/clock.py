"""Time for the fake: one injectable clock drives flood limits, call stamps and message dates.

A single source of time keeps a test deterministic: moving a `FakeClock` forward is the only
way a rate limit recovers, and message `date` fields follow the same clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Returns Unix time in seconds (like `time.time`)."""

system_clock: Clock = time.time


class FakeClock:
    """A manual clock for tests; starts at a realistic Unix time so `date` fields look real."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
