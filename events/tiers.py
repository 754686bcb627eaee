"""Events of a circle owner's tier: `tier-<user id>` holds what they bought and the circle
slots they hold (one per open or running circle they own)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.base import Event
from events.catalog import event
from events.money import Money


class Limits(BaseModel):
    """What a tier allows: how many open or running circles, of how many members each."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    circles: int = Field(ge=0)  # 0: unlimited
    members: int = Field(ge=2, le=50)


@event("tier.bought.v1")
class TierBought(Event):
    """A tier paid from the wallet (`reference`: the debit's) or on a rail (`payment:<id>`),
    in force until `until`; the limits are those of the tier when it was bought."""

    owner_id: int
    tier: str = Field(min_length=1, max_length=32)
    limits: Limits
    price: Money
    reference: str
    until: AwareDatetime


@event("tier.slot_taken.v1")
class SlotTaken(Event):
    owner_id: int
    circle_id: str


@event("tier.slot_freed.v1")
class SlotFreed(Event):
    """The circle was cancelled or ended: its slot counts no more."""

    circle_id: str
