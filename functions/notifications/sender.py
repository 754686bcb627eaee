"""Sending notices through the Bot API within Telegram's limits, per process.

Telegram allows about 1 message a second per chat and about 30 a second per bot overall.
Nothing coordinates instances, so each process paces itself at `PER_PROCESS_PER_SECOND`
and the topology caps the `notify` function's instances so that instances x rate stays
under the bot's limit (infra/topology.py; a unit test checks the product). A 429 with a
short `retry_after` is waited out here; a long one raises so Pub/Sub redelivers later
instead of holding the push request open.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from functions.notifications.notice import Notice
from functions.telegram.bot_api import Bot, RateLimited

TELEGRAM_PER_SECOND = 30  # Telegram's overall limit for one bot
# What one instance sends at most; max_instances of `notify` times this stays under ~30/s.
PER_PROCESS_PER_SECOND = 5.0
PER_CHAT_INTERVAL_S = 1.0  # about one message a second to one chat
MAX_INLINE_WAIT_S = 10  # a longer retry_after is left to Pub/Sub's redelivery
ATTEMPTS = 3


class FloodWait(Exception):
    """Telegram asked us to wait longer than a push request should: redeliver later."""


class Pacer:
    """Spaces sends out: `per_chat_s` between two messages to one chat, and an overall rate.

    Holds its lock while sleeping on purpose: sends of this process queue up behind it.
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
        self._last_any = float("-inf")
        self._last_chat: dict[int, float] = {}
        self._lock = threading.Lock()

    def wait(self, chat_id: int) -> None:
        """Block until a message to `chat_id` fits both limits, and count it as sent."""
        with self._lock:
            now = self.clock()
            last_chat = self._last_chat.get(chat_id, float("-inf"))
            ready = max(last_chat + self.per_chat_s, self._last_any + self.gap_s)
            if ready > now:
                self.sleep(ready - now)
                now = ready
            self._last_any = self._last_chat[chat_id] = now
            if len(self._last_chat) > 10_000:  # chats idle for longer than the interval
                self._last_chat = {
                    c: t for c, t in self._last_chat.items() if t > now - self.per_chat_s
                }

    def pause(self, seconds: float) -> None:
        """Flood control hit: nobody in this process sends for `seconds`."""
        with self._lock:
            self.sleep(seconds)


class Sent:
    """Keys of notices this process already sent (bounded): a redelivery sends nothing twice."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._keys

    def add(self, key: str) -> None:
        with self._lock:
            self._keys[key] = None
            while len(self._keys) > self.capacity:
                self._keys.popitem(last=False)


@dataclass
class Sender:
    """Per process: its pacing and its memory of what it sent."""

    pacer: Pacer = field(default_factory=Pacer)
    sent: Sent = field(default_factory=Sent)
    max_wait_s: float = MAX_INLINE_WAIT_S
    attempts: int = ATTEMPTS

    def send(self, bot: Bot, notice: Notice) -> None:
        """sendMessage, paced; waits out a short 429. Raises Blocked (403), FloodWait, or
        BotApiError for anything else (Pub/Sub redelivers)."""
        for attempt in range(1, self.attempts + 1):
            self.pacer.wait(notice.chat_id)
            try:
                bot.call("sendMessage", notice.params())
                return
            except RateLimited as err:
                if err.retry_after > self.max_wait_s or attempt == self.attempts:
                    raise FloodWait(f"retry after {err.retry_after}s") from err
                self.pacer.pause(err.retry_after)
