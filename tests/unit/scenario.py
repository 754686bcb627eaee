"""Given/when/then for deciders: given past events, when a command, then new events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from events import Event
from functions.domain.decider import Decider


def given(decider: Decider[Any, Any], *history: Event) -> Any:
    """The state after `history`."""
    return decider.fold(history)


def when(decider: Decider[Any, Any], history: Sequence[Event], command: object) -> list[Event]:
    """The events `command` produces after `history`."""
    return list(decider.decide(given(decider, *history), command))
