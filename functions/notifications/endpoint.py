"""The notify subscriber's work: one pushed event -> Telegram messages (functions/subscriber.py
decodes the push and calls `notify`)."""

from __future__ import annotations

from events import Envelope
from functions.notifications.dispatch import deliver
from functions.notifications.sender import Sender
from functions.runtime.bootstrap import Runtime

_current: tuple[Runtime, Sender] | None = None


def sender_for(rt: Runtime) -> Sender:
    """One sender per warm instance: pacing and the memory of sent notices are per process."""
    global _current
    if _current is None or _current[0] is not rt:
        _current = (rt, Sender())
    return _current[1]


def notify(rt: Runtime, envelope: Envelope) -> int:
    """Send one event's notices. Raises on Telegram or store trouble so Pub/Sub redelivers
    (notices already sent are remembered)."""
    return deliver(rt, envelope, sender_for(rt))
