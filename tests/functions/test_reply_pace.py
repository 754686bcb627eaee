"""Webhook replies and Telegram's per-chat limit: a reply Telegram could refuse unseen (the
chat was just messaged out of band by this process) goes through the Bot API in its turn.

Against the fake Bot API with its strictest reading of the limit (one message a second per
chat, no burst), and a fake clock the pacing sleeps on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from functions.runtime.bootstrap import Runtime
from functions.telegram.bot_api import HttpBot, Pacer
from tests.builders import settings, text_update
from tests.fakes.telegram import FakeClock, FakeTelegram
from tests.fakes.telegram.wire import ApiRequest
from tests.functions.conftest import client_for, post_update
from tests.functions.test_deposit_flow import BASE, QrRail

pytestmark = pytest.mark.functions
USER = 7


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def strict(clock: FakeClock) -> Iterator[FakeTelegram]:
    with FakeTelegram(clock=clock, per_chat_burst=1) as fake:
        yield fake


@pytest.fixture
def webhook(memory_runtime: Runtime, strict: FakeTelegram, clock: FakeClock) -> FlaskClient:
    memory_runtime.rail_overrides = {"fake": QrRail()}
    memory_runtime.settings = settings(public_base_url=BASE)
    pacer = Pacer(clock=clock, sleep=clock.advance)
    memory_runtime.bot_override = HttpBot(strict.base_url, strict.token, pacer=pacer)
    return client_for("telegram_webhook")


def say(webhook: FlaskClient, fake: FakeTelegram, text: str, update_id: int) -> Any:
    """Post the update, then do what Telegram does with a method in the webhook's answer."""
    response = post_update(webhook, text_update(text, user_id=USER, update_id=update_id))
    assert response.status_code == 200
    answer = response.get_json(silent=True) or {}
    if "method" in answer:
        params = {k: v for k, v in answer.items() if k != "method"}
        fake.api.call(fake.token, answer["method"], ApiRequest(params), via_webhook_response=True)
    return answer


def notice_from_another_instance(fake: FakeTelegram, text: str) -> None:
    HttpBot(fake.base_url, fake.token).call("sendMessage", {"chat_id": USER, "text": text})


def test_a_qr_photo_flood_control_refused_is_followed_by_its_text_in_the_chats_turn(
    webhook: FlaskClient, strict: FakeTelegram, clock: FakeClock
) -> None:
    notice_from_another_instance(strict, "Your deposit of KES 10.00 was credited.")
    started = clock()

    answer = say(webhook, strict, "/deposit fake 1500", 1)

    assert answer == {}  # nothing left for the body, which Telegram would have refused
    photo, text = strict.calls(chat_id=USER)[1:]
    assert (photo.method, photo.status) == ("sendPhoto", 429)
    assert (text.method, text.status, text.via_webhook_response) == ("sendMessage", 200, False)
    assert text.at - started >= 1.0  # waited out retry_after
    assert "QRIS: 00020101QRIS" in strict.messages_to(USER)[-1]  # the reference is not lost


def test_a_reply_right_after_this_process_messaged_the_chat_waits_for_its_turn(
    webhook: FlaskClient, strict: FakeTelegram, clock: FakeClock, memory_runtime: Runtime
) -> None:
    memory_runtime.bot().call("sendMessage", {"chat_id": USER, "text": "An admin prompt"})
    sent_at = clock()

    answer = say(webhook, strict, "/start", 1)

    assert answer == {}
    ((prompt, reply),) = [strict.calls("sendMessage", USER)]
    assert [prompt.status, reply.status] == [200, 200]
    assert reply.at - sent_at == pytest.approx(1.0)  # one second apart, not refused
    assert strict.messages_to(USER)[-1].startswith("Welcome to Soko")


def test_a_reply_to_a_chat_this_process_did_not_just_message_stays_in_the_body(
    webhook: FlaskClient, strict: FakeTelegram
) -> None:
    answer = say(webhook, strict, "/start", 1)

    assert answer["method"] == "sendMessage"  # the round trip is still saved
    (call,) = strict.calls(chat_id=USER)
    assert (call.status, call.via_webhook_response) == (200, True)


def test_on_telegrams_short_burst_a_reply_right_after_another_instances_notice_arrives(
    memory_runtime: Runtime, clock: FakeClock
) -> None:
    # The case this process cannot see: notify (another instance) just messaged the chat.
    memory_runtime.settings = settings()
    with FakeTelegram(clock=clock) as honest:  # Telegram's default: a short burst
        memory_runtime.bot_override = HttpBot(honest.base_url, honest.token)
        notice_from_another_instance(honest, "Your deposit of KES 10.00 was credited.")
        clock.advance(0.2)

        answer = say(client_for("telegram_webhook"), honest, "/balance", 1)

        assert answer["method"] == "sendMessage"
        assert [c.status for c in honest.calls(chat_id=USER)] == [200, 200]
