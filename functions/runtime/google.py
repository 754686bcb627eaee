"""Google Cloud adapters for the composition root: Firestore store and read models, Pub/Sub.

Imported only when SOKO_BACKEND=firestore, so memory-backed tests never load the clients.
"""

from __future__ import annotations

from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client
from functions.runtime.ports import EventStore, Publisher, ReadModels
from functions.runtime.pubsub import PubSubPublisher
from functions.runtime.settings import Settings


def google_adapters(settings: Settings) -> tuple[EventStore, Publisher, ReadModels]:
    """Firestore (or its emulator, via FIRESTORE_EMULATOR_HOST) and Pub/Sub over REST."""
    db = client(settings.project())
    store = FirestoreEventStore(db)
    return store, PubSubPublisher.from_settings(settings), FirestoreReadModels(db, store)
