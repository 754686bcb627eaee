"""Running the checkout saga's next steps in this process, right after a command.

The buyer should see the outcome (the item, or "sold out, refunded") in the answer to the
tap, not a moment later. So the webhook runs the saga's reactions on the events it just
wrote, depth-first, under the very keys the Pub/Sub-driven reactors use: whichever runs
second finds its key recorded and changes nothing. If this instance dies midway, the
subscribers finish the saga.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable

from events import Envelope
from functions.reactors.checkout import CHECKOUT
from functions.runtime.bootstrap import Runtime
from functions.runtime.ports import ConcurrencyConflict
from functions.runtime.reacting import run_reactions

log = logging.getLogger(__name__)
MAX_STEPS = 16  # the longest path (debit -> paid -> sold -> delivered) takes 4


def run_saga(rt: Runtime, events: Iterable[Envelope]) -> list[Envelope]:
    """Every event the saga wrote, following `events`, in the order written."""
    queue: deque[Envelope] = deque(events)
    written: list[Envelope] = []
    pipeline = rt.pipeline
    steps = 0
    while queue and steps < MAX_STEPS:
        envelope = queue.popleft()
        for reactor in CHECKOUT:
            if reactor.category != envelope.category:
                continue
            steps += 1
            try:
                outcomes = run_reactions(pipeline, reactor, envelope)
            except ConcurrencyConflict:
                # A hot stream: leave this step to the subscriber, which retries it.
                log.info("checkout step %s deferred on %s", reactor.name, envelope.stream)
                continue
            for appended in outcomes:
                # Follow the step's events even when the subscriber wrote them first (a
                # duplicate returns the earlier outcome): the chain goes on to the end here.
                queue.extend(appended.events)
                if not appended.duplicate:
                    written.extend(appended.events)
    return written
