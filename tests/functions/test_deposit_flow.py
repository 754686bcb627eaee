"""/deposit in Telegram through a rail, the provider's callback, and /balance and /history."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Money
from functions.payments.start import start_payment
from functions.providers.base import (
    DECLINED,
    Instructions,
    PaymentRequest,
    ProviderRefused,
    Started,
)
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import BotApiError
from tests.builders import button_update, settings, text_update
from tests.fakes.recording_bot import RecordingBot
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


def test_deposit_without_arguments_offers_a_button_per_configured_rail(
    webhook: FlaskClient,
) -> None:
    answer = post_update(webhook, text_update("/deposit", user_id=7, update_id=1)).get_json()
    assert answer["text"] == "How would you like to top up?"
    assert answer["reply_markup"] == {
        "inline_keyboard": [[{"text": "Test rail", "callback_data": "dep:fake"}]]
    }


def test_a_tapped_rail_asks_for_the_amount_and_the_reply_starts_the_deposit(
    webhook: FlaskClient, rail: FakeRail
) -> None:
    question = post_update(webhook, button_update("dep:fake", user_id=7, update_id=2)).get_json()
    assert question["text"].startswith(
        "Deposit with Test rail (KES): reply with the amount, e.g. 1500"
    )
    assert question["reply_markup"]["force_reply"] is True
    answer = text_update("2,000", user_id=7, update_id=3)
    answer["message"]["entities"] = []
    answer["message"]["reply_to_message"] = {
        "message_id": 50, "date": 1767225600, "text": question["text"],
        "chat": {"id": 7, "type": "private"},
        "from": {"id": 123456, "is_bot": True, "first_name": "Soko"},
    }  # fmt: skip
    started = post_update(webhook, answer).get_json()
    assert started["text"].startswith("Deposit of KES 2,000.00 started")
    (request,) = rail.started
    assert request.amount.amount == 200_000


def test_a_reply_to_an_unrelated_question_is_not_taken_for_an_amount(
    webhook: FlaskClient, rail: FakeRail
) -> None:
    answer = text_update("2000", user_id=7, update_id=4)
    answer["message"]["entities"] = []
    answer["message"]["reply_to_message"] = {
        "message_id": 51, "date": 1767225600, "text": "Welcome to Soko!",
        "chat": {"id": 7, "type": "private"},
        "from": {"id": 123456, "is_bot": True, "first_name": "Soko"},
    }  # fmt: skip
    assert "did not understand" in post_update(webhook, answer).get_json()["text"]
    assert rail.started == []


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
    history = say(webhook, "/history", 3)
    (line,) = history.removeprefix("Your last payments:\n").splitlines()
    day = str(memory_runtime.read_models.get("payments", payment_id)["requested_at"])[:10]  # type: ignore[index]
    assert line == f"{day} top-up KES 1,500.00 via Test rail: paid (ref <code>{payment_id}</code>)"


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


def test_a_provider_refusal_reaches_the_payer_in_words_they_can_act_on_not_raw(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    rail.refuse = "NOWPayments: HTTP 400: amountTo is too small"
    assert say(webhook, "/deposit fake 100", 1) == f"Could not start the payment: {DECLINED}"
    (payment_id,) = [r.payment_id for r in rail.started]
    assert memory_runtime.read_models.get("payments", payment_id)["state"] == "failed"  # type: ignore[index]
    # The provider's own words stay in the payment's record, for an admin and the audit.
    (*_, failed) = memory_runtime.store.load(f"payment-{payment_id}")
    assert failed.data["reason"] == "NOWPayments: HTTP 400: amountTo is too small"


def test_a_redelivered_refused_deposit_shows_the_payer_text_again_never_the_raw_reason(
    webhook: FlaskClient, rail: FakeRail
) -> None:
    rail.refuse = "E_LIMIT_7: merchant account suspended"
    first = say(webhook, "/deposit fake 100", 1)
    assert say(webhook, "/deposit fake 100", 1) == first  # Telegram re-sent the update
    assert "E_LIMIT_7" not in first
    assert len(rail.started) == 1


def test_a_refusal_the_rail_worded_for_the_payer_is_shown_as_it_is(
    webhook: FlaskClient, rail: FakeRail
) -> None:
    rail.refusal = ProviderRefused.plainly("the test rail takes at most KES 50")
    assert say(webhook, "/deposit fake 100", 1) == (
        "Could not start the payment: the test rail takes at most KES 50"
    )


def test_an_unreachable_provider_credits_nothing_and_says_to_retry(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    rail.down = True
    assert say(webhook, "/deposit fake 100", 1) == (
        "Could not start the payment: the payment provider did not answer."
        " Try again in a few minutes."
    )
    assert memory_runtime.read_models.get("balances", "7") is None


def test_history_before_any_deposit(webhook: FlaskClient) -> None:
    assert say(webhook, "/history", 1) == "No payments yet. Send /deposit to top up."


def test_history_says_what_each_payment_was_for_and_where_it_stands_in_words(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    say(webhook, "/deposit fake 1,500", 1)
    kes_300 = Money(amount=30_000, currency="KES")
    order = start_payment(
        memory_runtime, user_id=7, rail_name="fake", amount=kes_300, purpose="order",
        subject="o1", trace=Trace("order-payment-1"),
    )  # fmt: skip
    top_up = rail.started[0].payment_id
    docs = memory_runtime.read_models.all("payments")
    day = {pid: str(doc["requested_at"])[:10] for pid, doc in docs.items()}

    lines = say(webhook, "/history", 2).removeprefix("Your last payments:\n").splitlines()

    assert lines == [
        f"{day[order.payment_id]} order payment KES 300.00 via Test rail: waiting for payment"
        f" (ref <code>{order.payment_id}</code>)",
        f"{day[top_up]} top-up KES 1,500.00 via Test rail: waiting for payment"
        f" (ref <code>{top_up}</code>)",
    ]


def test_history_leaves_out_payments_the_provider_refused_to_start(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    rail.refuse = "E_LIMIT_7: merchant account suspended"
    say(webhook, "/deposit fake 200", 1)
    rail.down, rail.refuse = True, ""
    say(webhook, "/deposit fake 300", 2)
    states = [d["state"] for d in memory_runtime.read_models.all("payments").values()]
    assert states == ["failed", "failed"]  # recorded, for the audit and an admin
    assert say(webhook, "/history", 3) == "No payments yet. Send /deposit to top up."

    rail.down = False
    say(webhook, "/deposit fake 1,500", 4)
    (line,) = say(webhook, "/history", 5).removeprefix("Your last payments:\n").splitlines()
    assert "top-up KES 1,500.00 via Test rail: waiting for payment" in line


def test_a_payment_that_failed_after_it_started_stays_in_history(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    say(webhook, "/deposit fake 1,500", 1)
    (request,) = rail.started
    rail.truth[request.payment_id] = "failed"
    answered = client_for("payment_webhook").post(
        f"/payments/fake/{PATH_SECRET}", json=callback(request.payment_id, "failed")
    )
    assert answered.status_code == 200
    (line,) = say(webhook, "/history", 2).removeprefix("Your last payments:\n").splitlines()
    assert "top-up KES 1,500.00 via Test rail: failed" in line


class QrRail(FakeRail):
    """Answers like Pakasir: a QRIS string to show as a QR code."""

    def start(self, request: PaymentRequest) -> Started:
        super().start(request)
        how = Instructions(kind="qr", text="Valid 10 minutes.", qr_payload="00020101QRIS")
        return Started(f"ref-{request.payment_id}", how)


class RefusingBot(RecordingBot):
    def send_photo(self, chat_id: int, png: bytes, caption: str) -> Any:
        raise BotApiError("sendPhoto: HTTP 400 Bad Request")


@pytest.mark.parametrize("photo_works", [True, False])
def test_a_qr_deposit_sends_the_code_as_a_photo_or_the_string_when_that_fails(
    memory_runtime: Runtime, photo_works: bool
) -> None:
    memory_runtime.rail_overrides = {"fake": QrRail()}
    memory_runtime.settings = settings(public_base_url=BASE)
    bot = RecordingBot() if photo_works else RefusingBot()
    memory_runtime.bot_override = bot
    update = text_update("/deposit fake 1500", user_id=7, update_id=1)
    answer = post_update(client_for("telegram_webhook"), update)
    assert answer.status_code == 200
    if photo_works:
        # One message: a second one to the chat within a second would meet Telegram's 429.
        ((method, params),) = bot.calls
        assert (method, params["chat_id"]) == ("sendPhoto", 7)
        caption = params["caption"]
        assert caption.startswith("Deposit of KES 1,500.00 started (ref ")
        assert "Valid 10 minutes." in caption
        assert "00020101QRIS" not in caption
        assert params["bytes"] > 100  # a PNG, rendered from the QRIS string
        assert answer.get_data() == b""  # the webhook answers nothing more
    else:
        text = answer.get_json()["text"]
        assert "QRIS: <code>00020101QRIS</code>" in text
