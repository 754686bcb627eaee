"""`relay`: publish events whose function died between commit and publish."""

from __future__ import annotations

from itertools import groupby

from functions.runtime.bootstrap import Runtime


def run(rt: Runtime) -> dict[str, int]:
    """Publish what is still unpublished, stream by stream in version order."""
    pending = rt.store.unpublished(rt.settings.relay_batch)
    pending.sort(key=lambda e: (e.stream, e.version))
    published = 0
    for _, stream_events in groupby(pending, key=lambda e: e.stream):
        batch = tuple(stream_events)
        rt.publisher.publish(batch)  # PublishFailed propagates: the scheduler retries the job
        rt.store.mark_published(batch)
        published += len(batch)
    return {"published": published}
