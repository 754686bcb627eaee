"""The `notify` entry point's work: one pushed event -> Telegram messages."""

from __future__ import annotations

import logging
from typing import Any

from functions.notifications.dispatch import deliver
from functions.notifications.sender import Sender
from functions.projections.endpoint import PoisonMessage, envelope_of
from functions.runtime import logs
from functions.runtime.bootstrap import Runtime, runtime

log = logging.getLogger(__name__)
_current: tuple[Runtime, Sender] | None = None


def sender_for(rt: Runtime) -> Sender:
    """One sender per warm instance: pacing and the memory of sent notices are per process."""
    global _current
    if _current is None or _current[0] is not rt:
        _current = (rt, Sender())
    return _current[1]


def serve(cloud_event_data: Any) -> int:
    """Send one event's notices. Raises on Telegram or store trouble so Pub/Sub redelivers
    (notices already sent are remembered); poison is acknowledged and logged."""
    try:
        envelope = envelope_of(cloud_event_data)
    except PoisonMessage:
        log.exception("dropping poison message for notify")
        return 0
    logs.bind(stream=envelope.stream, correlation_id=envelope.correlation_id)
    rt = runtime()
    return deliver(rt, envelope, sender_for(rt))
