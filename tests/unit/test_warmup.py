"""The first request of an instance runs without the cyclic collector; every later one with."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from functions.runtime.warmup import FirstRequest

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()


def test_the_first_request_holds_the_collector_and_freezes_what_it_built() -> None:
    gc.enable()
    gc.unfreeze()
    first = FirstRequest()
    assert first.begin() is True
    assert not gc.isenabled()
    built = [object() for _ in range(1000)]
    first.end(True)
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(built)


def test_later_and_concurrent_requests_leave_the_collector_alone() -> None:
    gc.enable()
    first = FirstRequest()
    assert first.begin() is True
    assert first.begin() is False  # a second request while the first still runs
    assert not gc.isenabled()
    first.end(False)
    assert not gc.isenabled()  # only the first request's end turns it back on
    first.end(True)
    assert gc.isenabled()
    assert first.begin() is False
    assert gc.isenabled()


def test_a_collector_held_by_someone_else_is_not_turned_on() -> None:
    gc.disable()
    first = FirstRequest()
    assert first.begin() is False
    first.end(False)
    assert not gc.isenabled()
