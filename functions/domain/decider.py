"""The shape every aggregate shares: decide(state, command) -> events, evolve(state, event)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from events import Event, Money
from functions.domain.snapshots import Snapshots

S = TypeVar("S")
C = TypeVar("C")


class DomainError(Exception):
    """A refusal the user should hear about (sold out, balance too low), not an HTTP error.

    `code` keys its text in the message catalogue (`refusal.<code>`, functions/texts/); the
    message passed to the constructor is the English fallback and what the logs show."""

    code = "refused"

    def facts(self) -> dict[str, str | int | Money]:
        """What the catalogue's text for this refusal may name (amounts, states)."""
        return {}


@dataclass(frozen=True)
class Decider(Generic[S, C]):
    """An aggregate's pure behaviour, with the state before its first event."""

    initial: S
    evolve: Callable[[S, Event], S]
    decide: Callable[[S, C], Sequence[Event]]
    # How its state is kept with the stream's head, for aggregates whose streams grow long;
    # None folds the stream on every cold read (cheap for short-lived aggregates).
    snapshots: Snapshots[S] | None = None

    def fold(self, events: Iterable[Event]) -> S:
        """The state after a history."""
        state = self.initial
        for event in events:
            state = self.evolve(state, event)
        return state
