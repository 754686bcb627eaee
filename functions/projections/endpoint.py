"""Subscriber entry points' work: a Pub/Sub push, as a CloudEvent, into a read model."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from events import Envelope
from functions.projections.base import Projection
from functions.runtime import logs
from functions.runtime.bootstrap import runtime

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


def serve(projection: Projection | Sequence[Projection], cloud_event_data: Any) -> int:
    """Apply one delivery; returns how many events it applied (0 for a repeat).

    A function serving several read models (one per topic it subscribes to) passes them
    all; each delivery feeds the ones that read its stream's category.

    Transient failures raise so Pub/Sub redelivers; poison is acknowledged, since retrying
    it forever would only fill the dead-letter topic later.
    """
    projections = (projection,) if isinstance(projection, Projection) else tuple(projection)
    try:
        envelope = envelope_of(cloud_event_data)
    except PoisonMessage:
        log.exception("dropping poison message for %s", [p.name for p in projections])
        return 0
    logs.bind(stream=envelope.stream, correlation_id=envelope.correlation_id)
    read_models = runtime().read_models
    return sum(read_models.apply(p, envelope) for p in projections if p.feeds_on(envelope))
