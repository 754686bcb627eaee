"""What the rails of one runtime share with every instance of the deployment: the OAuth
tokens (functions/providers/token_cache.py) and the per-minute call quotas (quota.py), both
on Firestore when deployed (through the REST or the library adapter, as the store) and in
memory otherwise, made once per runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from functions.providers.pace import Gate, Gates, Pacer
from functions.providers.quota import MemoryQuotaStore, Quota, QuotaStore, RestQuotaStore
from functions.providers.token_cache import MemoryTokenCache, RestTokenCache, TokenCache
from functions.runtime.firestore_rest import FirestoreRest

if TYPE_CHECKING:
    from functions.providers.spec import PacedRailSettings
    from functions.runtime.bootstrap import Runtime


@dataclass(frozen=True)
class ProviderShared:
    tokens: TokenCache
    quotas: QuotaStore


def provider_shared(backend: str, project: str, firestore_client: str) -> ProviderShared:
    """The shared state on this backend, through the Firestore adapter the store uses
    ("rest" or "library"); its one client is made here, and connects on first use."""
    if backend != "firestore":
        return ProviderShared(MemoryTokenCache(), MemoryQuotaStore())
    if firestore_client == "rest":
        rest = FirestoreRest.for_project(project)
        return ProviderShared(RestTokenCache(rest), RestQuotaStore(rest))
    from google.cloud import firestore  # imported here: the import is slow

    from functions.providers.quota import FirestoreQuotaStore
    from functions.providers.token_cache import FirestoreTokenCache

    db = firestore.Client(project=project)
    return ProviderShared(FirestoreTokenCache(db), FirestoreQuotaStore(db))


def gate(rt: Runtime, rail: str, settings: PacedRailSettings) -> Gate:
    """What a rail's calls wait at: the deployment's quota, then this instance's pace."""
    quota = Quota(rt.providers().quotas, rail, settings.calls_per_minute, rt.clock.now)
    return Gates(quota, Pacer(settings.calls_per_second))
