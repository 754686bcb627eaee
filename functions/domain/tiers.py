"""A circle owner's tier: `tier-<user id>` decides whether they may open another circle,
tells how many members each may seat, and records the tiers they buy.

An owner holds one slot per open or running circle. A new circle needs a free slot within
the tier in force (the bought tier while `until` is ahead, else the free one); a join needs
a seat within its members per circle (checked where the tap is answered, `seats`). A tier
is bought from the wallet (the reference is the debit's) or on a rail (`payment:<id>`). One
that is not renewed falls back at `until` by itself (no job): circles already running keep
their slots and finish; only new circles and joins meet the lower limits. Buying again
while a tier runs extends it from its `until`, so no paid day is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from events import Event, Money
from events.tiers import Limits, SlotFreed, SlotTaken, TierBought
from functions.domain.decider import Decider, DomainError

PERIOD = timedelta(days=30)


def stream_of(owner_id: int) -> str:
    return f"tier-{owner_id}"


@dataclass(frozen=True)
class Tiered:
    tier: str = ""  # the last bought; "" never
    limits: Limits | None = None
    until: datetime | None = None
    slots: frozenset[str] = frozenset()
    bought: frozenset[str] = frozenset()  # wallet references already turned into a tier

    def in_force(self, at: datetime, free: Limits) -> Limits:
        if self.limits is not None and self.until is not None and at < self.until:
            return self.limits
        return free

    def seats(self, at: datetime, free: Limits) -> int:
        """Members per circle the tier in force allows."""
        return self.in_force(at, free).members


@dataclass(frozen=True)
class TakeSlot:
    owner_id: int
    circle_id: str
    free: Limits  # the free tier's limits now
    at: datetime


@dataclass(frozen=True)
class FreeSlot:
    circle_id: str


@dataclass(frozen=True)
class Buy:
    """From a reactor: the tier's wallet debit, or its rail payment succeeded."""

    owner_id: int
    tier: str
    limits: Limits
    price: Money
    reference: str
    at: datetime


class TierLimit(DomainError):
    """The tier in force allows no more open circles: an upgrade would."""

    code = "circle_tier_limit"

    def __init__(self, limits: Limits) -> None:
        most = limits.circles or "any number of"
        super().__init__(f"your tier allows {most} circles of up to {limits.members} members")
        self.limits = limits

    def facts(self) -> dict[str, str | int | Money]:
        return {"circles": self.limits.circles, "members": self.limits.members}


TierCommand = TakeSlot | FreeSlot | Buy


def decide(state: Tiered, command: TierCommand) -> Sequence[Event]:
    match command:
        case TakeSlot():
            if command.circle_id in state.slots:
                return []
            limits = state.in_force(command.at, command.free)
            if limits.circles and len(state.slots) >= limits.circles:
                raise TierLimit(limits)
            return [SlotTaken(owner_id=command.owner_id, circle_id=command.circle_id)]
        case FreeSlot():
            return (
                [SlotFreed(circle_id=command.circle_id)] if command.circle_id in state.slots else []
            )
        case Buy():
            if command.reference in state.bought:
                return []
            running = (
                state.until if state.until is not None and state.until > command.at else command.at
            )
            return [
                TierBought(
                    owner_id=command.owner_id, tier=command.tier, limits=command.limits,
                    price=command.price, reference=command.reference, until=running + PERIOD,
                )
            ]  # fmt: skip


def evolve(state: Tiered, event: Event) -> Tiered:
    match event:
        case SlotTaken(circle_id=circle):
            return Tiered(
                state.tier, state.limits, state.until, state.slots | {circle}, state.bought
            )
        case SlotFreed(circle_id=circle):
            return Tiered(
                state.tier, state.limits, state.until, state.slots - {circle}, state.bought
            )
        case TierBought():
            return Tiered(
                event.tier, event.limits, event.until, state.slots, state.bought | {event.reference}
            )
        case _:
            return state


tiers: Decider[Tiered, TierCommand] = Decider(initial=Tiered(), evolve=evolve, decide=decide)
