"""Pacing a provider's calls: each waits for its slot; one too far behind is not sent."""

from __future__ import annotations

import pytest

from functions.providers.base import ProviderUnavailable
from functions.providers.pace import OverPace, Pacer

pytestmark = pytest.mark.unit


class Time:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_calls_are_spaced_by_the_rate_and_a_quiet_spell_costs_no_wait() -> None:
    time = Time()
    pacer = Pacer(5, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        pacer.wait("api.example")
    assert time.slept == [0.2, 0.2]
    time.now += 10
    pacer.wait("api.example")
    assert time.slept == [0.2, 0.2]


def test_a_burst_beyond_the_longest_wait_is_refused_not_queued() -> None:
    time = Time()
    pacer = Pacer(1, max_wait_s=2.0, clock=lambda: time.now, sleep=lambda _: None)
    for _ in range(3):  # slots at 0, 1 and 2 seconds: waited for
        pacer.wait("api.example")
    with pytest.raises(OverPace, match="not sent") as refused:
        pacer.wait("api.example")
    assert isinstance(refused.value, ProviderUnavailable)  # a start is unavailable, not unknown
    time.now += 1.5  # the refused call took no slot: the next one is 2 s after the last
    pacer.wait("api.example")


def test_a_pace_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(0)
