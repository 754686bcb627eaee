"""Flood control the way Telegram applies it to bots sending messages.

Telegram allows about 1 message a second per chat, about 30 a second overall and 20 a minute
per group; beyond that it answers 429 with `retry_after`. Every limit is optional so tests of
other components can relax or disable them.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from .clock import Clock

ChatId = int | str


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
        # Telegram always reports at least one second.
        return max(1, math.ceil(events[0] + self.seconds - now))

    def record(self, key: ChatId, now: float) -> None:
        self._events.setdefault(key, deque()).append(now)


_GLOBAL = "*"


class FloodControl:
    """Combines the per-chat, per-group and global windows; not thread-safe on its own."""

    def __init__(
        self,
        clock: Clock,
        per_chat_per_second: int | None,
        global_per_second: int | None,
        per_group_per_minute: int | None,
    ) -> None:
        self._clock = clock
        self._per_chat = _window(per_chat_per_second, 1.0)
        self._global = _window(global_per_second, 1.0)
        self._per_group = _window(per_group_per_minute, 60.0)

    def admit(self, chat_id: ChatId) -> int | None:
        """Count a message to `chat_id`; return `retry_after` instead if a limit is hit.

        A refused message is not counted, so waiting `retry_after` is always enough.
        """
        now = self._clock()
        windows = self._windows_for(chat_id)
        waits = [w.retry_after(key, now) for w, key in windows]
        refused = [wait for wait in waits if wait is not None]
        if refused:
            return max(refused)
        for window, key in windows:
            window.record(key, now)
        return None

    def _windows_for(self, chat_id: ChatId) -> list[tuple[SlidingWindow, ChatId]]:
        candidates = [(self._per_chat, chat_id), (self._global, _GLOBAL)]
        if _is_group(chat_id):
            candidates.append((self._per_group, chat_id))
        return [(window, key) for window, key in candidates if window is not None]


def _window(limit: int | None, seconds: float) -> SlidingWindow | None:
    return SlidingWindow(limit, seconds) if limit else None


def _is_group(chat_id: ChatId) -> bool:
    # Negative ids are groups, supergroups and channels; "@name" is a public group or channel.
    return isinstance(chat_id, str) or chat_id < 0
