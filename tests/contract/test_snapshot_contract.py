"""EventStore contract for snapshots: kept with the head in the append's atomic write, read
back only by the fold that made it, with exactly the events after it."""

from __future__ import annotations

import pytest

from events import Envelope
from events.users import UserRegistered
from functions.runtime.ports import (
    NO_HEAD,
    ConcurrencyConflict,
    InvalidAppend,
    Latest,
    LatestOf,
    Snapshot,
)
from tests.builders import envelope
from tests.contract.conftest import Adapters

pytestmark = pytest.mark.contract

FOLD = "user:0123456789abcdef"
# Text a Firestore map would not keep as it is: key order, a big integer, escapes.
STATE = '{"z":1,"a":[12345678901234567890,"\\u00e9\\n"],"m":{}}'


def registered(version: int, name: str = "A", user_id: int = 1) -> Envelope:
    user = UserRegistered(user_id=user_id, chat_id=user_id, first_name=name, language="en")
    return envelope(f"user-{user_id}", version, user)


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


# load_latest_many: several heads in one read, each answered as load_latest would, or from
# a version the caller has already folded.


def test_many_answers_each_stream_in_order_as_load_latest_does(adapters: Adapters) -> None:
    store = adapters.store
    store.append(
        "user-1", 0, [registered(1), registered(2, "B")], snapshot=Snapshot(2, FOLD, STATE)
    )
    plain = [registered(1, user_id=2), registered(2, "B", user_id=2)]
    store.append("user-2", 0, plain)
    wanted = [LatestOf("user-2", FOLD), LatestOf("user-404", FOLD), LatestOf("user-1", FOLD)]
    found = store.load_latest_many(wanted)
    assert found == [Latest(None, plain), Latest(None, []), Latest(Snapshot(2, FOLD, STATE), [])]
    assert found == [store.load_latest(w.stream, w.fold) for w in wanted]
    assert found[1].head is NO_HEAD
    assert found[0].head is not None
    assert found[0].head is not NO_HEAD


def test_many_from_a_folded_version_gives_only_the_newer_events(adapters: Adapters) -> None:
    first, later = [registered(1), registered(2, "B")], [registered(3, "C"), registered(4, "D")]
    adapters.store.append("user-1", 0, first, snapshot=Snapshot(2, FOLD, STATE))
    adapters.store.append("user-1", 2, later)
    # The caller folded up to 3: the snapshot at 2 is older, so only event 4 comes.
    (found,) = adapters.store.load_latest_many([LatestOf("user-1", FOLD, after=3)])
    assert found == Latest(None, [later[1]])
    # Folded up to the head: nothing to read beyond it.
    (found,) = adapters.store.load_latest_many([LatestOf("user-1", FOLD, after=4)])
    assert found == Latest(None, [])
    # Folded up to 1: the snapshot at 2 is newer, so it comes with the events after it.
    (found,) = adapters.store.load_latest_many([LatestOf("user-1", FOLD, after=1)])
    assert found == Latest(Snapshot(2, FOLD, STATE), later)


def test_many_gives_the_head_token_an_append_can_use(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered(1)])
    adapters.store.append("user-2", 0, [registered(1, user_id=2)])
    one, two = adapters.store.load_latest_many([LatestOf("user-1", ""), LatestOf("user-2", "")])
    adapters.store.append("user-1", 1, [registered(2, "B")], head=one.head)
    with pytest.raises(ConcurrencyConflict):  # user-1 moved since `one` was read
        adapters.store.append("user-1", 1, [registered(2, "late")], head=one.head)
    adapters.store.append("user-2", 1, [registered(2, "B", user_id=2)], head=two.head)
    assert [e.version for e in adapters.store.load("user-2")] == [1, 2]


def test_many_may_name_a_stream_twice(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered(1), registered(2, "B")])
    both = adapters.store.load_latest_many([LatestOf("user-1", ""), LatestOf("user-1", "", 1)])
    assert both == [
        Latest(None, [registered(1), registered(2, "B")]),
        Latest(None, [registered(2, "B")]),
    ]
