"""Soko's language: frozen events with stable type names, the envelope and money.

Pure: importing this package performs no I/O and pulls in no cloud or Telegram code.
Nor does it import the event modules: each registers its types when first imported, by
whoever matches on them or by `decode` meeting one of its type names (events/catalog.py).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from events.base import Event
from events.catalog import (
    MODULES,
    UnknownEventType,
    decode,
    encode,
    event,
    registered_types,
    upcaster,
)
from events.envelope import Envelope
from events.money import Money

_SUBMODULES = frozenset(m.rsplit(".", 1)[1] for m in MODULES.values())


def __getattr__(name: str) -> ModuleType:
    """`events.wallet` after a bare `import events`: the module, imported on first use."""
    if name in _SUBMODULES:
        return importlib.import_module(f"events.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MODULES",
    "Envelope",
    "Event",
    "Money",
    "UnknownEventType",
    "decode",
    "encode",
    "event",
    "registered_types",
    "upcaster",
]
