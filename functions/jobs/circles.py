"""close-rounds and remind-circles: the savings circles' deadlines.

Only circles whose deadline (`due_at`) or next reminder (`remind_at`) has come are read.
Both are idempotent: a close is decided on the circle's stream for the round the view
showed, which the circle ignores once that round closed or while it is not yet due, and a
reminder is recorded once per round and lead time (`circle.reminded`). The keys name the
run's time too: a decision that found nothing due records its key with no events, and the
same key at the real deadline would then change nothing.
"""

from __future__ import annotations

from functions.domain import circles
from functions.projections.circles import REMINDER_HOURS, circles_due
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace

BATCH = 200


def close_rounds(rt: Runtime) -> dict[str, int]:
    now, closed = rt.clock.now(), 0
    for circle_id in circles_due(rt.read_models, "due_at", now, BATCH):
        stream = circles.stream_of(circle_id)
        state = rt.pipeline.current(circles.circles, stream)
        key = f"close-round:{circle_id}:{state.round}:{now.isoformat()}"
        close = circles.CloseRound(state.round, now)
        # Followed inline: deposits are seized and the pot credited now, not on delivery.
        appended = rt.execute(circles.circles, stream, close, Trace(key, key, stream))
        if appended.events and not appended.duplicate:
            closed += 1
    return {"closed": closed}


def remind(rt: Runtime) -> dict[str, int]:
    now, sent = rt.clock.now(), 0
    for circle_id in circles_due(rt.read_models, "remind_at", now, BATCH):
        stream = circles.stream_of(circle_id)
        state = rt.pipeline.current(circles.circles, stream)
        for hours in REMINDER_HOURS:
            key = f"remind-circle:{circle_id}:{state.round}:{hours}:{now.isoformat()}"
            command = circles.Remind(state.round, hours, now)
            appended = rt.pipeline.execute(
                circles.circles, stream, command, Trace(key, key, stream)
            )
            if appended.events and not appended.duplicate:
                sent += 1
    return {"reminded": sent}
