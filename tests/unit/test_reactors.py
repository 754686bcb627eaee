"""Reactors are pure and deterministic: same event, same commands, same keys."""

from __future__ import annotations

import pytest

from events import Money
from events.users import UserRegistered
from events.wallet import WalletCredited
from functions.contexts import REGISTRY
from functions.domain import wallet
from functions.reactors.open_wallet import open_wallet
from tests.builders import envelope

pytestmark = pytest.mark.unit

REGISTERED = envelope(
    "user-5", 1, UserRegistered(user_id=5, chat_id=5, first_name="A", language="en"), event_id="e1"
)


def test_a_registration_opens_that_users_wallet() -> None:
    (reaction,) = open_wallet.react(REGISTERED)
    assert reaction.stream == "wallet-5"
    assert reaction.command == wallet.Open(5)
    assert reaction.decider is wallet.wallets


def test_other_events_cause_nothing() -> None:
    money = Money(amount=5, currency="KES")
    credited = WalletCredited(user_id=5, amount=money, reason="d", reference="p")
    assert open_wallet.react(envelope("wallet-5", 1, credited)) == []


def test_keys_are_deterministic_per_event_and_reaction() -> None:
    assert open_wallet.key(REGISTERED, 0) == "react:open-wallet:e1:0"
    assert open_wallet.key(REGISTERED, 0) == open_wallet.key(REGISTERED.model_copy(), 0)
    assert len({r.name for r in REGISTRY.reactors}) == len(REGISTRY.reactors)
