"""Calling the Telegram Bot API out of band (not as a webhook answer): an adapter.

The webhook answers most updates in its own response body; this is for everything else:
notifications, admin prompts, refunds, answering a callback query, and a webhook reply that
must not go in the body (`answer_or_send`). Telegram's own errors are mapped to what
callers decide on: a user who blocked the bot (403) is not retried, flood control (429)
says how long to wait, anything else is a plain failure.

Telegram allows about one message a second in a chat (short bursts tolerated) and about 30
a second per bot (../shared/reference/telegram.md, "Limits and errors"). Each process paces
what it sends out of band with a `Pacer`; the HttpBot remembers, per chat, when this
process last sent it a message or was told to wait, which is what `answer_or_send` asks.
Nothing of this is shared between instances: no write per message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from functions.runtime.tls import http_client

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL_S = 1.0  # about one message a second to one chat
# What one process sends out of band at most; the topology caps the instances of `notify`
# so that instances x this stays under Telegram's ~30 a second (a unit test checks it).
PER_PROCESS_PER_SECOND = 5.0
MAX_INLINE_WAIT_S = 10.0  # flood waits summed over one send; longer is left to a redelivery
ATTEMPTS = 3
# Calls that put a message in a chat, or change one: what a chat's limit counts
# (answerCallbackQuery and answerPreCheckoutQuery are not limited).
MESSAGE_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendInvoice", "editMessageText"}
)


class BotApiError(Exception):
    """Telegram refused the call or did not answer."""


class Blocked(BotApiError):
    """403: the user blocked the bot (or never started it). Stop messaging them."""


class RateLimited(BotApiError):
    """429: flood control; wait `retry_after` seconds before calling again."""

    def __init__(self, retry_after: int, description: str) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class FloodWait(BotApiError):
    """Telegram asked us to wait longer than this request may: redeliver later."""


class Bot(Protocol):
    def call(self, method: str, params: dict[str, Any]) -> Any:
        """The call's `result`; raises Blocked, RateLimited or BotApiError."""
        ...

    def send_photo(self, chat_id: int, png: bytes, caption: str) -> Any:
        """sendPhoto with an uploaded PNG (multipart), e.g. a QRIS code."""
        ...


class Pacer:
    """When this process may next message each chat: `per_chat_s` after the last message to
    it, not before a 429's `retry_after` ran out, and `1/per_second` after any message.

    A send reserves its slot under the lock and sleeps outside it, so waiting for one chat
    holds up others only as far as the overall rate does.
    """

    def __init__(
        self,
        per_second: float = PER_PROCESS_PER_SECOND,
        per_chat_s: float = PER_CHAT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.gap_s = 1.0 / per_second
        self.per_chat_s = per_chat_s
        self.clock = clock
        self.sleep = sleep
        self._next_any = float("-inf")
        self._free_at: dict[int, float] = {}
        self._lock = threading.Lock()

    def wait(self, chat_id: int) -> None:
        """Block until a message to `chat_id` fits, and count it as sent then."""
        with self._lock:
            now = self.clock()
            at = max(now, self._next_any, self._free_at.get(chat_id, float("-inf")))
            self._next_any = at + self.gap_s
            self._free_at[chat_id] = at + self.per_chat_s
            self._forget_idle(now)
        if at > now:
            self.sleep(at - now)

    def sent(self, chat_id: int) -> None:
        """A message went to `chat_id` just now (whether or not `wait` scheduled it)."""
        self._hold(chat_id, self.per_chat_s)

    def defer(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429: nothing more to `chat_id` for `seconds`."""
        self._hold(chat_id, seconds)

    def busy(self, chat_id: int) -> bool:
        """Whether a message to `chat_id` now could meet its limit, as far as this process
        knows: it sent the chat one less than `per_chat_s` ago, or was told to wait."""
        with self._lock:
            return self._free_at.get(chat_id, float("-inf")) > self.clock()

    def _hold(self, chat_id: int, seconds: float) -> None:
        with self._lock:
            until = self.clock() + seconds
            self._free_at[chat_id] = max(self._free_at.get(chat_id, until), until)

    def _forget_idle(self, now: float) -> None:
        if len(self._free_at) > 10_000:  # chats free again are as good as unknown
            self._free_at = {c: t for c, t in self._free_at.items() if t > now}


def send_paced(
    bot: Bot,
    pacer: Pacer,
    method: str,
    params: dict[str, Any],
    *,
    max_wait_s: float = MAX_INLINE_WAIT_S,
    attempts: int = ATTEMPTS,
) -> Any:
    """`bot.call` in the chat's turn; a 429 is waited out (exactly `retry_after`, then the
    chat's turn again) while the waits stay within `max_wait_s`. Raises FloodWait past that,
    Blocked, or BotApiError."""
    chat_id = int(params["chat_id"])
    waited = 0.0
    for attempt in range(1, attempts + 1):
        pacer.wait(chat_id)
        try:
            return bot.call(method, params)
        except RateLimited as err:
            waited += err.retry_after
            if waited > max_wait_s or attempt == attempts:
                raise FloodWait(f"{method}: retry after {err.retry_after}s") from err
            pacer.defer(chat_id, err.retry_after)
    raise AssertionError("unreachable: the last attempt returns or raises")


def answer_or_send(answer: dict[str, Any], bot: Callable[[], Bot]) -> dict[str, Any]:
    """The webhook's answer: the reply stays in the response body (no extra round trip),
    unless this process knows the chat is at its limit — it sent the chat a message out of
    band less than a second ago (a QR photo) or was told to wait. Then a body reply would be
    refused unseen, so it goes through the Bot API in the chat's turn, 429s waited out, and
    the body is empty. A reply still refused is logged, not lost silently.

    Only this process's own sends are known: a notice another instance sent a moment ago is
    not, and a body reply then rides Telegram's short-burst allowance (our out-of-band
    senders pace each chat at one a second, so they never spend it)."""
    chat_id = _limited_chat(answer)
    if chat_id is None:
        return answer
    sender = bot()
    if not isinstance(sender, HttpBot) or not sender.pacer.busy(chat_id):
        return answer
    params = {k: v for k, v in answer.items() if k != "method"}
    try:
        send_paced(sender, sender.pacer, str(answer["method"]), params)
    except BotApiError as err:
        log.warning("reply to chat %s not sent out of band: %s", chat_id, err)
    return {}


def _limited_chat(answer: dict[str, Any]) -> int | None:
    """The chat a message-putting answer goes to (an int chat id), else None."""
    chat_id = answer.get("chat_id")
    if answer.get("method") not in MESSAGE_METHODS or isinstance(chat_id, bool):
        return None
    return chat_id if isinstance(chat_id, int) else None


class HttpBot:
    """The Bot API over httpx; the client is created on first call, never at import.

    Remembers in `pacer` when it last messaged each chat, or was told to wait (per process).
    """

    def __init__(
        self, base_url: str, token: str, timeout_s: float = 10.0, pacer: Pacer | None = None
    ) -> None:
        self._url = f"{base_url.rstrip('/')}{token}/"
        self._timeout_s = timeout_s
        self._client: httpx.Client | None = None
        self.pacer = pacer or Pacer()

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = http_client(timeout=self._timeout_s)
        return self._client

    def call(self, method: str, params: dict[str, Any]) -> Any:
        chat_id = _limited_chat({**params, "method": method})
        return self._noted(
            chat_id, method, lambda: self.client.post(self._url + method, json=params)
        )

    def send_photo(self, chat_id: int, png: bytes, caption: str) -> Any:
        return self._noted(
            chat_id,
            "sendPhoto",
            lambda: self.client.post(
                self._url + "sendPhoto",
                data={"chat_id": str(chat_id), "caption": caption, "parse_mode": "HTML"},
                files={"photo": ("qr.png", png, "image/png")},
            ),
        )

    def _noted(self, chat_id: int | None, method: str, post: Any) -> Any:
        """The call's result; a message sent or a 429 is remembered for its chat."""
        try:
            result = self._result(method, post)
        except RateLimited as err:
            if chat_id is not None:
                self.pacer.defer(chat_id, err.retry_after)
            raise
        if chat_id is not None:
            self.pacer.sent(chat_id)
        return result

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
