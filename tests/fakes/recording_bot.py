"""An in-process Bot: records every call, for tests that need no HTTP fake."""

from __future__ import annotations

from typing import Any

USERNAME = "soko_test_bot"


class RecordingBot:
    """Records calls and answers like Telegram would for a successful call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, method: str, params: dict[str, Any]) -> Any:
        self.calls.append((method, params))
        if method == "getMe":  # as the fake Telegram's bot answers it
            return {"id": 123456, "is_bot": True, "first_name": "Soko", "username": USERNAME}
        return {"message_id": len(self.calls)} if method.startswith("send") else True

    def send_photo(self, chat_id: int, png: bytes, caption: str) -> Any:
        params = {"chat_id": chat_id, "caption": caption, "bytes": len(png)}
        self.calls.append(("sendPhoto", params))
        return {"message_id": len(self.calls)}

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]
