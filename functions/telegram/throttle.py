"""Per-user rate limiting of what users type and tap, before anything is read or written.

A token bucket per user (`SOKO_RATE_PER_MINUTE` refill, `SOKO_RATE_BURST` capacity; unset:
off). A user past it is told once to slow down, and further updates in the same dry spell
are acknowledged silently, so a flood costs no store round trip and no reply per message.

Per process: Telegram sends one chat's updates one at a time, usually to the same warm
instance, but nothing coordinates instances, so a user spread over N instances gets up to N
times the rate. Payments (pre-checkout, successful_payment) and chat updates (join
requests) are never throttled: they are Telegram's, not the user's typing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["ok", "slow_down", "quiet"]
MAX_USERS = 50_000  # users remembered per process; idle full buckets are forgotten first


@dataclass
class _Bucket:
    tokens: float
    at: float
    told: bool = False  # "slow down" said in this dry spell


class Throttle:
    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate_s = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    def admit(self, user_id: int, now: float) -> Verdict:
        """ok: go on; slow_down: refuse and say so; quiet: refuse silently (said already)."""
        with self._lock:
            bucket = self._buckets.get(user_id) or _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate_s)
            bucket.at = now
            self._buckets[user_id] = bucket
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                bucket.told = False
                verdict: Verdict = "ok"
            elif bucket.told:
                verdict = "quiet"
            else:
                bucket.told = True
                verdict = "slow_down"
            if len(self._buckets) > MAX_USERS:
                self._forget_full(now)
            return verdict

    def _forget_full(self, now: float) -> None:
        self._buckets = {
            user: b
            for user, b in self._buckets.items()
            if b.tokens + (now - b.at) * self.rate_s < self.burst
        }
