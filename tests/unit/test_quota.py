"""A rail's per-minute quota as instances spend it: leases that grow with use, one shared
budget, a call refused (never sent) when the minute is spent, a store outage no stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.providers.base import ProviderUnavailable
from functions.providers.pace import Gates, Pacer
from functions.providers.quota import MemoryQuotaStore, OverQuota, Quota

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


class CountingStore(MemoryQuotaStore):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []

    def take(self, rail: str, window: str, limit: int, want: int) -> int:
        self.asked.append(want)
        return super().take(rail, window, limit, want)


def spend(quota: Quota, calls: int) -> None:
    for _ in range(calls):
        quota.wait("api.example")


def test_an_instance_leases_1_then_2_4_8_16_calls_so_a_busy_one_rarely_asks() -> None:
    store, clock = CountingStore(), Clock()
    quota = Quota(store, "mtnmomo", 600, clock.now)
    spend(quota, 63)
    assert store.asked == [1, 2, 4, 8, 16, 16, 16]  # 7 transactions for 63 calls


def test_instances_share_the_deployments_budget_and_the_call_after_it_is_not_sent() -> None:
    store, clock = MemoryQuotaStore(), Clock()
    one, two = (Quota(store, "airtel", 10, clock.now) for _ in range(2))
    spend(one, 3)  # leases 1 + 2
    spend(two, 7)  # leases 1 + 2 + 4
    with pytest.raises(OverQuota) as refused:
        one.wait("openapi.airtel.africa")
    assert isinstance(refused.value, ProviderUnavailable)  # a start fails over


def test_the_next_minute_brings_a_new_budget() -> None:
    store, clock = MemoryQuotaStore(), Clock()
    quota = Quota(store, "flutterwave", 2, clock.now)
    spend(quota, 2)
    with pytest.raises(OverQuota):
        quota.wait("api.flutterwave.com")
    clock.moment += timedelta(minutes=1)
    spend(quota, 2)


def test_a_quota_store_that_cannot_answer_lets_the_call_go() -> None:
    class Broken(MemoryQuotaStore):
        def take(self, rail: str, window: str, limit: int, want: int) -> int:
            raise ConnectionError("firestore down")

    quota = Quota(Broken(), "mpesa", 1, Clock().now)
    spend(quota, 3)  # no exception: the provider's own 429 is the limit meanwhile


def test_the_quota_is_asked_before_the_pace_and_a_spent_one_takes_no_slot() -> None:
    slept: list[float] = []
    pacer = Pacer(1, clock=lambda: 0.0, sleep=slept.append)
    gate = Gates(Quota(MemoryQuotaStore(), "mtnmomo", 1, Clock().now), pacer)
    gate.wait("a")
    with pytest.raises(OverQuota):
        gate.wait("b")
    pacer.wait("c")
    assert slept == [1.0]  # the next slot is the second, not the third: "b" took none


def test_a_quota_needs_a_positive_budget() -> None:
    with pytest.raises(ValueError, match="positive"):
        Quota(MemoryQuotaStore(), "mpesa", 0, Clock().now)
