"""A reference to a module attribute, imported on first use.

Declarations (contexts' jobs, Telegram routes) name their work this way so an entry point
loads only what it runs; tests resolve every reference, which mypy cannot do for a string.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Lazy(Generic[T]):
    """`module:attribute`, imported when `resolve` is first called."""

    module: str
    attribute: str

    def resolve(self) -> T:
        value: T = getattr(importlib.import_module(self.module), self.attribute)
        return value

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}"
