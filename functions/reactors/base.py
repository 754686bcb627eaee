"""What a reactor is: a pure rule turning one event into commands on other aggregates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from events import Envelope
from functions.domain.decider import Decider


@dataclass(frozen=True)
class Reaction:
    """A command to decide on one stream."""

    decider: Decider[Any, Any]
    stream: str
    command: object
    # The stream's first command (its id was made for it): decided on the initial state
    # without a read; the append's create of the head fails if the stream exists after all.
    new_stream: bool = False


@dataclass(frozen=True)
class Reactor:
    """Reacts to events of one stream category; `name` is part of every idempotency key."""

    name: str
    category: str
    react: Callable[[Envelope], Sequence[Reaction]]
    # The event types it can react to: its subscription delivers only these (a Pub/Sub
    # filter on the `type` attribute); a test proves it ignores every other type.
    reacts_to: frozenset[str] = frozenset()
    # True where another path usually ran the reactions first (the webhook runs the
    # checkout saga inline): look the key up before deciding, one read instead of a stream
    # load and a refused append.
    expects_duplicates: bool = False

    def key(self, envelope: Envelope, index: int) -> str:
        """Deterministic per event and reaction, so a redelivered event changes nothing."""
        return f"react:{self.name}:{envelope.event_id}:{index}"
