"""The `telegram_webhook` entry point's work: authenticate, parse, handle, answer."""

from __future__ import annotations

import logging
from typing import Any

import flask

from functions import texts
from functions.http import BadRequest, answer, json_body, secret_matches
from functions.runtime.bootstrap import Runtime, runtime
from functions.runtime.ports import StoreUnavailable
from functions.telegram import types
from functions.telegram.bot_api import answer_or_send
from functions.telegram.handlers import handle
from functions.telegram.types import Update

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
    slowed = throttled(rt, update)
    if slowed is not None:
        return slowed  # nothing read or written
    try:
        reply = handle(rt, update)
    except StoreUnavailable:
        # Telegram retries non-2xx answers; the idempotency key makes the retry safe.
        log.warning("store unavailable; asking Telegram to retry update %s", update.update_id)
        return answer(503, "try again")
    # The reply goes in the body unless this process just messaged that chat out of band:
    # then Telegram could refuse it unseen, so it goes through the Bot API (answer_or_send).
    return (answer_or_send(reply, rt.bot) if reply else None) or ("", 200)


def throttled(rt: Runtime, update: Update) -> Any | None:
    """The answer to a user over their rate (said once per dry spell), or None to go on.
    Only what users type and tap counts; payments and chat updates are Telegram's."""
    limit = rt.throttle()
    user = update.effective_user
    message = update.message
    typed = message is not None and bool(message.text or message.caption)
    if limit is None or user is None or not (typed or update.callback_query is not None):
        return None
    verdict = limit.admit(user.id, rt.clock.now().timestamp())
    if verdict == "ok":
        return None
    said = texts.text(texts.language_of(user.language_code), "account.slow_down")
    query = update.callback_query
    if query is not None:  # answered either way: the client's spinner stops
        answer_: dict[str, Any] = {"method": "answerCallbackQuery", "callback_query_id": query.id}
        return answer_ | ({"text": said} if verdict == "slow_down" else {})
    if verdict == "quiet":
        return "", 200
    return {"method": "sendMessage", "chat_id": user.id, "text": said}


def parse_update(body: dict[str, Any]) -> Update:
    """The update our handlers read (functions/telegram/types.py), or BadRequest naming
    the first field that is missing or of the wrong type."""
    try:
        return types.parse_update(body)
    except types.MalformedUpdate as err:
        raise BadRequest(f"not a Telegram update: {err}") from err
