"""The envelope every stored and published event travels in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Envelope(BaseModel):
    """One event as stored at `streams/{stream}/events/{version}` and published to Pub/Sub."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(min_length=1)
    stream: str = Field(min_length=3, pattern=r"^[a-z]+-[^/]+$")
    version: int = Field(ge=1)
    type: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)+\.v[0-9]+$")
    occurred_at: AwareDatetime
    causation_id: str | None = None
    correlation_id: str | None = None
    data: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # Normalise so that equal instants compare and serialise equally everywhere.
        from datetime import UTC

        return value.astimezone(UTC)

    @property
    def category(self) -> str:
        """The aggregate kind, the stream name's prefix: `wallet` for `wallet-42`."""
        return self.stream.split("-", 1)[0]

    @property
    def aggregate_id(self) -> str:
        """The aggregate instance id: `42` for `wallet-42`."""
        return self.stream.split("-", 1)[1]

    def to_json(self) -> str:
        """Encode for storage or the wire."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, raw: str | bytes) -> Envelope:
        """Decode what `to_json` wrote; raises pydantic.ValidationError on garbage."""
        return cls.model_validate_json(raw)
