"""Events of operations streams: `deadletter-<subscription>` and the health heartbeat."""

from __future__ import annotations

from pydantic import Field

from events.base import Event
from events.catalog import event

# A Firestore document holds at most 1 MiB; a poisoned message is kept up to this much.
MAX_KEPT_DATA = 256 * 1024


@event("ops.message_dead_lettered.v1")
class MessageDeadLettered(Event):
    """Pub/Sub gave up delivering a message to `subscription`; kept for an admin to replay.

    `data` is the message body as delivered (base64), cut to MAX_KEPT_DATA if `truncated`.
    """

    subscription: str = Field(min_length=3, max_length=255)
    message_id: str = Field(min_length=1, max_length=128)
    data: str = Field(max_length=MAX_KEPT_DATA)
    truncated: bool = False
    attributes: dict[str, str] = Field(default_factory=dict)
    delivery_attempts: int | None = Field(default=None, ge=1)


@event("ops.dead_letter_replayed.v1")
class DeadLetterReplayed(Event):
    """An admin published a dead-lettered event again (`event_id` is the replayed event's)."""

    subscription: str = Field(min_length=3, max_length=255)
    message_id: str = Field(min_length=1, max_length=128)
    event_id: str = Field(min_length=1)


@event("ops.heartbeat.v1")
class Heartbeat(Event):
    """The health check's probe of the bus: published to `health-events`, never stored."""

    checked_by: str = Field(min_length=1, max_length=64)
