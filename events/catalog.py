"""Type name -> event model registry, with upcasters for old stored versions.

Stored events are named by a stable string, never by a Python import path, so code can be
renamed and moved without breaking what is already in the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from events.base import Event
from events.envelope import Envelope

E = TypeVar("E", bound=type[Event])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(LookupError):
    """The store holds a type name no model or upcaster knows."""


_models: dict[str, type[Event]] = {}
_upcasters: dict[str, tuple[str, Upcaster]] = {}


def event(type_name: str) -> Callable[[E], E]:
    """Class decorator registering an event model under its stable type name."""

    def register(cls: E) -> E:
        if type_name in _models or type_name in _upcasters:
            raise ValueError(f"event type {type_name!r} registered twice")
        cls.type_name = type_name
        _models[type_name] = cls
        return cls

    return register


def upcaster(old_type: str, new_type: str) -> Callable[[Upcaster], Upcaster]:
    """Register a function turning an old payload into the next version's payload."""

    def register(fn: Upcaster) -> Upcaster:
        if old_type in _models or old_type in _upcasters:
            raise ValueError(f"event type {old_type!r} registered twice")
        _upcasters[old_type] = (new_type, fn)
        return fn

    return register


def decode(envelope: Envelope) -> Event:
    """The current model for a stored envelope, upcasting old versions on the way."""
    type_name, data = envelope.type, envelope.data
    while type_name in _upcasters:
        type_name, step = _upcasters[type_name][0], _upcasters[type_name][1]
        data = step(data)
    model = _models.get(type_name)
    if model is None:
        raise UnknownEventType(envelope.type)
    return model.model_validate(data, strict=False)


def encode(event: Event) -> tuple[str, dict[str, Any]]:
    """Type name and JSON-ready payload of an event."""
    return event.type_name, event.model_dump(mode="json")


def registered_types() -> dict[str, type[Event]]:
    """Every current event type (for round-trip tests and documentation)."""
    return dict(_models)
