"""Running a reactor's reactions through the pipeline, each under its own key."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from events import Envelope
from functions.domain.decider import DomainError
from functions.reactors.base import Reactor
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.ports import Appended, ConcurrencyConflict

log = logging.getLogger(__name__)


def react_to(pipeline: Pipeline, reactor: Reactor, envelope: Envelope) -> int:
    """Decide the reactions to one event; returns how many wrote new events."""
    outcomes = run_reactions(
        pipeline, reactor, envelope, check_key_first=reactor.expects_duplicates
    )
    return sum(1 for appended in outcomes if appended.events and not appended.duplicate)


def run_reactions(
    pipeline: Pipeline, reactor: Reactor, envelope: Envelope, *, check_key_first: bool = False
) -> list[Appended]:
    """Each reaction to one event decided under its deterministic key; a refusal is final
    (deciding again gives the same answer), so it is logged and skipped. With
    `check_key_first`, a reaction whose key is recorded is skipped for one read."""
    if envelope.category != reactor.category:
        return []
    outcomes: list[Appended] = []
    for index, reaction in enumerate(reactor.react(envelope)):
        key = reactor.key(envelope, index)
        if check_key_first and pipeline.store.is_recorded(key):
            continue
        trace = Trace(key, envelope.event_id, envelope.correlation_id)
        try:
            outcomes.append(
                pipeline.execute(
                    reaction.decider,
                    reaction.stream,
                    reaction.command,
                    trace,
                    new_stream=reaction.new_stream,
                )
            )
        except DomainError:
            log.warning("%s refused by %s", reactor.name, reaction.stream, exc_info=True)
    return outcomes


# The longest inline chain today (checkout: debit -> paid -> sold -> delivered) takes 4.
MAX_INLINE_STEPS = 16


def by_category(reactors: Sequence[Reactor]) -> Callable[[str], Sequence[Reactor]]:
    """`reactors_for` over a fixed list (tests and benches)."""
    return lambda category: [r for r in reactors if r.category == category]


def follow_inline(
    pipeline: Pipeline, reactors_for: Callable[[str], Sequence[Reactor]], events: Iterable[Envelope]
) -> list[Envelope]:
    """Run the inline reactors on `events` and on what they write, depth-first, in this
    process; returns every event written, in order.

    The user should see the outcome (the item, or "sold out, refunded") in the answer to a
    tap, not a moment later. The reactions run under the very keys the Pub/Sub-driven
    subscribers use: whichever runs second finds its key recorded and changes nothing. If
    this instance dies midway, the subscribers finish the chain.
    """
    queue: deque[Envelope] = deque(events)
    written: list[Envelope] = []
    steps = 0
    while queue and steps < MAX_INLINE_STEPS:
        envelope = queue.popleft()
        for reactor in reactors_for(envelope.category):
            steps += 1
            try:
                outcomes = run_reactions(pipeline, reactor, envelope)
            except ConcurrencyConflict:
                # A hot stream: leave this step to the subscriber, which retries it.
                log.info("inline step %s deferred on %s", reactor.name, envelope.stream)
                continue
            for appended in outcomes:
                # Follow the step's events even when the subscriber wrote them first (a
                # duplicate returns the earlier outcome): the chain goes on to the end here.
                queue.extend(appended.events)
                if not appended.duplicate:
                    written.extend(appended.events)
    return written
