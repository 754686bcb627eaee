"""Soko's language: frozen events with stable type names, the envelope and money.

Pure: importing this package performs no I/O and pulls in no cloud or Telegram code.
Importing the modules below registers every event type in the catalogue.
"""

from events import (
    channels,
    circles,
    coins,
    loyalty,
    ops,
    payments,
    referrals,
    shop,
    tiers,
    users,
    wallet,
)
from events.base import Event
from events.catalog import UnknownEventType, decode, encode, event, registered_types, upcaster
from events.envelope import Envelope
from events.money import Money

__all__ = [
    "Envelope",
    "Event",
    "Money",
    "UnknownEventType",
    "channels",
    "circles",
    "coins",
    "decode",
    "encode",
    "event",
    "loyalty",
    "ops",
    "payments",
    "referrals",
    "registered_types",
    "shop",
    "tiers",
    "upcaster",
    "users",
    "wallet",
]
