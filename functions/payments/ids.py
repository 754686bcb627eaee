"""Our payment ids: 12 hex characters, fitting M-Pesa's AccountReference and every
provider's order id. A payment started by an inbound update takes its id from the update's
idempotency key, so the same update delivered twice names the same payment."""

from __future__ import annotations

import hashlib
import secrets

from functions.runtime.pipeline import Trace


def new_payment_id() -> str:
    return secrets.token_hex(6)


def payment_id_for(trace: Trace) -> str:
    """Derived from the update's key when there is one (a random id otherwise)."""
    key = trace.idempotency_key
    return hashlib.sha256(key.encode()).hexdigest()[:12] if key else new_payment_id()
