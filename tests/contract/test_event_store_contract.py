"""EventStore contract: ordered streams, optimistic concurrency, idempotency, unpublished set."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from events import Envelope
from events.users import UserRegistered
from functions.runtime.ports import NO_HEAD, Appended, ConcurrencyConflict, InvalidAppend
from tests.builders import envelope
from tests.contract.conftest import Adapters

pytestmark = pytest.mark.contract


def registered(stream: str, version: int, name: str = "A", event_id: str | None = None) -> Envelope:
    user = UserRegistered(user_id=1, chat_id=1, first_name=name, language="en")
    return envelope(stream, version, user, event_id=event_id)


def test_a_stream_never_written_is_empty(adapters: Adapters) -> None:
    assert adapters.store.load("user-404") == []


def test_appended_events_load_back_in_version_order(adapters: Adapters) -> None:
    first = [registered("user-1", 1), registered("user-1", 2, "B")]
    adapters.store.append("user-1", 0, first)
    adapters.store.append("user-1", 2, [registered("user-1", 3, "C")])
    assert [e.data["first_name"] for e in adapters.store.load("user-1")] == ["A", "B", "C"]
    assert adapters.store.load("user-1") == [*first, registered("user-1", 3, "C")]
    assert [e.version for e in adapters.store.load("user-1", after=1, up_to=2)] == [2]


def test_appending_at_a_stale_version_conflicts_and_writes_nothing(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered("user-1", 1)])
    with pytest.raises(ConcurrencyConflict):
        adapters.store.append("user-1", 0, [registered("user-1", 1, "late", event_id="other")])
    assert [e.data["first_name"] for e in adapters.store.load("user-1")] == ["A"]


def test_appending_ahead_of_the_stream_conflicts(adapters: Adapters) -> None:
    with pytest.raises(ConcurrencyConflict):
        adapters.store.append("user-1", 3, [registered("user-1", 4)])
    assert adapters.store.load("user-1") == []


def test_envelopes_that_do_not_continue_the_stream_are_refused(adapters: Adapters) -> None:
    with pytest.raises(InvalidAppend):
        adapters.store.append("user-1", 0, [registered("user-2", 1)])
    with pytest.raises(InvalidAppend):
        adapters.store.append("user-1", 0, [registered("user-1", 1), registered("user-1", 3)])
    with pytest.raises(InvalidAppend):
        adapters.store.append("user-1", 0, [registered("user-1", 1)], idempotency_key="")
    assert adapters.store.load("user-1") == []


@pytest.mark.parametrize("key", ["nowpayments:50771/25051:finished", "..", "__id__", "sha256~x"])
def test_any_key_a_sender_shapes_is_stored_and_found_again(adapters: Adapters, key: str) -> None:
    # Keys carry provider ids ("/" included): the store maps them to safe document ids.
    original = adapters.store.append("user-1", 0, [registered("user-1", 1)], key)
    again = adapters.store.append("user-1", 1, [registered("user-1", 2, "B")], key)
    assert again == Appended("user-1", original.events, duplicate=True)
    assert adapters.store.recorded(key) == again
    assert adapters.store.recorded(key + "x") is None
    assert len(adapters.store.load("user-1")) == 1


def test_a_repeated_idempotency_key_returns_the_original_and_writes_nothing(
    adapters: Adapters,
) -> None:
    original = adapters.store.append("user-1", 0, [registered("user-1", 1)], "tg:1:100")
    again = adapters.store.append("user-1", 1, [registered("user-1", 2, "B")], "tg:1:100")
    assert again == Appended("user-1", original.events, duplicate=True)
    assert adapters.store.recorded("tg:1:100") == again
    assert len(adapters.store.load("user-1")) == 1
    assert adapters.store.recorded("tg:1:101") is None


def test_a_key_with_no_events_records_the_outcome(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [], "tg:1:200")
    assert adapters.store.recorded("tg:1:200") == Appended("user-1", (), duplicate=True)
    assert adapters.store.load("user-1") == []


def test_new_events_are_unpublished_until_marked(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered("user-1", 1), registered("user-1", 2, "B")])
    adapters.store.append("user-2", 0, [registered("user-2", 1)])
    pending = adapters.store.unpublished(limit=10)
    assert sorted((e.stream, e.version) for e in pending) == [
        ("user-1", 1),
        ("user-1", 2),
        ("user-2", 1),
    ]
    adapters.store.mark_published(pending[:1])
    assert len(adapters.store.unpublished(limit=10)) == 2
    adapters.store.mark_published(adapters.store.unpublished(limit=10))
    assert adapters.store.unpublished(limit=10) == []


def test_concurrent_appends_have_one_winner_per_version(adapters: Adapters) -> None:
    writers, rounds = 8, 5
    wins: list[tuple[int, int]] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        for _ in range(rounds):
            for _attempt in range(50):
                version = len(adapters.store.load("user-9"))
                event = registered("user-9", version + 1, f"w{n}", event_id=f"w{n}-{version}")
                try:
                    adapters.store.append("user-9", version, [event])
                except ConcurrencyConflict:
                    continue
                with lock:
                    wins.append((n, version + 1))
                break

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = adapters.store.load("user-9")
    assert [e.version for e in stored] == list(range(1, len(stored) + 1))
    assert sorted(v for _, v in wins) == [e.version for e in stored]
    assert len({e.event_id for e in stored}) == len(stored)
    assert len(stored) == writers * rounds


def test_streams_are_listed_by_category(adapters: Adapters) -> None:
    for stream in ("user-1", "user-22", "wallet-1", "userx-1"):
        adapters.store.append(stream, 0, [registered(stream, 1)])
    assert sorted(adapters.store.streams("user")) == ["user-1", "user-22"]
    assert adapters.store.streams("payment") == []


def test_an_append_at_the_head_it_was_given_reads_nothing_and_returns_the_next(
    adapters: Adapters,
) -> None:
    first = adapters.store.append("user-1", 0, [registered("user-1", 1)], head=NO_HEAD)
    assert first.head is not None
    second = adapters.store.append("user-1", 1, [registered("user-1", 2, "B")], head=first.head)
    assert second.head not in (None, first.head)
    latest = adapters.store.load_latest("user-1", fold="")
    assert latest.head == second.head  # a cold read hands out the same token
    adapters.store.append("user-1", 2, [registered("user-1", 3, "C")], head=latest.head)
    assert [e.data["first_name"] for e in adapters.store.load("user-1")] == ["A", "B", "C"]


def test_an_append_at_a_head_someone_moved_on_conflicts_and_writes_nothing(
    adapters: Adapters,
) -> None:
    first = adapters.store.append("user-1", 0, [registered("user-1", 1)])
    adapters.store.append("user-1", 1, [registered("user-1", 2, "rival")])
    with pytest.raises(ConcurrencyConflict):
        # Our cache says version 1; the token, not a read, catches that the stream moved.
        adapters.store.append(
            "user-1", 1, [registered("user-1", 2, "ours", event_id="ours")], head=first.head
        )
    with pytest.raises(ConcurrencyConflict):
        adapters.store.append("user-1", 0, [registered("user-1", 1, "new")], head=NO_HEAD)
    assert [e.data["first_name"] for e in adapters.store.load("user-1")] == ["A", "rival"]
    assert adapters.store.load_latest("user-404", fold="").head is NO_HEAD


def test_marks_carried_by_an_append_are_written_with_it(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered("user-1", 1), registered("user-1", 2, "B")])
    on_the_bus = adapters.store.load("user-1")[:1]
    adapters.store.append("user-2", 0, [registered("user-2", 1)], marks=on_the_bus)
    left = sorted((e.stream, e.version) for e in adapters.store.unpublished(limit=10))
    assert left == [("user-1", 2), ("user-2", 1)]


def test_the_relay_can_ask_only_for_events_left_unmarked_since_a_time(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered("user-1", 1)])  # occurred 2026-01-01
    later = registered("user-2", 1).model_copy(
        update={"occurred_at": datetime(2026, 1, 2, tzinfo=UTC)}
    )
    adapters.store.append("user-2", 0, [later])
    cutoff = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert [e.stream for e in adapters.store.unpublished(10, before=cutoff)] == ["user-1"]
    assert [e.stream for e in adapters.store.unpublished(10)] == ["user-1", "user-2"]


def test_whether_a_key_is_recorded_is_known_without_its_events(adapters: Adapters) -> None:
    adapters.store.append("user-1", 0, [registered("user-1", 1)], "tg:1:300")
    assert adapters.store.is_recorded("tg:1:300")
    assert not adapters.store.is_recorded("tg:1:301")
