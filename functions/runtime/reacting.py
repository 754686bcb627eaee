"""Running a reactor's reactions through the pipeline, each under its own key."""

from __future__ import annotations

import logging

from events import Envelope
from functions.domain.decider import DomainError
from functions.reactors.base import Reactor
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.ports import Appended

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
        if check_key_first and pipeline.store.recorded(key):
            continue
        trace = Trace(key, envelope.event_id, envelope.correlation_id)
        try:
            outcomes.append(
                pipeline.execute(reaction.decider, reaction.stream, reaction.command, trace)
            )
        except DomainError:
            log.warning("%s refused by %s", reactor.name, reaction.stream, exc_info=True)
    return outcomes
