"""The deadletter aggregate: each poisoned message recorded once, replayed at most once."""

from __future__ import annotations

import pytest

from events.ops import MAX_KEPT_DATA, DeadLetterReplayed, MessageDeadLettered
from functions.domain.deadletters import MarkReplayed, Record, UnknownDeadLetter, deadletters
from tests.unit.scenario import when

pytestmark = pytest.mark.unit
RECORDED = MessageDeadLettered(subscription="project-balances", message_id="m1", data="e30=")


def test_a_dead_letter_is_recorded_with_its_attributes() -> None:
    command = Record("project-balances", "m1", "e30=", {"type": "wallet.credited.v1"}, 5)
    [event] = when(deadletters, [], command)
    assert event == RECORDED.model_copy(
        update={"attributes": {"type": "wallet.credited.v1"}, "delivery_attempts": 5}
    )


def test_the_same_message_delivered_again_is_recorded_once() -> None:
    assert when(deadletters, [RECORDED], Record("project-balances", "m1", "e30=")) == []


def test_an_oversized_message_is_kept_truncated_and_says_so() -> None:
    [event] = when(deadletters, [], Record("s-1", "m2", "A" * (MAX_KEPT_DATA + 10)))
    assert isinstance(event, MessageDeadLettered)
    assert event.truncated
    assert len(event.data) == MAX_KEPT_DATA


def test_a_replay_is_recorded_once_and_only_for_a_known_dead_letter() -> None:
    replay = MarkReplayed("project-balances", "m1", "wallet-7#1")
    [event] = when(deadletters, [RECORDED], replay)
    assert event == DeadLetterReplayed(
        subscription="project-balances", message_id="m1", event_id="wallet-7#1"
    )
    assert when(deadletters, [RECORDED, event], replay) == []
    with pytest.raises(UnknownDeadLetter):
        when(deadletters, [], replay)
