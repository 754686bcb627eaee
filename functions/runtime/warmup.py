"""An instance's first request runs without the cyclic garbage collector.

A cold instance imports its modules and builds its models inside its first request (main.py
imports an entry point's work on first call): hundreds of thousands of allocations, almost
none of them garbage, over which the collector ran again and again, its full collections
scanning everything imported so far: ~20 ms of a first /start of ~190 ms
(`python -m tests.bench.first_request` measures both ways). Reference counting still frees
what the request drops. When it ends, what is alive is frozen (the modules, classes and
models live as long as the instance: no later collection needs to scan them again) and the
collector is on again, for good.
"""

from __future__ import annotations

import gc
import threading


class FirstRequest:
    """Holds the collector during the first request of a process only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = False

    def begin(self) -> bool:
        """True for the very first request, which turns the collector off until `end`."""
        with self._lock:
            if self._started:
                return False
            self._started = True
        if not gc.isenabled():  # someone else holds it: not ours to turn on later
            return False
        gc.disable()
        return True

    def end(self, first: bool) -> None:
        if first:
            gc.freeze()
            gc.enable()
