"""Google Cloud adapters for the composition root (Firestore store and read models, Pub/Sub)."""

from __future__ import annotations

from functions.runtime.ports import EventStore, Publisher, ReadModels
from functions.runtime.settings import MissingSetting, Settings


def google_adapters(settings: Settings) -> tuple[EventStore, Publisher, ReadModels]:
    """Firestore and Pub/Sub adapters; they arrive with issue #3."""
    raise MissingSetting("SOKO_BACKEND=firestore is not available yet; use SOKO_BACKEND=memory")
