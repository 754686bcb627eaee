"""The base of every domain event: a frozen value with a stable, versioned type name."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """A fact that happened. Subclasses set `type_name` (e.g. `wallet.credited.v1`).

    `defer_build`: pydantic builds a model's validator and serializer on its first use, not
    when the class is defined, so a cold instance builds only the events it meets."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)

    type_name: ClassVar[str]
