"""Rail health: outcomes counted per minute, shared through a board without a write per
start, and a breaker that opens on repeated unavailability and closes on a success."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.payments.health import COOL_DOWN, MemoryBoard, RailHealth, Sample

pytestmark = pytest.mark.unit
T0 = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


class CountingBoard(MemoryBoard):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(
        self, rail: str, instance: str, sample: Sample, forget: frozenset[str] = frozenset()
    ) -> None:
        self.writes += 1
        super().write(rail, instance, sample, forget)


class BrokenBoard:
    def read(self, rail: str) -> dict[str, Sample]:
        raise OSError("firestore down")

    def write(
        self, rail: str, instance: str, sample: Sample, forget: frozenset[str] = frozenset()
    ) -> None:
        raise OSError("firestore down")


def test_three_unavailable_starts_open_the_breaker_for_the_cool_down_then_half_open() -> None:
    health = RailHealth(MemoryBoard())
    for n in range(3):
        health.record("mtnmomo", "unavailable", 10_000, T0 + timedelta(seconds=n))
    assert health.state("mtnmomo", T0 + timedelta(seconds=3)) == "open"
    assert health.open_rails(["mtnmomo", "flutterwave"], T0 + timedelta(seconds=3)) == {"mtnmomo"}
    later = T0 + timedelta(seconds=2) + COOL_DOWN
    assert health.state("mtnmomo", later) == "half_open"
    health.record("mtnmomo", "started", 800, later)
    assert health.state("mtnmomo", later) == "closed"


def test_a_rail_that_mostly_works_or_failed_twice_stays_closed() -> None:
    health = RailHealth(MemoryBoard())
    for n in range(10):
        health.record("mpesa", "started", 500, T0 + timedelta(seconds=n))
    for n in range(4):
        health.record("mpesa", "unavailable", 500, T0 + timedelta(seconds=20 + n))
    assert health.state("mpesa", T0 + timedelta(seconds=30)) == "closed"  # 4 of 14
    health.record("airtel", "unknown", 9000, T0)
    health.record("airtel", "unavailable", 9000, T0)
    assert health.state("airtel", T0) == "closed"


def test_refusals_are_the_payers_and_move_no_breaker() -> None:
    health = RailHealth(MemoryBoard())
    for n in range(5):
        health.record("mtnmomo", "refused", 300, T0 + timedelta(seconds=n))
    assert health.state("mtnmomo", T0 + timedelta(seconds=5)) == "closed"
    assert health.stats("mtnmomo", T0).refused == 5
    assert health.stats("mtnmomo", T0).success_percent is None


def test_another_instance_learns_of_the_failures_through_the_board() -> None:
    board = MemoryBoard()
    first, second = RailHealth(board), RailHealth(board)
    for n in range(3):
        first.record("mtnmomo", "unavailable", 10_000, T0 + timedelta(seconds=n))
    assert second.state("mtnmomo", T0 + timedelta(seconds=5)) == "open"


def test_successes_are_shared_at_most_once_a_minute_and_failures_at_once() -> None:
    board = CountingBoard()
    health = RailHealth(board)
    for n in range(30):
        health.record("mpesa", "started", 400, T0 + timedelta(seconds=n))
    assert board.writes == 1
    health.record("mpesa", "unavailable", 10_000, T0 + timedelta(seconds=31))
    health.record("mpesa", "started", 400, T0 + timedelta(seconds=32))  # recovered: shared
    assert board.writes == 3
    health.record("mpesa", "started", 400, T0 + timedelta(seconds=61))
    assert board.writes == 3
    health.record("mpesa", "started", 400, T0 + timedelta(seconds=93))
    assert board.writes == 4


def test_stats_give_the_last_hours_success_rate_and_median_latency() -> None:
    health = RailHealth(MemoryBoard())
    health.record("flutterwave", "started", 100, T0 - timedelta(hours=2))  # too old
    for ms in (200, 300, 900):
        health.record("flutterwave", "started", ms, T0)
    health.record("flutterwave", "unavailable", 10_000, T0)
    stats = health.stats("flutterwave", T0 + timedelta(minutes=1))
    assert (stats.attempts, stats.started, stats.success_percent) == (4, 3, 75)
    assert stats.p50_ms == 250  # of the latest latencies kept


def test_a_board_that_fails_reads_as_healthy_and_never_raises() -> None:
    health = RailHealth(BrokenBoard())  # type: ignore[arg-type]
    for n in range(3):
        health.record("mtnmomo", "unavailable", 10_000, T0 + timedelta(seconds=n))
    # What this instance saw itself still counts.
    assert health.state("mtnmomo", T0 + timedelta(seconds=3)) == "open"
    assert RailHealth(BrokenBoard()).state("mtnmomo", T0) == "closed"  # type: ignore[arg-type]


def test_the_section_of_an_instance_gone_for_an_hour_is_dropped_at_the_next_write() -> None:
    board = MemoryBoard()
    RailHealth(board, "old").record("mpesa", "unavailable", 10_000, T0)
    alive = RailHealth(board, "alive")
    later = T0 + timedelta(hours=2)
    alive.state("mpesa", later)  # reads the board: "old" is there, silent for two hours
    alive.record("mpesa", "unavailable", 10_000, later)
    assert set(board.read("mpesa")) == {"alive"}


def test_a_sample_survives_the_boards_document_form() -> None:
    sample = Sample({"2026-12-02T07:00": [1, 2, 0, 3]}, [120, 80], T0.isoformat(), "")
    doc: dict[str, Any] = sample.to_doc()
    assert Sample.from_doc(doc) == sample
