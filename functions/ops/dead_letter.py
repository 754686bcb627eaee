"""The `dead_letter` entry point's work: record a message Pub/Sub gave up on, once.

Every subscription's dead-letter topic `<subscription>-dead` is drained by a subscription
pushing here. The message becomes an `ops.message_dead_lettered.v1` event on the stream
`deadletter-<subscription>`, idempotent on its Pub/Sub messageId, for an admin to list and
replay (`python -m functions.ops.replay`).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from events import Envelope
from functions.domain import deadletters
from functions.runtime.bootstrap import runtime
from functions.runtime.pipeline import Trace

log = logging.getLogger(__name__)
# Set by Pub/Sub on every message it forwards to a dead-letter topic.
SOURCE_SUBSCRIPTION = "CloudPubSubDeadLetterSourceSubscription"
DELIVERY_COUNT = "CloudPubSubDeadLetterSourceDeliveryCount"
DEAD_SUFFIX = "-dead"


def serve(source: str, cloud_event_data: Any) -> bool:
    """Record one dead letter; True if it is new. Store failures raise, so Pub/Sub retries."""
    try:
        message = cloud_event_data["message"]
        message_id = str(message["messageId"])
        data = str(message.get("data") or "")
        attributes = {str(k): str(v) for k, v in (message.get("attributes") or {}).items()}
    except (KeyError, TypeError, AttributeError):
        log.error("dead letter without a message id; dropped")  # Pub/Sub always sets one
        return False
    subscription = subscription_of(source, attributes)
    trace = Trace(
        idempotency_key=f"dead:{subscription}:{message_id}",
        causation_id=f"pubsub-{message_id}",
        correlation_id=_correlation(data),
    )
    command = deadletters.Record(
        subscription=subscription,
        message_id=message_id,
        data=data,
        attributes=attributes,
        delivery_attempts=_count(attributes.get(DELIVERY_COUNT)),
    )
    stream = deadletters.stream_of(subscription)
    appended = runtime().pipeline.execute(deadletters.deadletters, stream, command, trace)
    if appended.events and not appended.duplicate:
        log.warning(
            "message %s dead-lettered by %s (%s)",
            message_id,
            subscription,
            attributes.get("type", "unknown type"),
            extra={"stream": attributes.get("stream") or stream},
        )
    return bool(appended.events) and not appended.duplicate


def subscription_of(source: str, attributes: Mapping[str, str]) -> str:
    """The subscription that gave up: Pub/Sub's attribute, else the dead-letter topic's name."""
    named = attributes.get(SOURCE_SUBSCRIPTION, "").rsplit("/", 1)[-1]
    if named:
        return named
    # functions-framework names the source topic: //pubsub.googleapis.com/projects/P/topics/T
    return source.rsplit("/", 1)[-1].removesuffix(DEAD_SUFFIX) or "unknown"


def _count(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and int(value) > 0 else None


def _correlation(data: str) -> str | None:
    try:
        return Envelope.from_json(base64.b64decode(data, validate=True)).correlation_id
    except (binascii.Error, ValueError, ValidationError):
        return None  # poison is allowed to be garbage
