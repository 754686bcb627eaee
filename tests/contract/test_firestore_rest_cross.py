"""The library and REST Firestore adapters read each other's documents: one layout."""

from __future__ import annotations

import pytest

from events.users import UserRegistered
from functions.projections.balances import balances
from functions.projections.base import APPLIED_VERSION
from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client
from functions.runtime.firestore_rest import rest_adapters
from functions.runtime.ports import EventStore, Latest, ReadModels, Snapshot
from infra.local import emulators as admin
from tests.builders import envelope
from tests.conftest import Emulators
from tests.contract.test_read_models_contract import credit

pytestmark = pytest.mark.contract
FOLD = "user:cross"
STATE = '{"z":1,"a":[12345678901234567890,"\\u00e9"]}'


def both(emulators: Emulators) -> list[tuple[EventStore, ReadModels]]:
    admin.reset_firestore(emulators.firestore_host, emulators.project)
    db = client(emulators.project)
    library = FirestoreEventStore(db)
    return [(library, FirestoreReadModels(db, library)), rest_adapters(emulators.project)]


@pytest.mark.parametrize("writer", [0, 1], ids=["library-writes", "rest-writes"])
def test_what_one_adapter_writes_the_other_reads(emulators: Emulators, writer: int) -> None:
    adapters = both(emulators)
    (store, _), (other, _) = adapters[writer], adapters[1 - writer]
    user = UserRegistered(user_id=1, chat_id=1, first_name="A", language="en")
    first, second = envelope("user-1", 1, user), envelope("user-1", 2, user)
    store.append("user-1", 0, [first], idempotency_key="k:1")
    store.append("user-1", 1, [second], snapshot=Snapshot(2, FOLD, STATE))
    assert other.load("user-1") == [first, second]
    assert other.load_latest("user-1", FOLD) == Latest(Snapshot(2, FOLD, STATE), [])
    assert other.load_latest("user-1", "other-fold") == Latest(None, [first, second])
    assert other.recorded("k:1") is not None
    assert other.is_recorded("k:1")
    assert other.streams("user") == ["user-1"]
    assert other.unpublished(10) == [first, second]
    # The reader appends next, reading the head the writer left; then the writer again.
    third, fourth = envelope("user-1", 3, user), envelope("user-1", 4, user)
    other.append("user-1", 2, [third])
    store.append("user-1", 3, [fourth], marks=[first])
    assert store.load_latest("user-1", FOLD) == Latest(Snapshot(2, FOLD, STATE), [third, fourth])
    assert [e.version for e in other.unpublished(10)] == [2, 3, 4]


@pytest.mark.parametrize("writer", [0, 1], ids=["library-writes", "rest-writes"])
def test_read_model_documents_are_the_same_to_both(emulators: Emulators, writer: int) -> None:
    adapters = both(emulators)
    (_, models), (_, other) = adapters[writer], adapters[1 - writer]
    first, second = credit(1, 100), credit(2, 50)
    adapters[writer][0].append("wallet-7", 0, [first, second])
    models.apply(balances, first)
    other.apply(balances, second)  # the other adapter continues the document
    models.apply(balances, first)  # already applied, whoever wrote it
    doc_id = balances.doc_id("wallet-7")
    doc = other.get(balances.collection, doc_id)
    assert doc is not None
    assert doc[APPLIED_VERSION] == 2
    assert models.get(balances.collection, doc_id) == doc
    assert other.all(balances.collection) == {doc_id: doc}
