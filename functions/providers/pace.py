"""Pacing a provider's calls from this instance to a rate it accepts.

A call takes the next free slot (1/rate seconds after the previous one) and waits for it; a
call whose slot is more than `max_wait_s` away is not made at all: ProviderUnavailable, so a
payment start is "unavailable" (nothing was sent) and /deposit may fail over to the next
rail instead of queueing behind a burst. The pace is per instance and only smooths one
instance's bursts; what the whole deployment may send is the rail's quota
(functions/providers/quota.py), which every instance draws on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from functions.providers.base import ProviderUnavailable


class Gate(Protocol):
    """What a provider's call waits at before it is sent: a pace, a quota, or both."""

    def wait(self, what: str) -> None:
        """Return when the call may go; raise a ProviderUnavailable when it may not."""
        ...


class Gates:
    """Several gates in turn (the deployment's quota, then this instance's pace)."""

    def __init__(self, *gates: Gate) -> None:
        self.gates = gates

    def wait(self, what: str) -> None:
        for gate in self.gates:
            gate.wait(what)


class OverPace(ProviderUnavailable):
    """The call was not sent: its slot was too far away. Nothing reached the provider."""


class Pacer:
    def __init__(
        self,
        per_second: float,
        *,
        max_wait_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("a pace needs a positive rate")
        self.interval = 1.0 / per_second
        self.max_wait_s = max_wait_s
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, what: str) -> None:
        """Wait for this call's slot, or refuse it when the slot is too far away."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            delay = slot - now
            if delay > self.max_wait_s:
                raise OverPace(f"{what}: over this instance's pace, not sent")
            self._next = slot + self.interval
        if delay > 0:
            self._sleep(delay)
