"""The fake Telegram Bot API answers like api.telegram.org, to PTB and to plain HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from tests.fakes.telegram_api import SECRET_HEADER, FakeClock, FakeTelegram

pytestmark = pytest.mark.unit

REPO = Path(__file__).parents[2]
USER = 42
Reply = Callable[[dict[str, Any]], dict[str, Any] | None]


# -- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeTelegram]:
    with FakeTelegram(clock=clock) as server:
        yield server


def with_bot(fake: FakeTelegram, use: Callable[[Bot], Coroutine[Any, Any, Any]]) -> Any:
    """Run `use(bot)` on a fresh event loop with an initialised PTB Bot."""

    async def run() -> Any:
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            return await use(bot)

    return asyncio.run(run())


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    # One client for the module: creating one per request costs ~0.2 s (TLS context).
    with httpx.Client(trust_env=False) as client:
        yield client


def api(http: httpx.Client, fake: FakeTelegram, method: str, **kwargs: Any) -> httpx.Response:
    return http.post(f"{fake.base_url}{fake.token}/{method}", **kwargs)


class RecordingWebhook:
    """A bot's webhook on loopback: keeps what arrives, answers with `reply(update)`."""

    def __init__(self, reply: Reply = lambda update: None, status: int = 200) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                update = json.loads(body)
                webhook.received.append((dict(self.headers), update))
                answer = json.dumps(reply(update) or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/telegram"
        serve = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        serve.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_factory() -> Iterator[Callable[..., RecordingWebhook]]:
    hooks: list[RecordingWebhook] = []

    def make(reply: Reply = lambda update: None, status: int = 200) -> RecordingWebhook:
        hooks.append(RecordingWebhook(reply, status))
        return hooks[-1]

    yield make
    for hook in hooks:
        hook.close()


# -- the Bot API as PTB sees it -------------------------------------------------------------


def test_ptb_gets_parsed_objects_from_get_me_and_send_message(fake: FakeTelegram) -> None:
    async def use(bot: Bot) -> Any:
        return await bot.get_me(), await bot.send_message(USER, "hello")

    me, sent = with_bot(fake, use)

    assert me.is_bot
    assert me.username == "soko_test_bot"
    assert me.id == 123456789
    assert sent.text == "hello"
    assert sent.message_id == 1
    assert sent.chat.id == USER
    assert sent.chat.type == "private"
    assert sent.from_user.id == me.id
    assert sent.from_user.is_bot
    [call] = fake.calls("sendMessage", chat_id=USER)
    assert call.status == 200
    assert call.params == {"chat_id": USER, "text": "hello"}
    assert fake.messages_to(USER) == ["hello"]


def test_ptb_multipart_upload_and_html_are_recorded_as_the_user_sees_them(
    fake: FakeTelegram, clock: FakeClock
) -> None:
    async def use(bot: Bot) -> Any:
        photo = await bot.send_photo(
            USER, io.BytesIO(b"\x89PNG..."), caption="<b>Menu</b>", parse_mode="HTML"
        )
        clock.advance(1)  # Telegram's 1 message a second per chat
        document = await bot.send_document(USER, io.BytesIO(b"%PDF"), filename="receipt.pdf")
        return photo, document

    photo, document = with_bot(fake, use)

    assert photo.caption == "Menu"
    assert photo.photo[-1].file_id
    assert document.document.file_name == "receipt.pdf"
    assert document.document.file_size == 4
    [photo_call] = fake.calls("sendPhoto")
    assert photo_call.files == ("photo",)
    assert photo_call.params["caption"] == "<b>Menu</b>"
    assert fake.messages_to(USER) == ["Menu", ""]


def test_a_wrong_token_is_401(fake: FakeTelegram, http: httpx.Client) -> None:
    async def initialise() -> None:
        async with Bot("987654:wrong", base_url=fake.base_url):
            pass  # initialize() calls getMe

    with pytest.raises(InvalidToken):
        asyncio.run(initialise())
    response = http.get(f"{fake.base_url}987654:wrong/getMe")

    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert [call.status for call in fake.calls("getMe")] == [401, 401]


def test_an_unknown_method_is_404_and_method_names_ignore_case(
    fake: FakeTelegram, http: httpx.Client
) -> None:
    missing = api(http, fake, "sendTelepathy", json={"chat_id": USER})
    lower = api(http, fake, "sendmessage", json={"chat_id": USER, "text": "hi"})

    assert missing.status_code == 404
    assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert lower.status_code == 200
    assert lower.json()["result"]["text"] == "hi"
    assert [c.method for c in fake.calls()] == ["sendTelepathy", "sendMessage"]


def test_missing_parameters_are_400_bad_request(fake: FakeTelegram, http: httpx.Client) -> None:
    no_chat = api(http, fake, "sendMessage", json={"text": "hi"})
    no_text = api(http, fake, "sendMessage", data={"chat_id": str(USER)})
    no_query = api(http, fake, "answerCallbackQuery", data={})

    assert no_chat.status_code == 400
    assert no_chat.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: chat_id is empty",
    }
    assert no_text.json()["description"] == "Bad Request: message text is empty"
    assert no_query.json()["description"].startswith("Bad Request: ")
    assert [c.status for c in fake.calls()] == [400, 400, 400]
    assert fake.messages_to(USER) == []


# PTB warns that RetryAfter.retry_after will become a timedelta; not this fake's concern.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_a_message_to_a_chat_past_its_short_burst_is_429_until_the_clock_moves(
    fake: FakeTelegram, clock: FakeClock
) -> None:
    async def send(bot: Bot, text: str) -> Any:
        return await bot.send_message(USER, text)

    async def use(bot: Bot) -> None:
        for text in ("one", "burst", "burst"):  # the default burst: 3 at once
            await send(bot, text)
        clock.advance(0.5)
        with pytest.raises(RetryAfter):
            await send(bot, "two")
        await bot.send_message(USER + 1, "another chat is not limited")
        clock.advance(0.5)
        await send(bot, "three")

    with_bot(fake, use)

    refused = [c for c in fake.calls("sendMessage") if c.status == 429]
    assert [c.params["text"] for c in refused] == ["two"]
    assert refused[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert fake.messages_to(USER) == ["one", "burst", "burst", "three"]


def test_the_global_limit_spans_chats_and_limits_can_be_switched_off(
    clock: FakeClock, http: httpx.Client
) -> None:
    with FakeTelegram(clock=clock, per_chat_per_second=None, global_per_second=3) as limited:
        statuses = [
            api(http, limited, "sendMessage", json={"chat_id": n, "text": "x"}).status_code
            for n in range(1, 6)
        ]
    with FakeTelegram(clock=clock, per_chat_per_second=None, global_per_second=None) as free:
        unlimited = [
            api(http, free, "sendMessage", json={"chat_id": USER, "text": "x"}).status_code
            for _ in range(5)
        ]

    assert statuses == [200, 200, 200, 429, 429]
    assert unlimited == [200] * 5


def test_sending_to_a_user_who_blocked_the_bot_is_403(fake: FakeTelegram) -> None:
    fake.block_user(USER)

    async def use(bot: Bot) -> Any:
        return await bot.send_message(USER, "are you there?")

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        with_bot(fake, use)
    [call] = fake.calls("sendMessage", chat_id=USER)
    assert call.status == 403
    assert call.response["description"] == "Forbidden: bot was blocked by the user"
    assert fake.messages_to(USER) == []


def test_edits_follow_telegram_rules(fake: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Buy", callback_data="buy:1")]])

    async def use(bot: Bot) -> Any:
        sent = await bot.send_message(USER, "Pick one", reply_markup=keyboard)
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("Pick one", USER, sent.message_id, reply_markup=keyboard)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("Gone", USER, 999)
        return await bot.edit_message_text("Bought", USER, sent.message_id)

    edited = with_bot(fake, use)

    assert edited.text == "Bought"
    assert edited.reply_markup is None
    stored = fake.message(USER, edited.message_id)
    assert stored is not None
    assert stored["text"] == "Bought"
    assert "edit_date" in stored
    assert "reply_markup" not in stored  # an edit without a keyboard removes it
    assert fake.messages_to(USER) == ["Pick one"]
    assert [e.kind for e in fake.transcript(USER)] == ["message", "edit"]


# -- Telegram's side: updates to the webhook ------------------------------------------------


def test_send_text_posts_a_realistic_update_with_the_secret_and_runs_the_answered_method(
    fake: FakeTelegram,
    clock: FakeClock,
    webhook_factory: Callable[..., RecordingWebhook],
    http: httpx.Client,
) -> None:
    def echo(update: dict[str, Any]) -> dict[str, Any]:
        text = update["message"]["text"]
        return {
            "method": "sendMessage",
            "chat_id": update["message"]["chat"]["id"],
            "text": f"echo: {text}",
        }

    hook = webhook_factory(echo)
    api(http, fake, "setWebhook", json={"url": hook.url, "secret_token": "s3cret_token-1"})

    first = fake.send_text(USER, "/start ref_abc", first_name="Amina", language_code="sw")
    clock.advance(1)  # the bot's reply counts against 1 message a second per chat
    second = fake.send_text(USER, "thanks")

    assert (first.status, second.status) == (200, 200)
    assert second.update["update_id"] == first.update["update_id"] + 1
    headers, received = hook.received[0]
    assert headers[SECRET_HEADER] == "s3cret_token-1"
    assert received == first.update
    update = Update.de_json(received, None)
    assert update.effective_user is not None
    assert update.effective_message is not None
    assert not update.effective_user.is_bot
    assert update.effective_user.language_code == "sw"
    assert update.effective_message.chat.type == "private"
    assert update.effective_message.parse_entities() == {
        update.effective_message.entities[0]: "/start"
    }
    replies = fake.calls("sendMessage", chat_id=USER)
    assert [c.via_webhook_response for c in replies] == [True, True]
    assert [c.status for c in replies] == [200, 200]
    assert fake.messages_to(USER) == ["echo: /start ref_abc", "echo: thanks"]
    assert [e.line() for e in fake.transcript(USER)] == [
        "user: /start ref_abc",
        "bot: echo: /start ref_abc",
        "user: thanks",
        "bot: echo: thanks",
    ]


def test_press_button_sends_a_callback_query_that_can_be_answered_once(
    fake: FakeTelegram,
    webhook_factory: Callable[..., RecordingWebhook],
    http: httpx.Client,
) -> None:
    def answer(update: dict[str, Any]) -> dict[str, Any]:
        query = update["callback_query"]
        return {
            "method": "answerCallbackQuery",
            "callback_query_id": query["id"],
            "text": "Added to cart",
        }

    hook = webhook_factory(answer)
    fake.set_webhook(hook.url)
    keyboard = {"inline_keyboard": [[{"text": "Buy", "callback_data": "buy:1"}]]}
    sent = api(
        http, fake, "sendMessage", json={"chat_id": USER, "text": "Tea", "reply_markup": keyboard}
    )
    message_id = sent.json()["result"]["message_id"]

    delivery = fake.press_button(USER, message_id, "buy:1")

    query = delivery.update["callback_query"]
    assert delivery.status == 200
    assert query["data"] == "buy:1"
    assert query["from"]["is_bot"] is False
    assert query["message"]["message_id"] == message_id
    assert SECRET_HEADER not in hook.received[0][0]  # no secret was set
    [answered] = fake.calls("answerCallbackQuery")
    assert answered.status == 200
    assert answered.via_webhook_response
    again = api(http, fake, "answerCallbackQuery", json={"callback_query_id": query["id"]})
    assert again.status_code == 400
    assert "query ID is invalid" in again.json()["description"]
    with pytest.raises(LookupError):
        fake.press_button(USER, message_id, "no-such-button")


def test_a_failing_webhook_is_reported_like_get_webhook_info(
    fake: FakeTelegram,
    webhook_factory: Callable[..., RecordingWebhook],
    http: httpx.Client,
) -> None:
    hook = webhook_factory(status=500)
    fake.set_webhook(hook.url, "s3cret")

    delivery = fake.send_text(USER, "hello")

    assert delivery.status == 500
    info = api(http, fake, "getWebhookInfo").json()["result"]
    assert info["url"] == hook.url
    assert "500" in info["last_error_message"]
    assert fake.calls("sendMessage") == []


def test_pre_checkout_queries_expire_after_ten_seconds(
    fake: FakeTelegram,
    clock: FakeClock,
    webhook_factory: Callable[..., RecordingWebhook],
    http: httpx.Client,
) -> None:
    fake.set_webhook(webhook_factory().url)
    user = {"id": USER, "is_bot": False, "first_name": "Amina"}
    for query_id in ("late", "in-time"):
        fake.deliver(
            {
                "pre_checkout_query": {
                    "id": query_id,
                    "from": user,
                    "currency": "XTR",
                    "total_amount": 5,
                    "invoice_payload": "p",
                }
            }
        )

    answer_in_time = api(
        http, fake, "answerPreCheckoutQuery", json={"pre_checkout_query_id": "in-time", "ok": True}
    )
    clock.advance(11)
    answer_late = api(
        http, fake, "answerPreCheckoutQuery", json={"pre_checkout_query_id": "late", "ok": True}
    )

    assert answer_in_time.status_code == 200
    assert answer_late.status_code == 400


def stars_shop(accept: Callable[[dict[str, Any]], bool]) -> Reply:
    """A bot that answers /buy with a 50-Star invoice and pre-checkouts with `accept`."""

    def reply(update: dict[str, Any]) -> dict[str, Any] | None:
        query = update.get("pre_checkout_query")
        if query is not None:
            ok = accept(query)
            answer = {"method": "answerPreCheckoutQuery", "pre_checkout_query_id": query["id"]}
            return {**answer, "ok": ok} if ok else {**answer, "ok": False, "error_message": "no"}
        if update["message"].get("text") == "/buy":
            return {
                "method": "sendInvoice", "chat_id": USER, "title": "Top-up",
                "description": "50 Stars", "payload": "pay-1", "provider_token": "",
                "currency": "XTR", "prices": [{"label": "50 Stars", "amount": 50}],
            }  # fmt: skip
        return None

    return reply


def invoice_message(fake: FakeTelegram) -> int:
    fake.send_text(USER, "/buy")
    (call,) = fake.calls("sendInvoice")
    return int(call.response["result"]["message_id"])


def test_paying_an_invoice_asks_the_bot_then_reports_a_payment_with_a_unique_charge(
    fake: FakeTelegram, clock: FakeClock, webhook_factory: Callable[..., RecordingWebhook]
) -> None:
    hook = webhook_factory(stars_shop(lambda query: query["invoice_payload"] == "pay-1"))
    fake.set_webhook(hook.url)
    message_id = invoice_message(fake)

    first = fake.pay_invoice(USER, message_id)
    second = fake.pay_invoice(USER, message_id)

    assert first.approved
    assert first.charge_id is not None
    assert second.charge_id not in (None, first.charge_id)
    kinds = [next(k for k in update if k != "update_id") for _, update in hook.received]
    assert kinds == ["message", "pre_checkout_query", "message", "pre_checkout_query", "message"]
    query = hook.received[1][1]["pre_checkout_query"]
    assert (query["from"]["id"], query["currency"], query["total_amount"]) == (USER, "XTR", 50)
    assert query["invoice_payload"] == "pay-1"
    assert first.paid is not None
    message = Update.de_json(first.paid.update, None).message
    assert message is not None
    paid = message.successful_payment
    assert paid is not None
    assert (paid.currency, paid.total_amount, paid.invoice_payload) == ("XTR", 50, "pay-1")
    assert paid.telegram_payment_charge_id == first.charge_id
    assert paid.provider_payment_charge_id
    assert fake.state.pre_checkout_answers[query["id"]] is True
    assert fake.transcript(USER)[-1].line() == "user: (payment) paid 50 XTR"


def test_an_invoice_the_bot_refuses_at_pre_checkout_is_not_paid(
    fake: FakeTelegram, webhook_factory: Callable[..., RecordingWebhook]
) -> None:
    hook = webhook_factory(stars_shop(lambda query: False))
    fake.set_webhook(hook.url)

    payment = fake.pay_invoice(USER, invoice_message(fake))

    assert not payment.approved
    assert (payment.paid, payment.charge_id) == (None, None)
    assert [next(k for k in u if k != "update_id") for _, u in hook.received] == [
        "message",
        "pre_checkout_query",
    ]
    assert fake.transcript(USER)[-1].line() == "bot: (answer) no"


def test_only_a_message_that_is_an_invoice_can_be_paid(
    fake: FakeTelegram, webhook_factory: Callable[..., RecordingWebhook]
) -> None:
    fake.set_webhook(webhook_factory().url)
    delivered = fake.send_text(USER, "hello")
    with pytest.raises(LookupError):
        fake.pay_invoice(USER, delivered.update["message"]["message_id"])


def test_a_star_payment_is_refunded_once_and_only_to_its_payer(
    fake: FakeTelegram, webhook_factory: Callable[..., RecordingWebhook], http: httpx.Client
) -> None:
    fake.set_webhook(webhook_factory(stars_shop(lambda query: True)).url)
    charge = fake.pay_invoice(USER, invoice_message(fake)).charge_id

    def refund(user_id: int, charge_id: str | None) -> int:
        params = {"user_id": user_id, "telegram_payment_charge_id": charge_id}
        return api(http, fake, "refundStarPayment", json=params).status_code

    assert refund(USER + 1, charge) == 400  # not this user's payment
    assert refund(USER, "stxNoSuchCharge") == 400
    assert refund(USER, charge) == 200
    assert refund(USER, charge) == 400  # CHARGE_ALREADY_REFUNDED


# -- control API and command line -----------------------------------------------------------


def test_the_control_api_drives_a_chat_over_http(
    fake: FakeTelegram,
    webhook_factory: Callable[..., RecordingWebhook],
    http: httpx.Client,
) -> None:
    hook = webhook_factory(
        lambda u: {"method": "sendMessage", "chat_id": u["message"]["chat"]["id"], "text": "Hi!"}
    )
    control = f"{fake.url}/_fake"
    http.post(f"{control}/webhook", json={"url": hook.url, "secret_token": "abc"})

    sent = http.post(f"{control}/send_text", json={"user_id": USER, "text": "hello"})
    calls = http.get(f"{control}/calls", params={"method": "sendMessage"}).json()
    transcript = http.get(f"{control}/transcript/{USER}").json()
    http.post(f"{control}/block", json={"chat_id": USER})
    blocked = api(http, fake, "sendMessage", json={"chat_id": USER, "text": "still there?"})
    bad_press = http.post(
        f"{control}/press_button", json={"user_id": USER, "message_id": 99, "callback_data": "x"}
    )
    http.post(f"{control}/reset")

    assert sent.status_code == 200
    assert sent.json()["status"] == 200
    assert sent.json()["update"]["message"]["text"] == "hello"
    assert [(c["params"]["text"], c["via_webhook_response"]) for c in calls] == [("Hi!", True)]
    assert [entry["line"] for entry in transcript] == ["user: hello", "bot: Hi!"]
    assert blocked.status_code == 403
    assert bad_press.status_code == 400
    assert fake.calls() == []
    assert fake.transcript(USER) == []
    assert fake.webhook_info()["url"] == hook.url  # reset keeps the webhook


def test_the_control_api_pays_an_invoice(
    fake: FakeTelegram, webhook_factory: Callable[..., RecordingWebhook], http: httpx.Client
) -> None:
    fake.set_webhook(webhook_factory(stars_shop(lambda query: True)).url)
    message_id = invoice_message(fake)
    control = f"{fake.url}/_fake"

    paid = http.post(f"{control}/pay_invoice", json={"user_id": USER, "message_id": message_id})
    not_invoice = http.post(f"{control}/pay_invoice", json={"user_id": USER, "message_id": 99})

    assert paid.status_code == 200
    body = paid.json()
    assert body["approved"] is True
    assert body["checkout"]["status"] == 200
    sent = body["paid"]["update"]["message"]["successful_payment"]
    assert sent["telegram_payment_charge_id"] == body["charge_id"]
    assert not_invoice.status_code == 400


def test_the_command_line_serves_until_sigterm(
    http: httpx.Client,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.telegram_api", "--port", str(port), "--token", "1:T"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "fake Telegram Bot API" in process.stdout.readline()
        me = http.get(f"http://127.0.0.1:{port}/bot1:T/getMe").json()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert me["ok"]
    assert me["result"]["id"] == 1
    assert me["result"]["is_bot"]


def test_the_text_after_a_force_reply_question_is_a_reply_to_it_like_a_client_sends(
    fake: FakeTelegram,
    clock: FakeClock,
    webhook_factory: Callable[..., RecordingWebhook],
    http: httpx.Client,
) -> None:
    hook = webhook_factory(lambda update: None)
    api(http, fake, "setWebhook", json={"url": hook.url})
    asked = api(
        http, fake, "sendMessage",
        json={"chat_id": USER, "text": "How much?", "reply_markup": {"force_reply": True}},
    ).json()["result"]  # fmt: skip
    clock.advance(1)
    answer = fake.send_text(USER, "1500")
    assert answer.update["message"]["reply_to_message"]["message_id"] == asked["message_id"]
    assert answer.update["message"]["reply_to_message"]["text"] == "How much?"
    later = fake.send_text(USER, "and this is not an answer")
    assert "reply_to_message" not in later.update["message"]
    api(
        http, fake, "sendMessage",
        json={"chat_id": USER, "text": "Phone?", "reply_markup": {"force_reply": True}},
    )  # fmt: skip
    clock.advance(1)
    command = fake.send_text(USER, "/balance")  # a command is not an answer
    assert "reply_to_message" not in command.update["message"]
