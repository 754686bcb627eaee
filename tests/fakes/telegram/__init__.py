"""A fake Telegram Bot API server for tests and the local stack (see `fake.FakeTelegram`)."""

from .clock import FakeClock
from .delivery import SECRET_HEADER, Delivery, InvoicePayment
from .fake import DEFAULT_TOKEN, FakeTelegram
from .limits import DEFAULT_PER_CHAT_BURST
from .state import Call, TranscriptEntry

__all__ = [
    "DEFAULT_PER_CHAT_BURST",
    "DEFAULT_TOKEN",
    "SECRET_HEADER",
    "Call",
    "Delivery",
    "FakeClock",
    "FakeTelegram",
    "InvoicePayment",
    "TranscriptEntry",
]
