"""QuotaStore contract: memory and Firestore (emulator) hand out a minute's calls alike, and
never more than its limit, however many instances lease at once."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from functions.providers.quota import (
    FirestoreQuotaStore,
    MemoryQuotaStore,
    QuotaStore,
    RestQuotaStore,
)

pytestmark = pytest.mark.contract
MINUTE, NEXT = "2026-01-01T12:00", "2026-01-01T12:01"
_rails = itertools.count()


@pytest.fixture(params=["memory", "firestore", "firestore-rest"])
def store(request: pytest.FixtureRequest) -> Iterator[QuotaStore]:
    if request.param == "memory":
        yield MemoryQuotaStore()
        return
    from functions.runtime.firestore import client
    from functions.runtime.firestore_rest import FirestoreRest
    from infra.local import emulators as admin

    emulators = request.getfixturevalue("emulators")
    admin.reset_firestore(emulators.firestore_host, emulators.project)
    if request.param == "firestore-rest":
        yield RestQuotaStore(FirestoreRest.for_project(emulators.project))
        return
    yield FirestoreQuotaStore(client(emulators.project))


def rail() -> str:
    return f"rail{next(_rails)}"


def test_leases_are_handed_out_until_the_minute_is_spent(store: QuotaStore) -> None:
    name = rail()
    assert [store.take(name, MINUTE, 10, 4) for _ in range(4)] == [4, 4, 2, 0]


def test_a_new_minute_starts_from_nothing_used_and_a_past_one_gets_nothing(
    store: QuotaStore,
) -> None:
    name = rail()
    assert store.take(name, MINUTE, 3, 3) == 3
    assert store.take(name, NEXT, 3, 2) == 2
    assert store.take(name, MINUTE, 3, 1) == 0  # an instance whose clock is behind
    assert store.take(name, NEXT, 3, 5) == 1


def test_rails_have_budgets_of_their_own(store: QuotaStore) -> None:
    first, second = rail(), rail()
    assert store.take(first, MINUTE, 2, 2) == 2
    assert store.take(second, MINUTE, 2, 2) == 2


def test_instances_leasing_at_once_never_get_more_than_the_limit(store: QuotaStore) -> None:
    name = rail()
    with ThreadPoolExecutor(max_workers=6) as pool:
        granted = list(pool.map(lambda _: store.take(name, MINUTE, 25, 3), range(12)))
    assert sum(granted) == 25
    assert store.take(name, MINUTE, 25, 1) == 0
