"""telegram_webhook over HTTP: authenticated, strict about input, one effect per update."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Money
from functions.contexts import REGISTRY
from functions.domain.decider import DomainError
from functions.domain.wallet import Credit, InsufficientFunds, wallets
from functions.runtime.bootstrap import Runtime
from functions.telegram.chat import Context, Reply, reply
from functions.telegram.handlers import Router, handle
from functions.telegram.routes import Ref, Route
from functions.telegram.webhook import parse_update
from functions.texts import swahili
from tests.builders import answer_to, button_update, recorded, settings, text_update
from tests.functions.conftest import everything_written, post_update

pytestmark = pytest.mark.functions
ADMIN = 900


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
        b'{"update_id": 7, "message": {"message_id": 1, "date": 1e999, "chat": {"id": 1}}}',
        b'{"update_id": 7, "message": {"message_id": 1, "date": 100000000000000000000, '
        b'"chat": {"id": 1, "type": "private"}}}',
        b'{"update_id": 7, "my_chat_member": {"chat": {"id": -5, "type": "group"}, "date": 1, '
        b'"from": {"id": 1, "is_bot": false, "first_name": "A"}, "old_chat_member": "left"}}',
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


# -- the route table: roles, /help, questions, the refusal boundary ------------------------


@pytest.fixture
def admin(memory_runtime: Runtime) -> int:
    memory_runtime.settings = settings(admin_ids=[ADMIN], stars_enabled=True)
    return ADMIN


ADMIN_COMMANDS = [r.key for r in REGISTRY.routes if r.kind == "command" and r.role == "admin"]


@pytest.mark.parametrize("command", [c for c in ADMIN_COMMANDS if c != "/photo"])
def test_every_admin_command_gets_a_non_admin_one_answer_and_writes_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, admin: int, command: str
) -> None:
    before = everything_written(memory_runtime)
    answer = post_update(webhook, text_update(f"{command} abc 5", user_id=42)).get_json()
    assert answer["text"] == "This command is for shop admins."
    assert everything_written(memory_runtime) == before


def test_an_admin_button_tapped_by_a_non_admin_is_refused_with_an_alert(
    webhook: FlaskClient, memory_runtime: Runtime, admin: int
) -> None:
    before = everything_written(memory_runtime)
    answer = post_update(webhook, button_update("adm:ok:abc", user_id=42)).get_json()
    assert answer["method"] == "answerCallbackQuery"
    assert (answer["text"], answer["show_alert"]) == (
        "Not allowed: this button is for shop admins.",
        True,
    )
    assert everything_written(memory_runtime) == before


def listed(webhook: FlaskClient, user_id: int, update_id: int) -> list[str]:
    """The commands /help lists for this user."""
    text = post_update(webhook, text_update("/help", user_id=user_id, update_id=update_id))
    return [line.split(" ")[0] for line in text.get_json()["text"].splitlines() if line[:1] == "/"]


def test_help_lists_a_customer_the_shop_and_an_admin_also_the_admin_commands(
    webhook: FlaskClient, admin: int
) -> None:
    customer = listed(webhook, 42, 1)
    assert {"/start", "/balance", "/deposit", "/history", "/shop", "/orders"} <= set(customer)
    assert set(customer).isdisjoint(ADMIN_COMMANDS)
    assert listed(webhook, ADMIN, 2) == customer + ADMIN_COMMANDS


def test_an_answer_is_routed_by_the_questions_marker_whatever_its_wording(
    webhook: FlaskClient, admin: int
) -> None:
    question = post_update(webhook, button_update("dep:stars", user_id=42)).get_json()
    assert question["reply_markup"]["force_reply"] is True
    reworded = question | {"text": question["text"].replace("Deposit with", "Kuweka kwa")}
    invoice = post_update(webhook, answer_to(reworded, "50", user_id=42)).get_json()
    assert (invoice["method"], invoice["currency"]) == ("sendInvoice", "XTR")
    assert invoice["prices"][0]["amount"] == 50


def test_an_answer_to_a_question_asked_before_markers_still_routes_by_its_wording(
    webhook: FlaskClient, admin: int
) -> None:
    old = {"text": "Deposit with Telegram Stars (XTR): reply with the amount, e.g. 50"}
    invoice = post_update(webhook, answer_to(old, "60", user_id=42)).get_json()
    assert (invoice["method"], invoice["prices"][0]["amount"]) == ("sendInvoice", 60)


def test_a_marked_answer_to_a_question_no_route_takes_is_not_understood(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    gone = '?<a href="https://t.me/?soko_q=retired_question.x">\u200d</a>'
    before = everything_written(memory_runtime)
    answer = post_update(webhook, answer_to({"text": gone, "parse_mode": "HTML"}, "7"))
    assert answer.get_json()["text"].startswith("I did not understand that.")
    assert everything_written(memory_runtime) == before


class NotToday(DomainError):
    code = "not_today"


def refusing(ctx: Context, argument: str) -> Reply:
    raise NotToday("not today")


def plain(ctx: Context, argument: str) -> Reply:
    return reply(ctx, f"ran with {argument!r}")


def overdrawing(ctx: Context, argument: str) -> Reply:
    raise InsufficientFunds(Money(amount=0, currency="KES"), Money(amount=96_000, currency="KES"))


EXAMPLE = (
    Route("command", "/refuse", Ref(__name__, "refusing")),
    Route("callback", "no", Ref(__name__, "refusing")),
    Route("command", "/secret", Ref(__name__, "plain"), role="admin"),
    Route("command", "/buy", Ref(__name__, "overdrawing")),
    Route("callback", "buy", Ref(__name__, "overdrawing")),
)


def test_a_router_of_any_routes_turns_every_domain_refusal_into_a_reply(
    memory_runtime: Runtime,
) -> None:
    router = Router(EXAMPLE)
    said = handle(memory_runtime, parse_update(text_update("/refuse")), router)
    assert said is not None
    assert (said["method"], said["text"]) == ("sendMessage", "Not today.")
    tapped = handle(memory_runtime, parse_update(button_update("no:1")), router)
    assert tapped == {
        "method": "answerCallbackQuery",
        "callback_query_id": "cq-20000",
        "text": "Not today.",
        "show_alert": True,
    }
    refused = handle(memory_runtime, parse_update(text_update("/secret x")), router)
    assert refused is not None
    assert refused["text"] == "This command is for shop admins."
    memory_runtime.settings = settings(admin_ids=[1111111])
    ran = handle(memory_runtime, parse_update(text_update("/secret x")), router)
    assert ran is not None
    assert ran["text"] == "ran with 'x'"


def test_the_router_tells_a_refusal_in_the_catalogues_words_and_the_users_language(
    memory_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    router = Router(EXAMPLE)
    said = handle(memory_runtime, parse_update(text_update("/buy")), router)
    assert said is not None
    assert said["text"] == (
        "Your balance is too low: you have KES 0.00, and this needs KES 960.00. "
        "Top up with /deposit."
    )
    # A Swahili user (a line the test gives the catalogue), on a button: the alert is plain
    # text, so the catalogue's HTML is unescaped for it.
    monkeypatch.setitem(
        swahili.TEXTS, "refusal.insufficient_funds", "<b>{balance}</b> &lt; {wanted}"
    )
    tap = button_update("buy:1")
    tap["callback_query"]["from"]["language_code"] = "sw-KE"
    tapped = handle(memory_runtime, parse_update(tap), router)
    assert tapped is not None
    assert (tapped["text"], tapped["show_alert"]) == ("KES 0.00 < KES 960.00", True)
