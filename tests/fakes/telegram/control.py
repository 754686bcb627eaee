"""The fake's own HTTP control API under /_fake/, for another process to drive a chat.

    POST /_fake/send_text     {"user_id", "text", "first_name"?, "language_code"?, "username"?}
    POST /_fake/press_button  {"user_id", "message_id", "callback_data"}
    POST /_fake/pay_invoice   {"user_id", "message_id"}   (pre-checkout, then the payment if ok)
    POST /_fake/deliver       an update object (update_id optional)
    POST /_fake/make_admin    {"owner_id", "chat_id", "title"}  (the owner makes the bot an admin)
    POST /_fake/ask_to_join   {"user_id", "chat_id", "invite_link"?}   (the link the bot gave
                              the user, or the one named; then the chat_member updates)
    POST /_fake/flush         (send the chat_member updates membership changes queued)
    GET  /_fake/members/<chat_id>
    POST /_fake/block         {"chat_id"}      POST /_fake/unblock {"chat_id"}
    POST /_fake/webhook       {"url", "secret_token"?}
    POST /_fake/reset
    GET  /_fake/calls?method=sendMessage&chat_id=42
    GET  /_fake/transcript/<chat_id>
    GET  /_fake/messages/<chat_id>

Answers are JSON; a request the fake cannot carry out gets 400 {"ok": false, "description"}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .wire import JsonDict

if TYPE_CHECKING:
    from .fake import FakeTelegram

Route = Callable[["FakeTelegram", JsonDict], Any]


def _send_text(fake: FakeTelegram, data: JsonDict) -> Any:
    delivery = fake.send_text(
        int(data["user_id"]),
        str(data["text"]),
        first_name=str(data.get("first_name") or "Test"),
        language_code=data.get("language_code", "en"),
        username=data.get("username"),
    )
    return delivery.to_json()


def _press_button(fake: FakeTelegram, data: JsonDict) -> Any:
    user_id, message_id = int(data["user_id"]), int(data["message_id"])
    return fake.press_button(user_id, message_id, str(data["callback_data"])).to_json()


def _pay_invoice(fake: FakeTelegram, data: JsonDict) -> Any:
    return fake.pay_invoice(int(data["user_id"]), int(data["message_id"])).to_json()


def _block(fake: FakeTelegram, data: JsonDict) -> Any:
    fake.block_user(data["chat_id"])
    return {"ok": True}


def _unblock(fake: FakeTelegram, data: JsonDict) -> Any:
    fake.unblock_user(data["chat_id"])
    return {"ok": True}


def _webhook(fake: FakeTelegram, data: JsonDict) -> Any:
    fake.set_webhook(str(data["url"]), data.get("secret_token"))
    return {"ok": True}


def _reset(fake: FakeTelegram, data: JsonDict) -> Any:
    fake.reset()
    return {"ok": True}


def _make_admin(fake: FakeTelegram, data: JsonDict) -> Any:
    owner_id, chat_id = int(data["owner_id"]), int(data["chat_id"])
    return fake.make_admin(chat_id, str(data.get("title") or chat_id), owner_id).to_json()


def _ask_to_join(fake: FakeTelegram, data: JsonDict) -> Any:
    link = data.get("invite_link")
    asked = fake.ask_to_join(int(data["user_id"]), int(data["chat_id"]), link and str(link))
    return asked.to_json()


POST_ROUTES: dict[str, Route] = {
    "make_admin": _make_admin,
    "ask_to_join": _ask_to_join,
    "flush": lambda fake, data: [d.to_json() for d in fake.flush()],
    "send_text": _send_text,
    "press_button": _press_button,
    "pay_invoice": _pay_invoice,
    "deliver": lambda fake, update: fake.deliver(update).to_json(),
    "block": _block,
    "unblock": _unblock,
    "webhook": _webhook,
    "reset": _reset,
}


def handle(fake: FakeTelegram, verb: str, route: str, query: str, body: bytes) -> tuple[int, Any]:
    """Serve `/_fake/<route>`; the answer is (HTTP status, JSON-able body)."""
    try:
        if verb == "POST" and route in POST_ROUTES:
            data = json.loads(body) if body else {}
            if not isinstance(data, dict):
                raise ValueError("body must be a JSON object")
            return 200, POST_ROUTES[route](fake, data)
        if verb == "GET":
            return _get(fake, route, parse_qs(query))
    except (KeyError, TypeError, ValueError, LookupError, RuntimeError) as error:
        return 400, {"ok": False, "description": f"{type(error).__name__}: {error}"}
    return 404, {"ok": False, "description": f"no such control route: {verb} /_fake/{route}"}


def _get(fake: FakeTelegram, route: str, query: dict[str, list[str]]) -> tuple[int, Any]:
    if route == "calls":
        method = query.get("method", [None])[0]
        chat_id = query.get("chat_id", [None])[0]
        return 200, [call.to_json() for call in fake.calls(method, chat_id)]
    kind, _, chat_id = route.partition("/")
    if kind == "transcript" and chat_id:
        return 200, [entry.to_json() for entry in fake.transcript(chat_id)]
    if kind == "messages" and chat_id:
        return 200, fake.messages_to(chat_id)
    if kind == "members" and chat_id:
        return 200, sorted(fake.members(int(chat_id)))
    return 404, {"ok": False, "description": f"no such control route: GET /_fake/{route}"}
