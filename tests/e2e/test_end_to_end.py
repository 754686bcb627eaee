"""The whole system over real HTTP: fake Telegram -> webhook -> Firestore -> Pub/Sub push ->
subscriber functions -> Firestore read models, all on the emulators."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events import Envelope, Money, decode
from functions.domain.wallet import Credit, Debit, wallets
from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client
from functions.runtime.memory import FixedClock, SystemClock, UuidIds
from functions.runtime.pipeline import Pipeline
from functions.runtime.ports import PublishFailed
from functions.runtime.pubsub import PubSubPublisher
from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually

pytestmark = pytest.mark.e2e


class DeadBeforePublishing:
    """The function dies after its append committed and before the publish went out."""

    def publish(self, events: Sequence[Envelope]) -> None:
        raise PublishFailed("the instance was killed")


def store(stack: LocalStack) -> FirestoreEventStore:
    return FirestoreEventStore(client(stack.project))


def balances_doc(stack: LocalStack, user_id: int) -> dict[str, Any] | None:
    db = client(stack.project)
    return FirestoreReadModels(db, FirestoreEventStore(db)).get("balances", str(user_id))


def test_start_registers_opens_a_wallet_and_projects_its_balance(e2e_stack: LocalStack) -> None:
    delivery = e2e_stack.telegram.send_text(7001, "/start", first_name="Achieng")
    assert delivery.status == 200

    (registered,) = store(e2e_stack).load("user-7001")
    assert registered.type == "user.registered.v1"
    doc = eventually(lambda: balances_doc(e2e_stack, 7001))  # via open_wallets, then balances
    assert doc == {"user_id": 7001, "balances": {}, "applied_version": 1}
    (opened,) = store(e2e_stack).load("wallet-7001")
    assert opened.causation_id == registered.event_id
    assert any("Welcome to Soko" in text for text in e2e_stack.telegram.messages_to(7001))


def test_the_same_update_redelivered_by_telegram_has_one_effect(e2e_stack: LocalStack) -> None:
    delivery = e2e_stack.telegram.send_text(7002, "/start", first_name="Juma")
    again = e2e_stack.telegram.deliver(delivery.update)
    assert again.status == 200
    assert len(store(e2e_stack).load("user-7002")) == 1
    eventually(lambda: balances_doc(e2e_stack, 7002))
    assert len(store(e2e_stack).load("wallet-7002")) == 1


def test_balance_replies_from_the_read_model(e2e_stack: LocalStack) -> None:
    e2e_stack.telegram.send_text(7003, "/start", first_name="Neema")
    eventually(lambda: balances_doc(e2e_stack, 7003))
    e2e_stack.telegram.send_text(7003, "/balance")
    assert e2e_stack.telegram.messages_to(7003)[-1] == "Your balance:\nKES 0.00"


def test_events_a_dead_function_left_behind_are_published_by_the_relay(
    e2e_stack: LocalStack,
) -> None:
    # The relay takes events left unmarked past its grace period: this one died before that.
    before_the_grace = FixedClock(datetime.now(UTC) - timedelta(minutes=2))
    dying = Pipeline(store(e2e_stack), DeadBeforePublishing(), before_the_grace, UuidIds())
    kes = Money(amount=25_000, currency="KES")
    dying.execute(wallets, "wallet-7004", Credit(7004, kes, "deposit", "payment-7004"))
    assert balances_doc(e2e_stack, 7004) is None

    first = e2e_stack.run_job("relay")
    assert first.status_code == 200
    assert first.json()["published"] >= 1
    doc = eventually(lambda: balances_doc(e2e_stack, 7004))
    assert doc == {"user_id": 7004, "balances": {"KES": 25_000}, "applied_version": 1}

    second = e2e_stack.run_job("relay")
    assert second.json() == {"job": "relay", "published": 0}


def test_duplicated_and_reordered_pubsub_deliveries_give_the_same_read_model(
    e2e_stack: LocalStack,
) -> None:
    silent = Pipeline(store(e2e_stack), DeadBeforePublishing(), SystemClock(), UuidIds())
    for n, amount in enumerate([10_000, 2_500, 700]):
        money = Money(amount=amount, currency="KES")
        silent.execute(wallets, "wallet-7005", Credit(7005, money, "deposit", f"p-7005-{n}"))
    money = Money(amount=1_200, currency="KES")
    silent.execute(wallets, "wallet-7005", Debit(7005, money, "order", "o-7005"))
    history = store(e2e_stack).load("wallet-7005")
    store(e2e_stack).mark_published(history)  # keep the relay out of this test

    deliveries = history * 2
    random.Random(11).shuffle(deliveries)
    publisher = PubSubPublisher(e2e_stack.project, emulator_host=e2e_stack.pubsub_host)
    for envelope in deliveries:  # one publish each: every message is its own delivery
        publisher.publish([envelope])

    expected = wallets.fold(decode(e) for e in history).balances
    doc = eventually(
        lambda: (d := balances_doc(e2e_stack, 7005)) and d["applied_version"] == 4 and d
    )
    assert doc == {"user_id": 7005, "balances": expected, "applied_version": 4}
    assert expected == {"KES": 12_000}
