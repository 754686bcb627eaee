"""Sending notices through the Bot API within Telegram's limits, per process.

Telegram allows about 1 message a second per chat and about 30 a second per bot overall.
Nothing coordinates instances, so each process paces itself (`Pacer`: one message a second
to a chat, `PER_PROCESS_PER_SECOND` overall) and the topology caps the `notify` function's
instances so that instances x rate stays under the bot's limit (infra/topology.py; a unit
test checks the product). Pacing each chat at one a second leaves Telegram's short-burst
allowance to the webhook's replies, which go in its response body and cannot retry.

A 429 delays only its chat, by exactly `retry_after`, and is waited out here while the waits
of one notice stay within `MAX_INLINE_WAIT_S`; past that FloodWait makes Pub/Sub redeliver
the event later instead of holding the push request open. Notices already sent are
remembered (`Sent`), so the redelivery sends only the rest.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from functions.notifications.notice import Notice
from functions.telegram.bot_api import (
    ATTEMPTS,
    MAX_INLINE_WAIT_S,
    PER_PROCESS_PER_SECOND,
    Bot,
    FloodWait,
    Pacer,
    send_paced,
)

TELEGRAM_PER_SECOND = 30  # Telegram's overall limit for one bot

__all__ = ["PER_PROCESS_PER_SECOND", "TELEGRAM_PER_SECOND", "FloodWait", "Pacer", "Sender", "Sent"]


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
        """sendMessage, paced; waits out short 429s. Raises Blocked (403), FloodWait, or
        BotApiError for anything else (Pub/Sub redelivers)."""
        send_paced(
            bot,
            self.pacer,
            "sendMessage",
            notice.params(),
            max_wait_s=self.max_wait_s,
            attempts=self.attempts,
        )
