"""The one subscriber endpoint: a Pub/Sub push, as a CloudEvent, to what its function serves.

Every pushed function (functions/main.py) names itself; its context's declaration
(functions/contexts/) says which read models, reactors and notification rules it feeds, and
this module gives each delivered event to them in that order. Transient failures raise so
Pub/Sub redelivers (every step is idempotent: read models by applied version, reactions by
key, notices by key); poison is acknowledged and logged, since retrying it forever would only
fill the dead-letter topic later. A domain refusal inside a reaction is final and logged.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from pydantic import ValidationError

from events import Envelope
from functions.contexts.base import resolve
from functions.runtime import logs
from functions.runtime.bootstrap import runtime
from functions.runtime.reacting import react_to

log = logging.getLogger(__name__)


class PoisonMessage(Exception):
    """A message that can never be applied; acknowledged (not retried) and logged."""


def envelope_of(cloud_event_data: Any) -> Envelope:
    """The envelope inside a Pub/Sub CloudEvent's `message.data`."""
    try:
        raw = base64.b64decode(cloud_event_data["message"]["data"], validate=True)
        return Envelope.from_json(raw)
    except (KeyError, TypeError, binascii.Error, ValidationError) as err:
        raise PoisonMessage(f"undecodable message: {type(err).__name__}") from err


def serve(entry_point: str, cloud_event_data: Any) -> int:
    """Deliver one event to the function's subscriber; returns how many writes or messages it
    caused (0 for a redelivery)."""
    rt = runtime()
    serving = rt.registry().subscriber(entry_point)
    try:
        envelope = envelope_of(cloud_event_data)
    except PoisonMessage:
        log.exception("dropping poison message for %s", entry_point)
        return 0
    logs.bind(stream=envelope.stream, correlation_id=envelope.correlation_id)
    done = sum(
        rt.read_models.apply(p, envelope)
        for p in resolve(serving.projections)  # this subscriber's only
        if p.feeds_on(envelope)
    )
    done += sum(react_to(rt.pipeline, r, envelope) for r in resolve(serving.reactors))
    if serving.notifies:
        from functions.notifications.endpoint import notify  # the Bot API only where used

        done += notify(rt, envelope)
    return done
