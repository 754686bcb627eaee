"""The `deadletter-<subscription>` aggregate: messages Pub/Sub gave up on, and their replays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from events import Event
from events.ops import MAX_KEPT_DATA, DeadLetterReplayed, MessageDeadLettered
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import Snapshots


def stream_of(subscription: str) -> str:
    return f"deadletter-{subscription}"


@dataclass(frozen=True)
class DeadLetters:
    # Dead letters are rare (a bug or an outage), so copying these sets per event is cheap.
    recorded: frozenset[str] = frozenset()
    replayed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Record:
    subscription: str
    message_id: str
    data: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    delivery_attempts: int | None = None


@dataclass(frozen=True)
class MarkReplayed:
    subscription: str
    message_id: str
    event_id: str


class UnknownDeadLetter(DomainError):
    code = "unknown_dead_letter"


DeadLetterCommand = Record | MarkReplayed


def decide(state: DeadLetters, command: DeadLetterCommand) -> Sequence[Event]:
    match command:
        case Record():
            if command.message_id in state.recorded:
                return []
            return [
                MessageDeadLettered(
                    subscription=command.subscription,
                    message_id=command.message_id,
                    data=command.data[:MAX_KEPT_DATA],
                    truncated=len(command.data) > MAX_KEPT_DATA,
                    attributes=dict(command.attributes),
                    delivery_attempts=command.delivery_attempts,
                )
            ]
        case MarkReplayed():
            if command.message_id not in state.recorded:
                raise UnknownDeadLetter(f"no dead letter {command.message_id}")
            if command.message_id in state.replayed:
                return []
            return [
                DeadLetterReplayed(
                    subscription=command.subscription,
                    message_id=command.message_id,
                    event_id=command.event_id,
                )
            ]


def evolve(state: DeadLetters, event: Event) -> DeadLetters:
    match event:
        case MessageDeadLettered(message_id=message_id):
            return replace(state, recorded=state.recorded | {message_id})
        case DeadLetterReplayed(message_id=message_id):
            return replace(state, replayed=state.replayed | {message_id})
        case _:
            return state


# One stream per subscription that only grows with every dead letter: restore, don't fold.
deadletters: Decider[DeadLetters, DeadLetterCommand] = Decider(
    initial=DeadLetters(), evolve=evolve, decide=decide, snapshots=Snapshots(DeadLetters, evolve)
)
