"""/deposit in Telegram through a rail, the provider's callback, and /balance and /history."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from functions.runtime.bootstrap import Runtime
from tests.builders import settings, text_update
from tests.functions.conftest import client_for, post_update
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback

pytestmark = pytest.mark.functions
BASE = "https://functions.example/payment_webhook"


@pytest.fixture
def rail(memory_runtime: Runtime) -> FakeRail:
    fake = FakeRail()
    memory_runtime.rail_overrides = {"fake": fake}
    memory_runtime.settings = settings(public_base_url=BASE)
    return fake


@pytest.fixture
def webhook(rail: FakeRail) -> FlaskClient:
    return client_for("telegram_webhook")


def say(webhook: FlaskClient, text: str, update_id: int) -> str:
    reply = post_update(webhook, text_update(text, user_id=7, update_id=update_id)).get_json()
    return str(reply["text"])


def test_deposit_without_arguments_lists_only_configured_rails(webhook: FlaskClient) -> None:
    assert say(webhook, "/deposit", 1) == "Top up your wallet:\n/deposit fake 1500"


def test_a_deposit_starts_on_the_rail_with_a_callback_url_and_is_credited_once_paid(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    text = say(webhook, "/deposit fake 1,500", 1)
    assert text.startswith("Deposit of KES 1,500.00 started (ref ")
    (request,) = rail.started
    assert request.callback_url == f"{BASE}/payments/fake/{PATH_SECRET}"
    assert request.amount.amount == 150_000
    payment_id = request.payment_id
    assert memory_runtime.read_models.get("payments", payment_id)["state"] == "pending"  # type: ignore[index]

    rail.truth[payment_id] = "succeeded"
    payment_webhook = client_for("payment_webhook")
    assert (
        payment_webhook.post(
            f"/payments/fake/{PATH_SECRET}", json=callback(payment_id, "succeeded")
        ).status_code
        == 200
    )

    assert say(webhook, "/balance", 2) == "Your balance:\nKES 1,500.00"
    assert say(webhook, "/history", 3) == "Your last deposits:\nKES 1,500.00 via fake: succeeded"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/deposit fake abc", "Amount must be a number"),
        ("/deposit fake -5", "Amount must be positive"),
        ("/deposit fake 1.005", "decimal places"),
    ],
)
def test_bad_amounts_are_explained_and_start_nothing(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime, text: str, expected: str
) -> None:
    assert expected in say(webhook, text, 1)
    assert rail.started == []
    assert memory_runtime.store.streams("payment") == []


def test_a_refusing_provider_is_explained_and_the_payment_marked_failed(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    rail.refuse = "phone number not registered"
    assert (
        say(webhook, "/deposit fake 100", 1)
        == "Could not start the payment: phone number not registered"
    )
    (payment_id,) = [r.payment_id for r in rail.started]
    assert memory_runtime.read_models.get("payments", payment_id)["state"] == "failed"  # type: ignore[index]


def test_an_unreachable_provider_credits_nothing_and_says_to_retry(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    rail.down = True
    assert (
        say(webhook, "/deposit fake 100", 1)
        == "Could not start the payment: try again in a few minutes"
    )
    assert memory_runtime.read_models.get("balances", "7") is None


def test_history_before_any_deposit(webhook: FlaskClient) -> None:
    assert say(webhook, "/history", 1) == "No deposits yet. Send /deposit to top up."
