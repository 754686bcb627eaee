"""Subscriber entry points' work: a Pub/Sub push, as a CloudEvent, into a read model."""

from __future__ import annotations

import base64
import binascii
import logging
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


def serve(projection: Projection, cloud_event_data: Any) -> int:
    """Apply one delivery; returns how many events it applied (0 for a repeat).

    Transient failures raise so Pub/Sub redelivers; poison is acknowledged, since retrying
    it forever would only fill the dead-letter topic later.
    """
    try:
        envelope = envelope_of(cloud_event_data)
    except PoisonMessage:
        log.exception("dropping poison message for %s", projection.name)
        return 0
    logs.bind(stream=envelope.stream, correlation_id=envelope.correlation_id)
    if not projection.feeds_on(envelope):
        return 0
    return runtime().read_models.apply(projection, envelope)
