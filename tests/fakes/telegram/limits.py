"""Flood control the way Telegram documents it for bots sending messages.

The Bot FAQ ("My bot is hitting limits"): in one chat, avoid more than one message a second;
"we may allow short bursts that go over this limit, but eventually you'll begin receiving
429 errors"; about 30 messages a second overall; 20 a minute in a group. Editing a message
counts against the chat's limit too (tdlib/telegram-bot-api#648, from Telegram's side);
answering a callback query does not. Beyond a limit Telegram answers 429 with `retry_after`
in whole seconds.

So a chat's limit is a token bucket: one message a second sustained, with a burst of
`per_chat_burst`. Telegram names no burst size ("even approximate limits are unknown",
tdlib/telegram-bot-api#736); 3 is our assumption, small on purpose. A bot that paces its own
sends to a chat at one a second never needs the burst; the burst is what lets a reply in the
webhook's response body follow a notice closely, as it does on Telegram. `per_chat_burst=1`
is the strictest reading (no burst at all), for tests that prove a sender paces itself.
Every limit is optional so tests of other components can relax or disable them.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from .clock import Clock

ChatId = int | str
DEFAULT_PER_CHAT_BURST = 3


def _whole_seconds(wait: float) -> int:
    # Telegram reports whole seconds, at least one.
    return max(1, math.ceil(wait - 1e-9))


@dataclass
class SlidingWindow:
    """At most `limit` events per `seconds`, tracked separately for each key."""

    limit: int
    seconds: float
    _events: dict[ChatId, deque[float]] = field(default_factory=dict)

    def retry_after(self, key: ChatId, now: float) -> int | None:
        """Whole seconds to wait before another event for `key` fits, or None if it fits now."""
        events = self._events.get(key)
        if events is None:
            return None
        while events and events[0] <= now - self.seconds:
            events.popleft()
        if len(events) < self.limit:
            return None
        return _whole_seconds(events[0] + self.seconds - now)

    def record(self, key: ChatId, now: float) -> None:
        self._events.setdefault(key, deque()).append(now)


@dataclass
class TokenBucket:
    """`rate` events a second sustained and up to `burst` at once, separately for each key."""

    rate: float
    burst: int
    _tokens: dict[ChatId, tuple[float, float]] = field(default_factory=dict)  # (tokens, at)

    def _level(self, key: ChatId, now: float) -> float:
        tokens, at = self._tokens.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def retry_after(self, key: ChatId, now: float) -> int | None:
        level = self._level(key, now)
        if level >= 1.0:
            return None
        return _whole_seconds((1.0 - level) / self.rate)

    def record(self, key: ChatId, now: float) -> None:
        self._tokens[key] = (self._level(key, now) - 1.0, now)


Window = SlidingWindow | TokenBucket
_GLOBAL = "*"


class FloodControl:
    """Combines the per-chat, per-group and global limits; not thread-safe on its own."""

    def __init__(
        self,
        clock: Clock,
        per_chat_per_second: int | None,
        global_per_second: int | None,
        per_group_per_minute: int | None,
        per_chat_burst: int = DEFAULT_PER_CHAT_BURST,
    ) -> None:
        if per_chat_burst < 1:
            raise ValueError("per_chat_burst must be at least 1")
        self._clock = clock
        self._per_chat = (
            TokenBucket(per_chat_per_second, per_chat_burst) if per_chat_per_second else None
        )
        self._global = _window(global_per_second, 1.0)
        self._per_group = _window(per_group_per_minute, 60.0)

    def admit(self, chat_id: ChatId) -> int | None:
        """Count a message (or an edit) to `chat_id`; return `retry_after` instead if a limit
        is hit. A refused message is not counted, so waiting `retry_after` is always enough."""
        now = self._clock()
        windows = self._windows_for(chat_id)
        waits = [w.retry_after(key, now) for w, key in windows]
        refused = [wait for wait in waits if wait is not None]
        if refused:
            return max(refused)
        for window, key in windows:
            window.record(key, now)
        return None

    def _windows_for(self, chat_id: ChatId) -> list[tuple[Window, ChatId]]:
        candidates: list[tuple[Window | None, ChatId]] = [
            (self._per_chat, chat_id),
            (self._global, _GLOBAL),
        ]
        if _is_group(chat_id):
            candidates.append((self._per_group, chat_id))
        return [(window, key) for window, key in candidates if window is not None]


def _window(limit: int | None, seconds: float) -> SlidingWindow | None:
    return SlidingWindow(limit, seconds) if limit else None


def _is_group(chat_id: ChatId) -> bool:
    # Negative ids are groups, supergroups and channels; "@name" is a public group or channel.
    return isinstance(chat_id, str) or chat_id < 0
