"""A clock running ahead of the system's by the seconds written in a file: the local stack's
way to move time (the console's /later), so a subscription's expiry can be watched.

Local only: a deployment never sets SOKO_CLOCK_OFFSET_FILE. The file is read on every
`now()` (a few microseconds), so every function process of the stack sees a move at once; a
missing or unreadable file means no offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


class OffsetClock:
    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def offset(self) -> timedelta:
        try:
            return timedelta(seconds=float(self.path.read_text().strip() or 0))
        except (OSError, ValueError):
            return timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    def advance(self, seconds: float) -> timedelta:
        """Move the clock on (the console); returns the offset now."""
        moved = self.offset() + timedelta(seconds=seconds)
        self.path.write_text(f"{moved.total_seconds():.0f}\n")
        return moved
