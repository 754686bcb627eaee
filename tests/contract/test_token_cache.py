"""TokenCache contract: memory and Firestore (emulator) caches behave alike."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from functions.providers.token_cache import (
    FirestoreTokenCache,
    MemoryTokenCache,
    RestTokenCache,
    SharedToken,
    TokenCache,
)

pytestmark = pytest.mark.contract

EXPIRES = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
_names = itertools.count()


@pytest.fixture(params=["memory", "firestore", "firestore-rest"])
def cache(request: pytest.FixtureRequest) -> Iterator[TokenCache]:
    if request.param == "memory":
        yield MemoryTokenCache()
        return
    from functions.runtime.firestore import client
    from functions.runtime.firestore_rest import FirestoreRest
    from infra.local import emulators as admin

    emulators = request.getfixturevalue("emulators")
    admin.reset_firestore(emulators.firestore_host, emulators.project)
    if request.param == "firestore-rest":
        yield RestTokenCache(FirestoreRest.for_project(emulators.project))
        return
    yield FirestoreTokenCache(client(emulators.project))


def test_an_unknown_name_is_a_miss(cache: TokenCache) -> None:
    assert cache.get("mpesa-none") is None


def test_a_token_reads_back_with_its_expiry_in_utc(cache: TokenCache) -> None:
    nairobi = timezone(timedelta(hours=3))
    cache.put("mpesa-174379", "token-one", EXPIRES.astimezone(nairobi))
    got = cache.get("mpesa-174379")
    assert got == ("token-one", EXPIRES)
    assert got is not None
    assert got[1].tzinfo is not None
    assert got[1].utcoffset() == timedelta(0)


def test_a_new_token_replaces_the_old_one(cache: TokenCache) -> None:
    cache.put("mpesa-174379", "token-one", EXPIRES)
    cache.put("mpesa-174379", "token-two", EXPIRES + timedelta(hours=1))
    assert cache.get("mpesa-174379") == ("token-two", EXPIRES + timedelta(hours=1))


def test_names_are_kept_apart(cache: TokenCache) -> None:
    cache.put("mpesa-174379", "token-one", EXPIRES)
    cache.put("airtel-ke", "token-two", EXPIRES)
    assert cache.get("mpesa-174379") == ("token-one", EXPIRES)
    assert cache.get("airtel-ke") == ("token-two", EXPIRES)


def test_a_naive_expiry_is_refused(cache: TokenCache) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cache.put("mpesa-174379", "token-one", datetime(2026, 1, 1))


def test_instances_share_one_minted_token_through_the_cache(cache: TokenCache) -> None:
    now = datetime.now(UTC)
    minted: list[str] = []
    lock = threading.Lock()

    def mint() -> tuple[str, datetime]:
        with lock:
            minted.append(f"token-{next(_names)}")
            return minted[-1], now + timedelta(seconds=3599)

    first, second = (SharedToken(cache, "mpesa-174379", mint, lambda: now) for _ in range(2))
    assert first.get() == second.get() == minted[0]
    # The first instance's token was rejected: it mints once; the second then finds the
    # newer token in the cache when its own copy is rejected, and mints nothing.
    assert first.get(rejected=minted[0]) == minted[1]
    assert second.get(rejected=minted[0]) == minted[1]
    assert len(minted) == 2


def test_a_token_near_expiry_is_replaced(cache: TokenCache) -> None:
    now = datetime.now(UTC)
    cache.put("mpesa-174379", "old", now + timedelta(seconds=59))
    shared = SharedToken(
        cache, "mpesa-174379", lambda: ("new", now + timedelta(hours=1)), lambda: now
    )
    assert shared.get() == "new"
    assert cache.get("mpesa-174379") is not None
    assert shared.current() == "new"
