"""Subscriber entry points for reactors: one pushed event -> commands through the pipeline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from functions.projections.endpoint import PoisonMessage, envelope_of
from functions.reactors.base import Reactor
from functions.runtime.bootstrap import runtime
from functions.runtime.reacting import react_to

log = logging.getLogger(__name__)


def serve(reactor: Reactor | Sequence[Reactor], cloud_event_data: Any) -> int:
    """Decide every reaction; returns how many wrote new events (0 for a redelivery).

    A domain refusal is final (deciding again gives the same answer), so it is logged and
    acknowledged; store or bus failures raise so Pub/Sub redelivers.
    """
    reactors = (reactor,) if isinstance(reactor, Reactor) else tuple(reactor)
    try:
        envelope = envelope_of(cloud_event_data)
    except PoisonMessage:
        log.exception("dropping poison message for %s", [r.name for r in reactors])
        return 0
    pipeline = runtime().pipeline
    return sum(react_to(pipeline, r, envelope) for r in reactors)
