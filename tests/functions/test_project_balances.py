"""project_balances: a Pub/Sub push (as functions-framework receives it) into balances/{user}."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Envelope, Money
from functions.domain.wallet import Credit, Debit, wallets
from functions.runtime.bootstrap import Runtime
from tests.functions.conftest import client_for

pytestmark = pytest.mark.functions


def push_body(envelope: Envelope, message_id: str = "1") -> dict[str, Any]:
    """The body the Pub/Sub emulator (and Pub/Sub push) POSTs to a subscriber."""
    return {
        "message": {
            "data": base64.b64encode(envelope.to_json().encode()).decode(),
            "attributes": {"type": envelope.type, "stream": envelope.stream},
            "messageId": message_id,
            "publishTime": "2026-01-01T00:00:00Z",
        },
        "subscription": "projects/demo-soko/subscriptions/project-balances",
    }


@pytest.fixture
def projector(memory_runtime: Runtime) -> FlaskClient:
    memory_runtime.publisher.subscribers.clear()  # type: ignore[attr-defined]  # deliver by hand
    return client_for("project_balances", "cloudevent")


def wallet_history(rt: Runtime) -> list[Envelope]:
    for n, amount in enumerate([1000, 250, 75]):
        rt.pipeline.execute(
            wallets, "wallet-9", Credit(9, Money(amount=amount, currency="KES"), "d", f"p{n}")
        )
    rt.pipeline.execute(wallets, "wallet-9", Debit(9, Money(amount=300, currency="KES"), "o", "o1"))
    return rt.store.load("wallet-9")


def test_each_delivery_updates_the_read_model(
    projector: FlaskClient, memory_runtime: Runtime
) -> None:
    for envelope in wallet_history(memory_runtime):
        assert projector.post("/", json=push_body(envelope)).status_code == 200
    doc = memory_runtime.read_models.get("balances", "9")
    assert doc == {"user_id": 9, "balances": {"KES": 1025}, "applied_version": 4}


def test_duplicated_and_reordered_deliveries_give_the_same_read_model(
    projector: FlaskClient, memory_runtime: Runtime
) -> None:
    history = wallet_history(memory_runtime)
    deliveries = history * 3
    random.Random(7).shuffle(deliveries)
    for envelope in deliveries:
        assert projector.post("/", json=push_body(envelope)).status_code == 200
    assert memory_runtime.read_models.get("balances", "9") == {
        "user_id": 9,
        "balances": {"KES": 1025},
        "applied_version": 4,
    }


@pytest.mark.parametrize(
    "data", ["!!!not base64", base64.b64encode(b"{}").decode(), base64.b64encode(b"[]").decode()]
)
def test_poison_messages_are_acknowledged_and_change_nothing(
    projector: FlaskClient, memory_runtime: Runtime, data: str
) -> None:
    body = {"message": {"data": data, "attributes": {}, "messageId": "1"}, "subscription": "s"}
    assert projector.post("/", json=body).status_code == 200
    assert memory_runtime.read_models.all("balances") == {}


def test_events_of_other_streams_are_ignored(
    projector: FlaskClient, memory_runtime: Runtime
) -> None:
    from events.users import UserRegistered
    from tests.builders import envelope

    user = envelope(
        "user-9", 1, UserRegistered(user_id=9, chat_id=9, first_name="A", language="en")
    )
    assert projector.post("/", json=push_body(user)).status_code == 200
    assert memory_runtime.read_models.all("balances") == {}
