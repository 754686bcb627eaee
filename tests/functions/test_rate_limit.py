"""Per-user rate limiting on the webhook: a burst from one user is throttled with one polite
answer and nothing written, others pass, and the bucket refills with time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock
from tests.builders import button_update, pre_checkout_update, settings, text_update
from tests.functions.conftest import client_for, post_update

pytestmark = pytest.mark.functions
FLOODER, OTHER = 41, 42


@pytest.fixture
def webhook(memory_runtime: Runtime) -> FlaskClient:
    memory_runtime.settings = settings(rate_per_minute=10, rate_burst=5)
    return client_for("telegram_webhook")


def start(webhook: FlaskClient, user_id: int, update_id: int) -> Any:
    response = post_update(webhook, text_update("/start", user_id=user_id, update_id=update_id))
    assert response.status_code == 200
    return response.get_json(silent=True)


def recorded(rt: Runtime, update_id: int) -> bool:
    return rt.store.recorded(f"tg:{rt.settings.bot_id()}:{update_id}") is not None


def test_a_burst_is_throttled_once_politely_with_nothing_written_and_others_pass(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    answers = [start(webhook, FLOODER, 100 + n) for n in range(8)]
    assert all("Welcome" in a["text"] for a in answers[:5])
    assert "a little fast" in answers[5]["text"]
    assert answers[6:] == [None, None]  # told once; then silently dropped
    assert [recorded(memory_runtime, 100 + n) for n in range(8)] == [True] * 5 + [False] * 3
    assert "Welcome" in start(webhook, OTHER, 200)["text"]
    tapped = post_update(webhook, button_update("shop:home", user_id=FLOODER, update_id=300))
    assert tapped.get_json()["method"] == "answerCallbackQuery"  # the answer, nothing else


def test_the_bucket_refills_with_time_and_payments_are_never_throttled(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    for n in range(7):
        start(webhook, FLOODER, 100 + n)
    checkout = post_update(webhook, pre_checkout_update("nope", 5, user_id=FLOODER))
    assert checkout.get_json()["method"] == "answerPreCheckoutQuery"
    clock = memory_runtime.clock
    assert isinstance(clock, FixedClock)
    clock.current += timedelta(seconds=6)  # 10 a minute: one more
    assert "Welcome" in start(webhook, FLOODER, 120)["text"]
    assert "a little fast" in start(webhook, FLOODER, 121)["text"]
