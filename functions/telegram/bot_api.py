"""Calling the Telegram Bot API out of band (not as a webhook answer): an adapter.

The webhook answers most updates in its own response body; this is for everything else:
notifications, admin prompts, refunds, answering a callback query. Telegram's own errors
are mapped to what callers decide on: a user who blocked the bot (403) is not retried,
flood control (429) says how long to wait, anything else is a plain failure.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx


class BotApiError(Exception):
    """Telegram refused the call or did not answer."""


class Blocked(BotApiError):
    """403: the user blocked the bot (or never started it). Stop messaging them."""


class RateLimited(BotApiError):
    """429: flood control; wait `retry_after` seconds before calling again."""

    def __init__(self, retry_after: int, description: str) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class Bot(Protocol):
    def call(self, method: str, params: dict[str, Any]) -> Any:
        """The call's `result`; raises Blocked, RateLimited or BotApiError."""
        ...

    def send_photo(self, chat_id: int, png: bytes, caption: str) -> Any:
        """sendPhoto with an uploaded PNG (multipart), e.g. a QRIS code."""
        ...


class HttpBot:
    """The Bot API over httpx; the client is created on first call, never at import."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0) -> None:
        self._url = f"{base_url.rstrip('/')}{token}/"
        self._timeout_s = timeout_s
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self._timeout_s)
        return self._client

    def call(self, method: str, params: dict[str, Any]) -> Any:
        return self._result(method, lambda: self.client.post(self._url + method, json=params))

    def send_photo(self, chat_id: int, png: bytes, caption: str) -> Any:
        return self._result(
            "sendPhoto",
            lambda: self.client.post(
                self._url + "sendPhoto",
                data={"chat_id": str(chat_id), "caption": caption, "parse_mode": "HTML"},
                files={"photo": ("qr.png", png, "image/png")},
            ),
        )

    def _result(self, method: str, post: Any) -> Any:
        try:
            response: httpx.Response = post()
            body = response.json()
        except (httpx.HTTPError, ValueError) as err:
            # Never the URL: it holds the bot token.
            raise BotApiError(f"{method}: {type(err).__name__}") from err
        if isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        description = str(body.get("description", "")) if isinstance(body, dict) else ""
        if response.status_code == 403:
            raise Blocked(f"{method}: {description}")
        if response.status_code == 429:
            parameters = body.get("parameters") if isinstance(body, dict) else None
            wait = parameters.get("retry_after", 1) if isinstance(parameters, dict) else 1
            raise RateLimited(int(wait), f"{method}: {description}")
        raise BotApiError(f"{method}: HTTP {response.status_code} {description}")
