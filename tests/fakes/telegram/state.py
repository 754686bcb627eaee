"""Everything the fake Telegram remembers, behind one lock.

The HTTP server is threaded and the webhook a bot runs may call back into the fake while a
delivery is in flight, so every read and write of shared state goes through `lock`.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from . import objects
from .chats import Chats
from .clock import Clock
from .limits import DEFAULT_PER_CHAT_BURST, ChatId, FloodControl
from .wire import JsonDict

SENT_KINDS = frozenset({"message", "photo", "document", "invoice"})


@dataclass(frozen=True)
class Call:
    """One Bot API request as the fake answered it."""

    method: str
    params: JsonDict
    at: float
    status: int
    response: JsonDict
    files: tuple[str, ...] = ()
    via_webhook_response: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200

    def to_json(self) -> JsonDict:
        return {**asdict(self), "files": list(self.files)}


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of a chat as its user would see it."""

    sender: str  # "user" or "bot"
    kind: str  # user: text, button; bot: message, photo, document, invoice, edit, answer
    text: str
    at: float
    message_id: int | None = None
    buttons: tuple[str, ...] = ()  # "label [callback_data]" or "label <url>"

    def line(self) -> str:
        shown = f"({self.kind}) {self.text}" if self.kind not in ("text", "message") else self.text
        suffix = f"  {' | '.join(self.buttons)}" if self.buttons else ""
        return f"{self.sender}: {shown}{suffix}"

    def to_json(self) -> JsonDict:
        return {**asdict(self), "buttons": list(self.buttons), "line": self.line()}


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] = field(default_factory=list)
    last_error_date: int | None = None
    last_error_message: str | None = None

    def info(self) -> JsonDict:
        info: JsonDict = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": 0,
            "max_connections": self.max_connections,
            "ip_address": "127.0.0.1",
        }
        if self.allowed_updates:
            info["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info


@dataclass(frozen=True)
class OpenQuery:
    """A callback or pre-checkout query delivered to the bot and not yet answered."""

    chat_id: ChatId
    expires_at: float | None = None


@dataclass(frozen=True)
class Invoice:
    """An invoice the bot sent, as the payer's client knows it."""

    payload: str
    currency: str
    total_amount: int


@dataclass(frozen=True)
class Limits:
    per_chat_per_second: int | None = 1
    global_per_second: int | None = 30
    per_group_per_minute: int | None = 20
    per_chat_burst: int = DEFAULT_PER_CHAT_BURST


def chat_key(chat_id: Any) -> ChatId:
    """Chat ids arrive as 42, "42" or "@name"; compare and store them one way."""
    if isinstance(chat_id, int) and not isinstance(chat_id, bool):
        return chat_id
    text = str(chat_id).strip()
    try:
        return int(text)
    except ValueError:
        return text


class TelegramState:
    """Bot identity, chats, messages, calls and webhook; guard every use with `lock`."""

    def __init__(self, token: str, bot_username: str, clock: Clock, limits: Limits) -> None:
        self.lock = threading.RLock()
        self.token = token
        self.clock = clock
        self.limits = limits
        self.bot_id = _bot_id_from_token(token)
        self.bot_username = bot_username
        self.bot_first_name = "Soko Test Bot"
        self.webhook: Webhook | None = None
        # update_id keeps growing across reset(): bots drop repeats by update_id.
        self._update_ids = itertools.count(100_000_001)
        self._sequence = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Forget calls, chats and limits; keep the webhook so a running stack stays wired."""
        with self.lock:
            self.calls: list[Call] = []
            self.transcripts: dict[ChatId, list[TranscriptEntry]] = {}
            self.messages: dict[tuple[ChatId, int], JsonDict] = {}
            self.last_message_id: dict[ChatId, int] = {}
            self.users: dict[int, JsonDict] = {}
            self.blocked: set[ChatId] = set()
            self.open_queries: dict[str, OpenQuery] = {}
            self.pre_checkout_answers: dict[str, bool] = {}
            # Chats where the bot asked with force_reply: the message the next text answers.
            self.awaiting_reply: dict[ChatId, int] = {}
            # What each invoice message asks for (its payload is not part of the message).
            self.invoices: dict[tuple[ChatId, int], Invoice] = {}
            self.charges: dict[str, int] = {}  # telegram_payment_charge_id -> payer
            self.refunded: set[str] = set()
            self.chats = Chats()  # channels and groups the bot administers
            self.invoice_links: dict[str, Invoice] = {}  # createInvoiceLink, by slug
            self.flood = FloodControl(
                self.clock,
                self.limits.per_chat_per_second,
                self.limits.global_per_second,
                self.limits.per_group_per_minute,
                self.limits.per_chat_burst,
            )

    # -- identity and time ------------------------------------------------------------------

    def bot(self) -> JsonDict:
        return objects.bot_user(self.bot_id, self.bot_username, self.bot_first_name)

    def now(self) -> int:
        return int(self.clock())

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def unique(self, prefix: str) -> str:
        return f"{prefix}{self.bot_id}{next(self._sequence):08d}"

    def numbering(self) -> tuple[int, int]:
        """The next update_id and the next `unique` number, for `continue_numbering`."""
        with self.lock:
            update_id, sequence = next(self._update_ids), next(self._sequence)
            self._update_ids, self._sequence = itertools.count(update_id), itertools.count(sequence)
            return update_id, sequence

    def continue_numbering(self, update_id: int, sequence: int) -> None:
        """Number on from an earlier run's `numbering()` (kept data: make dev KEEP=1). The bot
        drops an update whose `tg:<bot id>:<update_id>` it has stored, and derives payment ids
        from it; numbering afresh with the same token would swallow new messages."""
        with self.lock:
            ours = self.numbering()
            self._update_ids = itertools.count(max(update_id, ours[0]))
            self._sequence = itertools.count(max(sequence, ours[1]))

    # -- chats and messages -----------------------------------------------------------------

    def chat(self, chat_id: ChatId) -> JsonDict:
        user = self.users.get(chat_id) if isinstance(chat_id, int) else None
        return objects.chat_object(chat_id, user)

    def new_message(self, chat_id: ChatId, sender: JsonDict, content: JsonDict) -> JsonDict:
        # Message ids count up per chat, shared by both sides, as in a private chat.
        message_id = self.last_message_id.get(chat_id, 0) + 1
        self.last_message_id[chat_id] = message_id
        msg = objects.message(message_id, self.now(), self.chat(chat_id), sender, content)
        self.messages[(chat_id, message_id)] = msg
        return msg

    def find_message(self, chat_id: ChatId, message_id: int) -> JsonDict | None:
        return self.messages.get((chat_id, message_id))

    def note(self, chat_id: ChatId, entry: TranscriptEntry) -> None:
        self.transcripts.setdefault(chat_id, []).append(entry)

    def note_bot(self, chat_id: ChatId, kind: str, text: str, msg: JsonDict | None) -> None:
        message_id = msg["message_id"] if msg is not None else None
        markup = msg.get("reply_markup") if msg is not None else None
        buttons = tuple(_button_label(b) for b in objects.inline_buttons(markup))
        self.note(chat_id, TranscriptEntry("bot", kind, text, self.clock(), message_id, buttons))

    # -- recording and queries --------------------------------------------------------------

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def find_calls(self, method: str | None, chat_id: Any) -> list[Call]:
        wanted = None if chat_id is None else chat_key(chat_id)
        with self.lock:
            return [
                call
                for call in self.calls
                if (method is None or call.method.lower() == method.lower())
                and (wanted is None or _call_chat(call) == wanted)
            ]

    def transcript(self, chat_id: Any) -> list[TranscriptEntry]:
        with self.lock:
            return list(self.transcripts.get(chat_key(chat_id), []))

    def messages_to(self, chat_id: Any) -> list[str]:
        entries = self.transcript(chat_id)
        return [e.text for e in entries if e.sender == "bot" and e.kind in SENT_KINDS]


def _call_chat(call: Call) -> ChatId | None:
    value = call.params.get("chat_id", call.params.get("user_id"))
    return None if value is None else chat_key(value)


def _button_label(button: JsonDict) -> str:
    label = str(button.get("text", ""))
    if "callback_data" in button:
        return f"{label} [{button['callback_data']}]"
    if "url" in button:
        return f"{label} <{button['url']}>"
    return label


def _bot_id_from_token(token: str) -> int:
    # A real token starts with the bot's user id: "123456:ABC...".
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 1_000_000_001
