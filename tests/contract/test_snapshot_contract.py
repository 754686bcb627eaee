"""EventStore contract for snapshots: kept with the head in the append's atomic write, read
back only by the fold that made it, with exactly the events after it."""

from __future__ import annotations

import pytest

from events import Envelope
from events.users import UserRegistered
from functions.runtime.ports import ConcurrencyConflict, InvalidAppend, Latest, Snapshot
from tests.builders import envelope
from tests.contract.conftest import Adapters

pytestmark = pytest.mark.contract

FOLD = "user:0123456789abcdef"
# Text a Firestore map would not keep as it is: key order, a big integer, escapes.
STATE = '{"z":1,"a":[12345678901234567890,"\\u00e9\\n"],"m":{}}'


def registered(version: int, name: str = "A") -> Envelope:
    user = UserRegistered(user_id=1, chat_id=1, first_name=name, language="en")
    return envelope("user-1", version, user)


def test_a_stream_never_written_has_no_snapshot(adapters: Adapters) -> None:
    assert adapters.store.load_latest("user-404", FOLD) == Latest(None, [])


def test_a_snapshot_at_the_head_is_read_back_exactly_with_no_events(adapters: Adapters) -> None:
    events = [registered(1), registered(2, "B")]
    adapters.store.append("user-1", 0, events, snapshot=Snapshot(2, FOLD, STATE))
    assert adapters.store.load_latest("user-1", FOLD) == Latest(Snapshot(2, FOLD, STATE), [])
    assert adapters.store.load("user-1") == events  # the events are all still there


def test_another_fold_gets_no_snapshot_and_every_event(adapters: Adapters) -> None:
    events = [registered(1), registered(2, "B")]
    adapters.store.append("user-1", 0, events, snapshot=Snapshot(2, FOLD, STATE))
    assert adapters.store.load_latest("user-1", "user:another") == Latest(None, events)


def test_an_append_without_a_snapshot_keeps_the_last_one(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered(1)], snapshot=Snapshot(1, FOLD, STATE))
    later = [registered(2, "B"), registered(3, "C")]
    adapters.store.append("user-1", 1, later)
    assert adapters.store.load_latest("user-1", FOLD) == Latest(Snapshot(1, FOLD, STATE), later)
    adapters.store.append("user-1", 3, [registered(4, "D")], snapshot=Snapshot(4, FOLD, "{}"))
    assert adapters.store.load_latest("user-1", FOLD) == Latest(Snapshot(4, FOLD, "{}"), [])


def test_a_snapshot_that_does_not_end_the_append_is_refused(adapters: Adapters) -> None:
    with pytest.raises(InvalidAppend):
        adapters.store.append("user-1", 0, [registered(1)], snapshot=Snapshot(2, FOLD, STATE))
    with pytest.raises(InvalidAppend):
        adapters.store.append("user-1", 0, [], snapshot=Snapshot(0, FOLD, STATE))
    assert adapters.store.load_latest("user-1", FOLD) == Latest(None, [])


def test_a_conflicting_append_writes_no_snapshot(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered(1)], snapshot=Snapshot(1, FOLD, STATE))
    with pytest.raises(ConcurrencyConflict):
        adapters.store.append("user-1", 0, [registered(1, "late")], snapshot=Snapshot(1, FOLD, "x"))
    assert adapters.store.load_latest("user-1", FOLD) == Latest(Snapshot(1, FOLD, STATE), [])


def test_a_repeated_key_writes_no_snapshot(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered(1)], "k1", snapshot=Snapshot(1, FOLD, STATE))
    again = adapters.store.append(
        "user-1", 1, [registered(2, "B")], "k1", snapshot=Snapshot(2, FOLD, "{}")
    )
    assert again.duplicate
    assert adapters.store.load_latest("user-1", FOLD) == Latest(Snapshot(1, FOLD, STATE), [])
