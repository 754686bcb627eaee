"""telegram_webhook over HTTP: authenticated, strict about input, one effect per update."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Money
from functions.domain.wallet import Credit, wallets
from functions.runtime.bootstrap import Runtime
from tests.builders import button_update, recorded, text_update
from tests.functions.conftest import everything_written, post_update

pytestmark = pytest.mark.functions


@pytest.mark.parametrize("secret", [None, "", "wrong", "webhook-secret-for-tests "])
def test_a_wrong_or_missing_secret_is_401_and_writes_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, secret: str | None
) -> None:
    response = post_update(webhook, text_update("/start"), secret=secret)
    assert response.status_code == 401
    assert everything_written(memory_runtime) == [{}]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"hello": "world"}',
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        b'{"update_id": 7, "message": "text"}',
        b'{"update_id": 7, "message": {"message_id": 1, "chat": {"id": 1}}}',
        b'{"update_id": 7, "message": {"message_id": 1, "date": 1, "chat": {"id": "x"}}}',
        b"{" + b'"pad": "' + b"x" * 70_000 + b'"}',
    ],
)
def test_malformed_bodies_are_400_and_write_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, body: bytes
) -> None:
    response = webhook.post(
        "/",
        data=body,
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": "webhook-secret-for-tests"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert everything_written(memory_runtime) == [{}]


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        ("from", "language_code", True),
        ("from", "language_code", ["sw"]),
        ("from", "first_name", 5),
        ("from", "first_name", None),
        ("from", "username", 7),
        ("chat", "type", 1),
    ],
)
def test_a_sender_field_of_the_wrong_type_is_400_and_writes_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, where: str, field: str, value: object
) -> None:
    update = text_update("/start", user_id=42)
    update["message"][where][field] = value
    response = post_update(webhook, update)
    assert response.status_code == 400
    assert everything_written(memory_runtime) == [{}]


def test_start_registers_the_user_and_replies_in_the_webhook_response(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    response = post_update(webhook, text_update("/start", user_id=42, language="sw"))
    assert response.status_code == 200
    reply = response.get_json()
    assert reply["method"] == "sendMessage"
    assert reply["chat_id"] == 42
    assert "Karibu" in reply["text"]
    (registered,) = memory_runtime.store.load("user-42")
    assert registered.type == "user.registered.v1"
    assert registered.data["language"] == "sw"
    assert registered.causation_id == "tg-update-10000"


def test_the_same_update_twice_has_one_effect(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    first = post_update(webhook, text_update("/start", update_id=500))
    second = post_update(webhook, text_update("/start", update_id=500))
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    assert len(memory_runtime.store.load("user-1111111")) == 1
    assert memory_runtime.store.recorded("tg:123456:500") is not None


def test_a_second_start_in_a_new_update_welcomes_back_without_new_events(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    post_update(webhook, text_update("/start", update_id=1))
    again = post_update(webhook, text_update("/start", update_id=2)).get_json()
    assert "Welcome back" in again["text"]
    assert len(memory_runtime.store.load("user-1111111")) == 1


def test_start_then_balance_replies_with_zero(webhook: FlaskClient) -> None:
    post_update(webhook, text_update("/start", update_id=1))
    reply = post_update(webhook, text_update("/balance", update_id=2)).get_json()
    assert reply["text"] == "Your balance:\nKES 0.00"


def test_balance_shows_each_currency_from_the_read_model(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    for reference, money in [
        ("p1", Money(amount=150_050, currency="KES")),
        ("p2", Money(amount=250, currency="XTR")),
    ]:
        memory_runtime.pipeline.execute(
            wallets, "wallet-1111111", Credit(1111111, money, "deposit", reference)
        )
    reply = post_update(webhook, text_update("/balance@SokoBot", update_id=3)).get_json()
    assert reply["text"].startswith("Your balance:\nKES 1,500.50\n")
    assert "250" in reply["text"].splitlines()[2]


def test_updates_without_text_are_acknowledged_and_ignored(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    response = post_update(webhook, recorded("telegram/edited_message.json"))
    assert response.status_code == 200
    assert response.data == b""
    assert everything_written(memory_runtime) == [{}]


def test_an_unknown_command_gets_help_not_an_error(webhook: FlaskClient) -> None:
    reply = post_update(webhook, text_update("/dance")).get_json()
    assert "/help" in reply["text"]


def test_user_names_are_escaped_in_html_replies(webhook: FlaskClient) -> None:
    update = text_update("/start")
    update["message"]["from"]["first_name"] = "<b>Eve</b>"
    reply = post_update(webhook, update).get_json()
    assert "&lt;b&gt;Eve&lt;/b&gt;" in reply["text"]


def test_every_routed_handler_path_resolves_to_a_function() -> None:
    import importlib

    from functions.telegram import handlers, replies

    paths = [*handlers.CALLBACKS.values(), handlers.PRE_CHECKOUT, handlers.PAID, handlers.REPLIES]
    paths += list(replies.QUESTIONS.values())
    for path in paths:
        module, _, name = path.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), path


def test_a_button_this_deployment_does_not_know_is_answered_and_writes_nothing(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    before = everything_written(memory_runtime)
    response = post_update(webhook, button_update("gone:42"))
    assert response.status_code == 200
    assert response.json["method"] == "answerCallbackQuery"
    assert response.json["callback_query_id"] == "cq-20000"
    assert "no longer active" in response.json["text"]
    assert everything_written(memory_runtime) == before


@pytest.mark.parametrize(
    "broken",
    [
        {"callback_query": {"id": 5, "from": {"id": 1}}},
        {"callback_query": {"id": "x", "from": {"id": "1"}}},
        {"callback_query": {"id": "x", "from": {"id": 1}, "data": 3}},
        {"pre_checkout_query": {"id": "x", "from": {"id": 1}, "currency": "XTR"}},
        {"pre_checkout_query": {"id": "x", "from": {"id": 1}, "currency": "XTR",
                                "total_amount": "5", "invoice_payload": "p"}},
    ],
)  # fmt: skip
def test_malformed_queries_are_400_and_write_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, broken: dict[str, Any]
) -> None:
    before = everything_written(memory_runtime)
    response = post_update(webhook, {"update_id": 77, **broken})
    assert response.status_code == 400
    assert everything_written(memory_runtime) == before


def test_a_button_answered_with_an_edit_also_stops_its_spinner_once(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    response = post_update(webhook, button_update("shop:home", update_id=20001))
    assert response.json["method"] in ("sendMessage", "editMessageText")
    bot: Any = memory_runtime.bot()
    assert bot.calls == [("answerCallbackQuery", {"callback_query_id": "cq-20001"})]
    answered = post_update(webhook, button_update("gone:1", update_id=20002))
    assert answered.json["method"] == "answerCallbackQuery"  # the answer itself stops it
    assert len(bot.calls) == 1
