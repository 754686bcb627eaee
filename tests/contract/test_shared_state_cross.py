"""The library and REST adapters of the rails' shared state (provider tokens, call quotas,
rail health) read and continue each other's documents: one layout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.payments.health import FirestoreBoard, HealthBoard, RestBoard, Sample
from functions.providers.quota import FirestoreQuotaStore, QuotaStore, RestQuotaStore
from functions.providers.token_cache import FirestoreTokenCache, RestTokenCache, TokenCache
from functions.runtime.firestore import client
from functions.runtime.firestore_rest import FirestoreRest
from infra.local import emulators as admin
from tests.conftest import Emulators

pytestmark = pytest.mark.contract
WRITERS = pytest.mark.parametrize("writer", [0, 1], ids=["library-writes", "rest-writes"])
EXPIRES = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
MINUTE = "2026-01-01T12:00"


def fresh(emulators: Emulators) -> tuple[object, FirestoreRest]:
    admin.reset_firestore(emulators.firestore_host, emulators.project)
    return client(emulators.project), FirestoreRest.for_project(emulators.project)


@WRITERS
def test_a_token_one_adapter_cached_is_the_others(emulators: Emulators, writer: int) -> None:
    db, rest = fresh(emulators)
    caches: list[TokenCache] = [FirestoreTokenCache(db), RestTokenCache(rest)]
    mine, other = caches[writer], caches[1 - writer]
    mine.put("mpesa-174379", "token-one", EXPIRES)
    assert other.get("mpesa-174379") == ("token-one", EXPIRES)
    other.put("mpesa-174379", "token-two", EXPIRES + timedelta(hours=1))
    assert mine.get("mpesa-174379") == ("token-two", EXPIRES + timedelta(hours=1))


@WRITERS
def test_both_adapters_draw_on_one_budget(emulators: Emulators, writer: int) -> None:
    db, rest = fresh(emulators)
    stores: list[QuotaStore] = [FirestoreQuotaStore(db), RestQuotaStore(rest)]
    mine, other = stores[writer], stores[1 - writer]
    assert mine.take("mpesa", MINUTE, 10, 4) == 4
    assert other.take("mpesa", MINUTE, 10, 4) == 4
    assert mine.take("mpesa", MINUTE, 10, 4) == 2
    assert other.take("mpesa", MINUTE, 10, 1) == 0


@WRITERS
def test_a_board_one_adapter_wrote_the_other_reads_and_continues(
    emulators: Emulators, writer: int
) -> None:
    db, rest = fresh(emulators)
    boards: list[HealthBoard] = [FirestoreBoard(db), RestBoard(rest)]
    mine, other = boards[writer], boards[1 - writer]
    old = Sample({"2026-12-02T06:00": [1, 0, 0, 0]}, [100], "", "2026-12-02T06:00:01+00:00")
    failing = Sample({"2026-12-02T07:00": [0, 3, 1, 0]}, [], "2026-12-02T07:00:09+00:00", "")
    mine.write("mpesa", "old", old)
    mine.write("mpesa", "0a1b", failing)
    assert other.read("mpesa") == {"old": old, "0a1b": failing}
    recovered = Sample({"2026-12-02T07:01": [1, 0, 0, 0]}, [250], "", "2026-12-02T07:01:00+00:00")
    other.write("mpesa", "0a1b", recovered, frozenset({"old"}))
    assert mine.read("mpesa") == {"0a1b": recovered}
