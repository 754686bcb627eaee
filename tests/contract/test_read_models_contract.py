"""ReadModels contract: skip what was seen, apply the next, catch up from the store on a gap."""

from __future__ import annotations

import random
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events import Envelope, Money
from events.wallet import WalletCredited
from functions.projections.balances import balances
from functions.projections.base import Projection
from functions.runtime.ports import CatchUpFailed
from tests.builders import envelope
from tests.contract.conftest import Adapters

pytestmark = pytest.mark.contract


def credit(version: int, amount: int, stream: str = "wallet-7") -> Envelope:
    money = Money(amount=amount, currency="KES")
    event = WalletCredited(user_id=7, amount=money, reason="deposit", reference=f"p{version}")
    return envelope(stream, version, event)


def stored(adapters: Adapters, *events: Envelope) -> list[Envelope]:
    adapters.store.append(events[0].stream, 0, events)
    return list(events)


def test_events_in_order_are_applied_once_each(adapters: Adapters) -> None:
    first, second = stored(adapters, credit(1, 100), credit(2, 50))
    assert adapters.read_models.apply(balances, first) == 1
    assert adapters.read_models.apply(balances, second) == 1
    assert adapters.read_models.apply(balances, first) == 0
    assert adapters.read_models.apply(balances, second) == 0
    doc = adapters.read_models.get("balances", "7")
    assert doc == {"user_id": 7, "balances": {"KES": 150}, "applied_version": 2}


def test_a_gap_is_filled_from_the_store(adapters: Adapters) -> None:
    events = stored(adapters, credit(1, 100), credit(2, 20), credit(3, 3))
    assert adapters.read_models.apply(balances, events[2]) == 3
    assert adapters.read_models.apply(balances, events[0]) == 0
    assert adapters.read_models.get("balances", "7") == {
        "user_id": 7,
        "balances": {"KES": 123},
        "applied_version": 3,
    }


def test_a_gap_the_store_cannot_fill_fails_and_changes_nothing(adapters: Adapters) -> None:
    first = stored(adapters, credit(1, 100))[0]
    adapters.read_models.apply(balances, first)
    with pytest.raises(CatchUpFailed):
        adapters.read_models.apply(balances, credit(3, 5))
    assert adapters.read_models.get("balances", "7") == {
        "user_id": 7,
        "balances": {"KES": 100},
        "applied_version": 1,
    }


def test_documents_are_kept_per_stream(adapters: Adapters) -> None:
    seven = stored(adapters, credit(1, 100))[0]
    eight = stored(adapters, credit(1, 5, stream="wallet-8"))[0]
    adapters.read_models.apply(balances, seven)
    adapters.read_models.apply(balances, eight)
    assert adapters.read_models.get("balances", "404") is None
    assert set(adapters.read_models.all("balances")) == {"7", "8"}


def test_concurrent_duplicated_deliveries_converge(adapters: Adapters) -> None:
    events = stored(adapters, *(credit(v, v) for v in range(1, 9)))
    deliveries = events * 3
    random.Random(3).shuffle(deliveries)
    with ThreadPoolExecutor(max_workers=6) as pool:
        applied = sum(pool.map(lambda e: adapters.read_models.apply(balances, e), deliveries))
    assert applied == len(events)
    assert adapters.read_models.get("balances", "7") == {
        "user_id": 7,
        "balances": {"KES": sum(range(1, 9))},
        "applied_version": 8,
    }


def test_find_returns_documents_whose_field_equals_a_value(adapters: Adapters) -> None:
    for user in (7, 8, 9):
        event = credit(1, 100 * user, stream=f"wallet-{user}")
        adapters.store.append(event.stream, 0, [event])
        adapters.read_models.apply(balances, event)
    found = adapters.read_models.find("balances", "user_id", 8, limit=10)
    assert found == [{"user_id": 8, "balances": {"KES": 800}, "applied_version": 1}]
    assert adapters.read_models.find("balances", "user_id", 404, limit=10) == []
    assert len(adapters.read_models.find("balances", "applied_version", 1, limit=2)) == 2


BASE = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _due_at(doc: Mapping[str, Any] | None, event: Envelope) -> dict[str, Any]:
    """A read model with a time field: due `amount` minutes after BASE, never if odd."""
    amount = int(event.data["amount"]["amount"])
    return {"n": amount, "due_at": BASE + timedelta(minutes=amount) if amount % 2 == 0 else None}


DUE = Projection(name="due", collection="due", category="wallet", project=_due_at)


def test_find_due_returns_what_is_due_earliest_first_and_skips_what_has_no_time(
    adapters: Adapters,
) -> None:
    for user, amount in enumerate((40, 10, 30, 15, 20, 90), start=1):
        event = credit(1, amount, stream=f"wallet-{user}")
        adapters.store.append(event.stream, 0, [event])
        adapters.read_models.apply(DUE, event)
    cutoff = BASE + timedelta(minutes=35)
    due = adapters.read_models.find_due("due", "due_at", cutoff, limit=10)
    assert [d["n"] for d in due] == [10, 20, 30]
    assert [d["n"] for d in adapters.read_models.find_due("due", "due_at", cutoff, 2)] == [10, 20]
    assert adapters.read_models.find_due("due", "due_at", BASE, limit=10) == []


def _standing(doc: Mapping[str, Any] | None, event: Envelope) -> dict[str, Any]:
    """A leaderboard-shaped document: `total` from the credit, hidden when it is odd."""
    amount = int(event.data["amount"]["amount"])
    return {"total": amount, "hidden": amount % 2 == 1, "month": "2026-12"}


BOARD = Projection(name="board", collection="board", category="wallet", project=_standing)


def test_top_orders_matching_documents_by_a_field_and_counts_those_above(
    adapters: Adapters,
) -> None:
    for user, amount in enumerate((40, 10, 31, 70, 20, 90, 5), start=1):
        event = credit(1, amount, stream=f"wallet-{user}")
        adapters.store.append(event.stream, 0, [event])
        adapters.read_models.apply(BOARD, event)
    shown = {"hidden": False, "month": "2026-12"}
    top = adapters.read_models.top("board", "total", shown, limit=3)
    assert [d["total"] for d in top] == [90, 70, 40]
    assert [d["total"] for d in adapters.read_models.top("board", "total", shown, 10)] == [
        90, 70, 40, 20, 10,
    ]  # fmt: skip
    assert adapters.read_models.top("board", "total", {"month": "2026-11"}, 10) == []
    assert adapters.read_models.count_above("board", "total", 40, shown) == 2
    assert adapters.read_models.count_above("board", "total", 5, {"hidden": True}) == 1
    assert adapters.read_models.count_above("board", "total", 90, shown) == 0
