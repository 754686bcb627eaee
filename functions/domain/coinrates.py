"""The `coinrate-<coin>-<currency>` aggregate: the rates the update-rates job recorded.

Every quote is recorded (the audit trail of what deposits were priced with); the state is
the newest one. A quote older than the newest is ignored, so a late job run cannot move the
rate back in time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from events import Event
from events.coins import Coin, Rate, RateRecorded
from functions.domain.decider import Decider
from functions.domain.snapshots import Snapshots


def stream_of(coin: Coin, currency: str) -> str:
    return f"coinrate-{coin.lower()}-{currency.lower()}"


@dataclass(frozen=True)
class Rates:
    latest: Rate | None = None


@dataclass(frozen=True)
class Record:
    rate: Rate


def decide(state: Rates, command: Record) -> Sequence[Event]:
    latest = state.latest
    if latest is not None and command.rate.at <= latest.at:
        return []
    return [RateRecorded(rate=command.rate)]


def evolve(state: Rates, event: Event) -> Rates:
    return Rates(latest=event.rate) if isinstance(event, RateRecorded) else state


rates: Decider[Rates, Record] = Decider(
    initial=Rates(), evolve=evolve, decide=decide, snapshots=Snapshots(Rates, evolve)
)
