"""Helpers for the rails' end-to-end tests: chat, deposit, read what the emulators hold."""

from __future__ import annotations

from typing import Any

from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client
from infra.local.payer import refs_in
from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually

SUCCEEDED = "payment.succeeded.v1"
CREDITED = "wallet.credited.v1"


def balances(stack: LocalStack, user_id: int) -> dict[str, Any] | None:
    db = client(stack.project)
    return FirestoreReadModels(db, FirestoreEventStore(db)).get("balances", str(user_id))


def payments_doc(stack: LocalStack, payment_id: str) -> dict[str, Any] | None:
    db = client(stack.project)
    return FirestoreReadModels(db, FirestoreEventStore(db)).get("payments", payment_id)


def event_types(stack: LocalStack, stream: str) -> list[str]:
    return [e.type for e in FirestoreEventStore(client(stack.project)).load(stream)]


def open_wallet(stack: LocalStack, user_id: int) -> None:
    """/start, then wait until the wallet's balances document exists."""
    assert stack.telegram.send_text(user_id, "/start").status == 200
    eventually(lambda: balances(stack, user_id))


def deposit(stack: LocalStack, user_id: int, command: str) -> str:
    """Send a /deposit command; the payment reference the bot's reply names (a notice, such
    as a badge for the deposit before, may arrive around the reply)."""
    before = len(stack.telegram.messages_to(user_id))
    assert stack.telegram.send_text(user_id, command).status == 200
    replies = stack.telegram.messages_to(user_id)[before:]
    refs = refs_in(replies)
    assert refs, replies
    return refs[-1]


def credited(stack: LocalStack, user_id: int, currency: str) -> dict[str, Any] | None:
    """The balances document once it shows `currency`: the credit went all the way."""
    doc = balances(stack, user_id)
    return doc if doc and doc["balances"].get(currency) else None
