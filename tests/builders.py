"""Builders for test inputs: Telegram updates from recorded payloads, envelopes, settings."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from events import Envelope, Event, encode
from functions.runtime.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
BOT_TOKEN = "123456:TEST-token-not-real"
WEBHOOK_SECRET = "webhook-secret-for-tests"
SCHEDULER_SECRET = "scheduler-secret-for-tests"
REFERRALS_SECRET = "referrals-secret-for-tests"


def recorded(name: str) -> dict[str, Any]:
    """A recorded platform payload from tests/fixtures."""
    return json.loads((FIXTURES / name).read_text())


def text_update(
    text: str, *, user_id: int = 1111111, update_id: int = 10000, language: str = "en"
) -> dict[str, Any]:
    """A private-chat text message update, from the recorded /start payload."""
    update = copy.deepcopy(recorded("telegram/start.json"))
    update["update_id"] = update_id
    message = update["message"]
    message["text"] = text
    message["chat"]["id"] = message["from"]["id"] = user_id
    message["from"]["language_code"] = language
    message["entities"] = [{"offset": 0, "length": len(text.split(" ")[0]), "type": "bot_command"}]
    return update


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "backend": "memory",
        "bot_token": BOT_TOKEN,
        "webhook_secret": WEBHOOK_SECRET,
        "scheduler_secret": SCHEDULER_SECRET,
        "default_currency": "KES",
        # Hermetic: an emulator host a session fixture exported must not leak in.
        "PUBSUB_EMULATOR_HOST": None,
    }
    return Settings(**{**values, **overrides})


def envelope(stream: str, version: int, event: Event, *, event_id: str | None = None) -> Envelope:
    type_name, data = encode(event)
    return Envelope(
        event_id=event_id or f"{stream}#{version}",
        stream=stream,
        version=version,
        type=type_name,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        data=data,
    )


def button_update(
    data: str, *, user_id: int = 1111111, update_id: int = 20000, message_id: int = 7
) -> dict[str, Any]:
    """A press on an inline button of a message the bot sent to this user."""
    sender = {"id": user_id, "is_bot": False, "first_name": "Amina", "language_code": "en"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq-{update_id}",
            "from": sender,
            "chat_instance": f"ci-{user_id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": 1767225600,
                "chat": {"id": user_id, "type": "private", "first_name": "Amina"},
                "from": {"id": 123456, "is_bot": True, "first_name": "Soko"},
                "text": "a message with buttons",
            },
        },
    }


def answer_to(
    question: dict[str, Any], text: str, *, user_id: int = 1111111, update_id: int = 10000
) -> dict[str, Any]:
    """The user's reply to a question (ForceReply) the webhook asked: the question comes back
    as Telegram delivers it, HTML parsed into its text and its links into text_link entities."""
    from tests.fakes.telegram.methods import link_entities, visible_text

    update = text_update(text, user_id=user_id, update_id=update_id)
    update["message"]["entities"] = []
    mode = question.get("parse_mode")
    update["message"]["reply_to_message"] = {
        "message_id": 50, "date": 1767225600, "chat": {"id": user_id, "type": "private"},
        "from": {"id": 123456, "is_bot": True, "first_name": "Soko"},
        "text": visible_text(question["text"], mode),
        "entities": link_entities(question["text"], mode),
    }  # fmt: skip
    return update


def pre_checkout_update(
    payload: str, total: int, *, user_id: int = 1111111, update_id: int = 30000
) -> dict[str, Any]:
    """Telegram asking whether to take a Stars payment for an invoice we sent."""
    sender = {"id": user_id, "is_bot": False, "first_name": "Amina", "language_code": "en"}
    return {
        "update_id": update_id,
        "pre_checkout_query": {
            "id": f"pcq-{update_id}",
            "from": sender,
            "currency": "XTR",
            "total_amount": total,
            "invoice_payload": payload,
        },
    }
