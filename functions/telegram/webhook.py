"""The `telegram_webhook` entry point's work: authenticate, parse, handle, answer."""

from __future__ import annotations

import logging
from typing import Any

import flask
from telegram import Update

from functions import texts
from functions.http import BadRequest, answer, json_body, secret_matches
from functions.runtime.bootstrap import Runtime, runtime
from functions.runtime.ports import StoreUnavailable
from functions.telegram.bot_api import answer_or_send
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
    """A python-telegram-bot Update, or BadRequest: PTB itself does not check field types."""
    update_id = body.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise BadRequest("not a Telegram update: update_id missing or not a number")
    for kind, shape_ok in SHAPES.items():
        if kind in body and not shape_ok(body[kind]):
            raise BadRequest(f"{kind} has the wrong shape")
    try:
        return Update.de_json(body, None)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise BadRequest(f"not a Telegram update: {type(err).__name__}") from err


USER_TEXT_FIELDS = ("last_name", "username", "language_code")
CHAT_TEXT_FIELDS = ("type", "title", "username", "first_name", "last_name")


def _is_user(value: Any) -> bool:
    """A User whose fields we read have their wire types (we greet by first_name and pick a
    language by language_code: a number there is a sender's garbage, not our 500)."""
    return (
        isinstance(value, dict)
        and _is_int(value.get("id"))
        and isinstance(value.get("first_name"), str)
        and _optional_texts(value, USER_TEXT_FIELDS)
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _optional_texts(value: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return all(value.get(f) is None or isinstance(value.get(f), str) for f in fields)


def _is_callback_query_shape(query: Any) -> bool:
    return (
        isinstance(query, dict)
        and isinstance(query.get("id"), str)
        and _is_user(query.get("from"))
        and isinstance(query.get("data", ""), str)
        and (query.get("message") is None or _is_message_shape(query["message"]))
    )


def _is_pre_checkout_shape(query: Any) -> bool:
    return (
        isinstance(query, dict)
        and isinstance(query.get("id"), str)
        and _is_user(query.get("from"))
        and isinstance(query.get("currency"), str)
        and isinstance(query.get("total_amount"), int)
        and not isinstance(query.get("total_amount"), bool)
        and isinstance(query.get("invoice_payload"), str)
    )


def _is_message_shape(message: Any) -> bool:
    if not isinstance(message, dict):
        return False
    chat, sender = message.get("chat"), message.get("from")
    return (
        isinstance(message.get("message_id"), int)
        and isinstance(message.get("date"), int)
        and isinstance(chat, dict)
        and _is_int(chat.get("id"))
        and _optional_texts(chat, CHAT_TEXT_FIELDS)
        and (sender is None or _is_user(sender))
        and isinstance(message.get("text", ""), str)
        and _is_payment_shape(message.get("successful_payment"))
        and _is_payment_shape(message.get("refunded_payment"))
    )


def _is_payment_shape(paid: Any) -> bool:
    """Absent, or a successful/refunded payment whose money fields have their wire types."""
    if paid is None:
        return True
    if not isinstance(paid, dict):
        return False
    amount, charge = paid.get("total_amount"), paid.get("telegram_payment_charge_id")
    return (
        isinstance(paid.get("currency"), str)
        and isinstance(amount, int)
        and not isinstance(amount, bool)
        and amount > 0
        and isinstance(paid.get("invoice_payload"), str)
        and isinstance(charge, str)
        and bool(charge)
        # A Star subscription's charge: flags, and when the period paid for ends.
        and all(paid.get(f) is None or isinstance(paid.get(f), bool)
                for f in ("is_recurring", "is_first_recurring"))
        and (paid.get("subscription_expiration_date") is None
             or _is_int(paid.get("subscription_expiration_date")))
    )  # fmt: skip


def _is_chat(chat: Any) -> bool:
    return (
        isinstance(chat, dict)
        and _is_int(chat.get("id"))
        and _optional_texts(chat, CHAT_TEXT_FIELDS)
    )


def _is_member(member: Any) -> bool:
    """A ChatMember: a status word and the user it is about."""
    return (
        isinstance(member, dict)
        and isinstance(member.get("status"), str)
        and _is_user(member.get("user"))
    )


def _is_member_update_shape(updated: Any) -> bool:
    """my_chat_member / chat_member: who changed whose status in which chat."""
    return (
        isinstance(updated, dict)
        and _is_chat(updated.get("chat"))
        and _is_user(updated.get("from"))
        and _is_int(updated.get("date"))
        and _is_member(updated.get("old_chat_member"))
        and _is_member(updated.get("new_chat_member"))
    )


def _is_join_request_shape(request: Any) -> bool:
    link = request.get("invite_link") if isinstance(request, dict) else None
    return (
        isinstance(request, dict)
        and _is_chat(request.get("chat"))
        and _is_user(request.get("from"))
        and _is_int(request.get("date"))
        and _is_int(request.get("user_chat_id"))
        and (link is None or (isinstance(link, dict) and isinstance(link.get("invite_link"), str)))
    )


SHAPES = {
    "message": _is_message_shape,
    "callback_query": _is_callback_query_shape,
    "pre_checkout_query": _is_pre_checkout_shape,
    "my_chat_member": _is_member_update_shape,
    "chat_member": _is_member_update_shape,
    "chat_join_request": _is_join_request_shape,
}
