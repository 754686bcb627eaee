"""Which rules read an event: every context's rules, looked up by stable event type name
(only the rules of the type at hand are imported)."""

from __future__ import annotations

from events import Envelope, Event, decode
from functions.contexts import REGISTRY
from functions.notifications.notice import Facts, Notice


def wants(type_name: str) -> bool:
    """Whether any rule reads this event type (the dispatcher reads no facts otherwise)."""
    return REGISTRY.wants(type_name)


def notices(envelope: Envelope, facts: Facts) -> list[Notice]:
    """Every notice the rules derive from one event, in a stable order."""
    rules = REGISTRY.rules_for(envelope.type)
    if not rules:
        return []
    event: Event = decode(envelope)
    return [notice for rule in rules for notice in rule(event, facts)]
