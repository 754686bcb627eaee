"""The `telegram_webhook` entry point's work: authenticate, parse, handle, answer."""

from __future__ import annotations

import logging
from typing import Any

import flask
from telegram import Update

from functions.http import BadRequest, answer, json_body, secret_matches
from functions.runtime.bootstrap import runtime
from functions.runtime.ports import StoreUnavailable
from functions.telegram.handlers import handle

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)


def serve(request: flask.Request) -> Any:
    """401 for a wrong secret, 400 for garbage, 503 when the store is down, else 200."""
    rt = runtime()
    if not secret_matches(request.headers.get(SECRET_HEADER), rt.settings.secret("webhook_secret")):
        return answer(401, "unauthorized")
    try:
        update = parse_update(json_body(request, rt.settings.max_body_bytes))
    except BadRequest as err:
        return answer(400, str(err))
    try:
        return handle(rt, update) or ("", 200)
    except StoreUnavailable:
        # Telegram retries non-2xx answers; the idempotency key makes the retry safe.
        log.warning("store unavailable; asking Telegram to retry update %s", update.update_id)
        return answer(503, "try again")


def parse_update(body: dict[str, Any]) -> Update:
    """A python-telegram-bot Update, or BadRequest: PTB itself does not check field types."""
    update_id = body.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise BadRequest("not a Telegram update: update_id missing or not a number")
    message = body.get("message")
    if message is not None and not _is_private_text_shape(message):
        raise BadRequest("message has the wrong shape")
    try:
        return Update.de_json(body, None)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise BadRequest(f"not a Telegram update: {type(err).__name__}") from err


def _is_private_text_shape(message: Any) -> bool:
    if not isinstance(message, dict):
        return False
    chat, sender = message.get("chat"), message.get("from")
    return (
        isinstance(message.get("message_id"), int)
        and isinstance(message.get("date"), int)
        and isinstance(chat, dict)
        and isinstance(chat.get("id"), int)
        and (sender is None or (isinstance(sender, dict) and isinstance(sender.get("id"), int)))
        and isinstance(message.get("text", ""), str)
    )
