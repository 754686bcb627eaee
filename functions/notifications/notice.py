"""What a notification is: one Telegram message, maybe with inline buttons, and the facts
a rule may know beyond its event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from functions import texts
from functions.domain.circle_state import Circle
from functions.domain.payments import Payment


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback_data, at most 64 bytes


@dataclass(frozen=True)
class Notice:
    """One Telegram message. In a private chat, chat_id is the user's id."""

    chat_id: int
    text: str  # HTML
    keyboard: tuple[tuple[Button, ...], ...] = ()

    def params(self) -> dict[str, Any]:
        """The sendMessage parameters."""
        params: dict[str, Any] = {"chat_id": self.chat_id, "text": self.text, "parse_mode": "HTML"}
        if self.keyboard:
            params["reply_markup"] = inline_keyboard(self.keyboard)
        return params


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> dict[str, Any]:
    """A reply_markup of inline buttons."""
    return {
        "inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in r] for r in rows]
    }


@dataclass(frozen=True)
class Facts:
    """What a rule may know beyond the event, read by the dispatcher before the rules run."""

    admin_ids: frozenset[int] = frozenset()
    payment: Payment | None = None  # for payment events: the payment as of this event
    payer_name: str = ""  # the payment's user's first name, when registered
    rail_label: str = ""  # the payment's provider rail as users know it ("M-Pesa")
    circle: Circle | None = None  # for circle events: the circle as of this event
    # The language of each chat the rules address (the dispatcher reads the recipients'
    # user streams, which it reads anyway to skip a chat that blocked the bot).
    languages: Mapping[int, str] = field(default_factory=dict)

    def language_of(self, chat_id: int) -> str:
        """The language to tell `chat_id` in: the user's own, English when not known."""
        return self.languages.get(chat_id, texts.FALLBACK)
