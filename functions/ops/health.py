"""The `health` entry point's work: is the store reachable, does the bus accept messages,
how far behind is the relay? 200 when both answer, 503 when either does not."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from events import Envelope, encode
from events.ops import Heartbeat
from functions.jobs.relay import unmarked_since
from functions.runtime.bootstrap import Runtime, runtime

log = logging.getLogger(__name__)
PROBE_STREAM = "health-0"  # never appended to: loading it costs one read
BACKLOG_LIMIT = 100  # unpublished events counted at most (each costs a read)


def serve() -> tuple[dict[str, Any], int]:
    """The report and its status code."""
    rt = runtime()
    report: dict[str, Any] = {"store": _check(lambda: rt.store.load(PROBE_STREAM))}
    report["bus"] = _check(lambda: rt.publisher.publish([heartbeat(rt)]))
    if report["store"] == "ok":
        report["relay_backlog"] = backlog(rt)
    healthy = report["store"] == "ok" and report["bus"] == "ok"
    return {"status": "ok" if healthy else "unavailable", **report}, 200 if healthy else 503


def heartbeat(rt: Runtime) -> Envelope:
    """A message for `health-events`, which no one subscribes to: it only proves publishing."""
    type_name, data = encode(Heartbeat(checked_by="health"))
    return Envelope(
        event_id=rt.ids.new_id(),
        stream=PROBE_STREAM,
        version=1,
        type=type_name,
        occurred_at=rt.clock.now(),
        data=data,
    )


def backlog(rt: Runtime) -> dict[str, Any]:
    """How many committed events wait for the relay, and the age of the oldest one seen."""
    pending = rt.store.unpublished(BACKLOG_LIMIT, before=unmarked_since(rt))
    oldest = min((e.occurred_at for e in pending), default=None)
    age = (rt.clock.now() - oldest).total_seconds() if oldest else None
    return {
        "unpublished": len(pending),
        "at_least": len(pending) >= BACKLOG_LIMIT,
        "oldest_age_s": round(age) if age is not None else None,
    }


def _check(probe: Callable[[], object]) -> str:
    try:
        probe()
    except Exception as err:  # any failure is "unreachable" here; the log has the cause
        log.warning("health check failed: %s", type(err).__name__, exc_info=True)
        return f"unreachable ({type(err).__name__})"
    return "ok"
