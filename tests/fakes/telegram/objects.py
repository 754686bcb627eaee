"""Builders for the JSON objects Telegram sends: users, chats, messages, updates.

Shapes follow the Bot API so PTB's `de_json` accepts them; notably every `from` carries
`is_bot`, which the documentation's samples omit but PTB requires.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .wire import JsonDict

ChatId = int | str


def bot_user(bot_id: int, username: str, first_name: str) -> JsonDict:
    return {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}


def get_me_result(bot_id: int, username: str, first_name: str) -> JsonDict:
    return {
        **bot_user(bot_id, username, first_name),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def human_user(
    user_id: int, first_name: str, language_code: str | None, username: str | None
) -> JsonDict:
    user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def chat_object(chat_id: ChatId, user: JsonDict | None) -> JsonDict:
    """A private chat mirrors its user; other chats get a type from the shape of the id."""
    if user is not None:
        chat: JsonDict = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat
    if isinstance(chat_id, str):
        # "@name" addresses a public channel; give it a stable id of the channel shape.
        number = int(hashlib.sha256(chat_id.encode()).hexdigest()[:8], 16)
        channel_id = -1_000_000_000_000 - number
        return {"id": channel_id, "type": "channel", "title": chat_id, "username": chat_id[1:]}
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
    # Ids below -10^12 ("-100...") are supergroups and channels; above that, basic groups.
    kind = "supergroup" if chat_id < -1_000_000_000_000 else "group"
    return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}


def message(
    message_id: int, date: int, chat: JsonDict, sender: JsonDict, content: JsonDict
) -> JsonDict:
    return {"message_id": message_id, "date": date, "chat": chat, "from": sender, **content}


def text_content(text: str) -> JsonDict:
    """A user's text; a leading /command gets the `bot_command` entity Telegram adds."""
    content: JsonDict = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return content


def file_ids(seed: str, prefix: str = "AgACAgIAAxk") -> tuple[str, str]:
    """Stable, realistic-looking `file_id` / `file_unique_id` for an uploaded or named file.

    The prefix tells the kind, as in real ids: "AgAC..." photos, "BQAC..." documents.
    """
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"{prefix}{digest[:40]}", f"AQAD{digest[40:52]}"


def invite_code(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def photo_sizes(seed: str, size: int) -> list[JsonDict]:
    file_id, unique_id = file_ids(seed)
    return [
        {"file_id": file_id + "s", "file_unique_id": unique_id + "s", "width": 90,
         "height": 90, "file_size": max(1, size // 10)},
        {"file_id": file_id, "file_unique_id": unique_id, "width": 800, "height": 800,
         "file_size": size},
    ]  # fmt: skip


def document_object(seed: str, file_name: str, mime_type: str, size: int) -> JsonDict:
    file_id, unique_id = file_ids(seed, "BQACAgIAAxk")
    return {
        "file_id": file_id,
        "file_unique_id": unique_id,
        "file_name": file_name,
        "mime_type": mime_type,
        "file_size": size,
    }


def invoice_object(params: JsonDict, total_amount: int) -> JsonDict:
    return {
        "title": params["title"],
        "description": params["description"],
        "start_parameter": params.get("start_parameter", ""),
        "currency": params["currency"],
        "total_amount": total_amount,
    }


def callback_query(
    query_id: str, user: JsonDict, msg: JsonDict, data: str, chat_instance: str
) -> JsonDict:
    return {
        "id": query_id,
        "from": user,
        "message": msg,
        "chat_instance": chat_instance,
        "data": data,
    }


def invite_link(
    code: str, creator: JsonDict, params: JsonDict, creates_join_request: bool
) -> JsonDict:
    link: JsonDict = {
        "invite_link": f"https://t.me/+{code}",
        "creator": creator,
        "creates_join_request": creates_join_request,
        "is_primary": False,
        "is_revoked": False,
    }
    for optional in ("name", "expire_date", "member_limit"):
        if params.get(optional) is not None:
            link[optional] = params[optional]
    return link


def inline_buttons(reply_markup: Any) -> list[JsonDict]:
    """The buttons of an inline keyboard, flattened; anything else has none."""
    if not isinstance(reply_markup, dict):
        return []
    rows = reply_markup.get("inline_keyboard")
    if not isinstance(rows, list):
        return []
    return [b for row in rows if isinstance(row, list) for b in row if isinstance(b, dict)]
