"""Running a reactor's reactions through the pipeline, each under its own key."""

from __future__ import annotations

import logging

from events import Envelope
from functions.domain.decider import DomainError
from functions.reactors.base import Reactor
from functions.runtime.pipeline import Pipeline, Trace

log = logging.getLogger(__name__)


def react_to(pipeline: Pipeline, reactor: Reactor, envelope: Envelope) -> int:
    """Decide the reactions to one event, each under its own deterministic key."""
    if envelope.category != reactor.category:
        return 0
    written = 0
    for index, reaction in enumerate(reactor.react(envelope)):
        trace = Trace(reactor.key(envelope, index), envelope.event_id, envelope.correlation_id)
        if reactor.expects_duplicates and pipeline.store.recorded(reactor.key(envelope, index)):
            continue
        try:
            appended = pipeline.execute(reaction.decider, reaction.stream, reaction.command, trace)
        except DomainError:
            log.warning("%s refused by %s", reactor.name, reaction.stream, exc_info=True)
            continue
        written += 0 if appended.duplicate or not appended.events else 1
    return written
