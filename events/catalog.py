"""Type name -> event model registry, with upcasters for old stored versions.

Stored events are named by a stable string, never by a Python import path, so code can be
renamed and moved without breaking what is already in the store.

A type name starts with its stream category (`wallet.credited.v1`), and `MODULES` says which
module of this package defines each category's events. A module is imported the first time
one of its types is decoded or registered again, not when `events` is: an entry point pays
only for the events it reads (a balances projection never builds the circle events). A new
module of events is the module plus one line in `MODULES`; a test checks every line.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from events.base import Event
from events.envelope import Envelope

E = TypeVar("E", bound=type[Event])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(LookupError):
    """The store holds a type name no model or upcaster knows."""


# Stream category (a type name's first part) -> the module defining its event types.
MODULES: dict[str, str] = {
    "channel": "events.channels",
    "subscription": "events.channels",
    "revenue": "events.channels",
    "circle": "events.circles",
    "coinaddress": "events.coins",
    "coinpool": "events.coins",
    "coinrate": "events.coins",
    "loyalty": "events.loyalty",
    "ops": "events.ops",
    "payment": "events.payments",
    "referral": "events.referrals",
    "lot": "events.shop",
    "order": "events.shop",
    "product": "events.shop",
    "tier": "events.tiers",
    "user": "events.users",
    "wallet": "events.wallet",
}

_models: dict[str, type[Event]] = {}
_upcasters: dict[str, tuple[str, Upcaster]] = {}


def _load(type_name: str) -> None:
    """Import the module that defines this type's category, if it is one of ours. During
    that module's own import this finds it in sys.modules and returns at once."""
    module = MODULES.get(type_name.split(".", 1)[0])
    if module is not None:
        importlib.import_module(module)


def event(type_name: str) -> Callable[[E], E]:
    """Class decorator registering an event model under its stable type name."""

    def register(cls: E) -> E:
        _load(type_name)
        if type_name in _models or type_name in _upcasters:
            raise ValueError(f"event type {type_name!r} registered twice")
        cls.type_name = type_name
        _models[type_name] = cls
        return cls

    return register


def upcaster(old_type: str, new_type: str) -> Callable[[Upcaster], Upcaster]:
    """Register a function turning an old payload into the next version's payload."""

    def register(fn: Upcaster) -> Upcaster:
        _load(old_type)
        if old_type in _models or old_type in _upcasters:
            raise ValueError(f"event type {old_type!r} registered twice")
        _upcasters[old_type] = (new_type, fn)
        return fn

    return register


def decode(envelope: Envelope) -> Event:
    """The current model for a stored envelope, upcasting old versions on the way."""
    type_name, data = envelope.type, envelope.data
    _load(type_name)
    while type_name in _upcasters:
        type_name, step = _upcasters[type_name][0], _upcasters[type_name][1]
        data = step(data)
    _load(type_name)  # an upcaster may lead to another category's module
    model = _models.get(type_name)
    if model is None:
        raise UnknownEventType(envelope.type)
    return model.model_validate(data, strict=False)


def encode(event: Event) -> tuple[str, dict[str, Any]]:
    """Type name and JSON-ready payload of an event."""
    return event.type_name, event.model_dump(mode="json")


def registered_types() -> dict[str, type[Event]]:
    """Every current event type (for round-trip tests and documentation): imports every
    module of `MODULES` first."""
    for module in sorted(set(MODULES.values())):
        importlib.import_module(module)
    return dict(_models)
