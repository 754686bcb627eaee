"""A reference to a module attribute, imported on first use.

Declarations (contexts' members and jobs, Telegram routes) name their work this way so an
entry point loads only what it runs; tests resolve every reference, which mypy cannot do for
a string.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Lazy(Generic[T]):
    """`module:attribute`, imported when `resolve` is first called.

    With `call`, the attribute is a function without arguments that makes the value (a
    reactor built from settings); it should cache what it makes, since each resolve calls it.
    """

    module: str
    attribute: str
    call: bool = False

    def resolve(self) -> T:
        found = getattr(importlib.import_module(self.module), self.attribute)
        value: T = found() if self.call else found
        return value

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}" + ("()" if self.call else "")
