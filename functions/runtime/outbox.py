"""Publishing beside the request: a request's publishes go out in order on a thread of
their own while its next steps commit, and the request waits for them before it answers.

A purchase's Pay tap appends four times (debit, paid, sold, delivered); publishing each
before the next append made the tap wait for four Pub/Sub round trips in a row. Here each
publish overlaps the next commit. Order is kept: one worker per request thread takes its
publishes first in, first out, so a stream's versions still reach the bus in order. Nothing
runs after the response (Cloud Run functions throttle the CPU then): the entry point drains
the outbox before it answers (`Runtime.settle_marks`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent import futures

log = logging.getLogger(__name__)


class Outbox:
    """One request thread's publishes, in order, on one worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: futures.ThreadPoolExecutor | None = None
        self._pending: list[futures.Future[None]] = []

    def submit(self, work: Callable[[], None]) -> None:
        with self._lock:
            if self._executor is None:  # lazily: most requests publish nothing
                self._executor = futures.ThreadPoolExecutor(1, thread_name_prefix="outbox")
            self._pending.append(self._executor.submit(_logged(work)))

    def drain(self, timeout_s: float) -> bool:
        """Wait for everything submitted so far; False if some is still going at timeout."""
        with self._lock:
            pending, self._pending = self._pending, []
        _, not_done = futures.wait(pending, timeout=timeout_s)
        if not_done:
            log.warning("%d publishes still going after %.0f s", len(not_done), timeout_s)
        return not not_done


class Outboxes:
    """An outbox per thread: gunicorn's threads serve one request at a time, reused."""

    def __init__(self) -> None:
        self._local = threading.local()

    def current(self) -> Outbox:
        box: Outbox | None = getattr(self._local, "box", None)
        if box is None:
            box = self._local.box = Outbox()
        return box


def _logged(work: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            work()
        except Exception:  # on a worker thread nobody else would see it; the relay covers it
            log.exception("publishing beside the request failed")

    return run
