"""The local stack's scheduler: which cron expressions it understands and when jobs are due."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from infra.local.stack import Cron, CronError, LocalStack, due_jobs
from infra.topology import TOPOLOGY, Schedule

pytestmark = pytest.mark.unit

MONDAY_13 = datetime(2025, 1, 13, 0, 0, tzinfo=UTC)  # a Monday


def minutes_matching(expression: str, start: datetime, count: int) -> list[int]:
    cron = Cron.parse(expression)
    times = (start + timedelta(minutes=i) for i in range(count))
    return [t.minute for t in times if cron.matches(t)]


def test_every_minute_matches_every_minute() -> None:
    assert minutes_matching("* * * * *", MONDAY_13, 60) == list(range(60))


@pytest.mark.parametrize("step", [1, 2, 5, 7, 15, 30])
def test_every_n_minutes_matches_multiples_of_n(step: int) -> None:
    assert minutes_matching(f"*/{step} * * * *", MONDAY_13, 60) == list(range(0, 60, step))


def test_the_topologys_schedules_all_parse() -> None:
    for schedule in TOPOLOGY.schedules:
        assert Cron.parse(schedule.cron).expression == schedule.cron


def test_numbers_ranges_and_lists() -> None:
    cron = Cron.parse("5,10-12,50-59/4 2 * * *")
    assert cron.minutes == {5, 10, 11, 12, 50, 54, 58}
    assert cron.matches(MONDAY_13.replace(hour=2, minute=11))
    assert not cron.matches(MONDAY_13.replace(hour=3, minute=11))


def test_hour_steps() -> None:
    cron = Cron.parse("0 */6 * * *")
    assert [h for h in range(24) if cron.matches(MONDAY_13.replace(hour=h))] == [0, 6, 12, 18]


def test_day_of_week_counts_from_sunday_and_7_is_sunday() -> None:
    sunday = MONDAY_13 - timedelta(days=1)
    assert Cron.parse("0 0 * * 0").matches(sunday)
    assert Cron.parse("0 0 * * 7").matches(sunday)
    assert Cron.parse("0 0 * * 1").matches(MONDAY_13)
    assert not Cron.parse("0 0 * * 1").matches(sunday)


def test_day_of_month_and_weekday_both_given_means_either() -> None:
    cron = Cron.parse("0 0 13 * 5")  # the 13th, or any Friday (cron's rule)
    assert cron.matches(MONDAY_13)
    assert cron.matches(MONDAY_13 + timedelta(days=4))  # Friday 17th
    assert not cron.matches(MONDAY_13 + timedelta(days=1))


def test_only_one_day_field_given_restricts_by_it_alone() -> None:
    assert Cron.parse("0 0 13 * *").matches(MONDAY_13)
    assert not Cron.parse("0 0 14 * *").matches(MONDAY_13)
    assert not Cron.parse("0 0 * * 5").matches(MONDAY_13)


def test_times_are_utc() -> None:
    nairobi = timezone(timedelta(hours=3))
    local = datetime(2025, 1, 13, 3, 0, tzinfo=nairobi)  # 00:00 UTC
    assert Cron.parse("0 0 * * *").matches(local)


@pytest.mark.parametrize(
    ("expression", "complaint"),
    [
        ("@hourly", "expected 5 fields"),
        ("* * * *", "expected 5 fields"),
        ("* * * * * *", "expected 5 fields"),
        ("0 0 * * MON", "day of week field 'MON' is not supported"),
        ("0 0 * JAN *", "month field 'JAN' is not supported"),
        ("? * * * *", "minute field '?' is not supported"),
        ("0 0 L * *", "day of month field 'L' is not supported"),
        ("*/0 * * * *", "step below 1"),
        ("*/x * * * *", "step that is not a number"),
        ("5/10 * * * *", "step without a range"),
        ("60 * * * *", "outside 0-59"),
        ("0 24 * * *", "outside 0-23"),
        ("0 0 0 * *", "outside 1-31"),
        ("10-5 * * * *", "outside 0-59"),
    ],
)
def test_refuses_what_it_does_not_understand(expression: str, complaint: str) -> None:
    with pytest.raises(CronError, match="cron") as caught:
        Cron.parse(expression)
    assert complaint in str(caught.value)


def test_due_jobs_picks_the_matching_schedules() -> None:
    every = Schedule("relay", "* * * * *")
    fifth = Schedule("digest", "*/5 * * * *")
    schedules = [(s, Cron.parse(s.cron)) for s in (every, fifth)]
    assert due_jobs(schedules, MONDAY_13.replace(minute=10)) == [every, fifth]
    assert due_jobs(schedules, MONDAY_13.replace(minute=11)) == [every]


def test_a_stack_with_an_unsupported_cron_is_refused_before_anything_starts() -> None:
    topology = replace(TOPOLOGY, schedules=(Schedule("relay", "0 9 * * MON-FRI"),))
    with pytest.raises(CronError, match="MON-FRI"):
        LocalStack(topology)
