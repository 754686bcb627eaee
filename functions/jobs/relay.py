"""`relay`: publish events whose function died between commit and publish.

A function marks the events it published in its next append (functions/runtime/pipeline.py),
so only events unmarked for longer than the grace period are taken: those of a function
that died, or that published and appended nothing since. Publishing one twice is safe.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

from functions.runtime.bootstrap import Runtime


def run(rt: Runtime) -> dict[str, int]:
    """Publish what is still unpublished, stream by stream in version order."""
    pending = rt.store.unpublished(rt.settings.relay_batch, before=unmarked_since(rt))
    pending.sort(key=lambda e: (e.stream, e.version))
    published = 0
    for _, stream_events in groupby(pending, key=lambda e: e.stream):
        batch = tuple(stream_events)
        rt.publisher.publish(batch)  # PublishFailed propagates: the scheduler retries the job
        rt.store.mark_published(batch)
        published += len(batch)
    return {"published": published}


def unmarked_since(rt: Runtime) -> datetime:
    """Events that occurred before this and are still unmarked are the relay's."""
    return rt.clock.now() - timedelta(seconds=rt.settings.relay_grace_s)
