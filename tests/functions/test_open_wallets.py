"""open_wallets over HTTP: a pushed registration opens one wallet, however often it arrives."""

from __future__ import annotations

import pytest

from events.users import UserRegistered
from functions.runtime.bootstrap import Runtime
from tests.builders import envelope
from tests.functions.conftest import client_for
from tests.functions.test_project_balances import push_body

pytestmark = pytest.mark.functions


def test_a_registration_delivered_three_times_opens_one_wallet(memory_runtime: Runtime) -> None:
    registered = envelope(
        "user-5", 1, UserRegistered(user_id=5, chat_id=5, first_name="A", language="en")
    )
    memory_runtime.store.append("user-5", 0, [registered])
    reactor = client_for("open_wallets", "cloudevent")
    for _ in range(3):
        assert reactor.post("/", json=push_body(registered)).status_code == 200
    (opened,) = memory_runtime.store.load("wallet-5")
    assert opened.type == "wallet.opened.v1"
    assert opened.causation_id == registered.event_id
    assert memory_runtime.read_models.get("balances", "5") == {
        "user_id": 5,
        "balances": {},
        "applied_version": 1,
    }


def test_poison_is_acknowledged_and_writes_nothing(memory_runtime: Runtime) -> None:
    reactor = client_for("open_wallets", "cloudevent")
    body = {"message": {"data": "%%%", "attributes": {}, "messageId": "1"}, "subscription": "s"}
    assert reactor.post("/", json=body).status_code == 200
    store = memory_runtime.store
    assert store.streams() == []  # type: ignore[attr-defined]
