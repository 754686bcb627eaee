"""Google Cloud adapters for the composition root: Firestore store and read models, Pub/Sub.

Imported only when SOKO_BACKEND=firestore, so memory-backed tests never load the clients.
The store and read models are the REST adapters, which never import google.cloud, unless
SOKO_FIRESTORE_CLIENT=library takes the google-cloud-firestore ones.
"""

from __future__ import annotations

from functions.runtime.ports import EventStore, Publisher, ReadModels
from functions.runtime.pubsub import PubSubPublisher
from functions.runtime.settings import Settings


def google_adapters(settings: Settings) -> tuple[EventStore, Publisher, ReadModels]:
    """Firestore (or its emulator, via FIRESTORE_EMULATOR_HOST) and Pub/Sub over REST."""
    publisher = PubSubPublisher.from_settings(settings)
    if settings.firestore_client == "rest":
        from functions.runtime.firestore_rest import rest_adapters

        rest_store, rest_models = rest_adapters(settings.project())
        return rest_store, publisher, rest_models
    from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client

    db = client(settings.project())
    store = FirestoreEventStore(db)
    return store, publisher, FirestoreReadModels(db, store)
