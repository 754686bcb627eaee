"""Callback URLs that name one payment: /payments/<rail>/<payment id>/<token>.

The token is an HMAC of the rail and our payment id under the rail's callback key, checked
in constant time before the body is read, so a callback URL proves which payment it is
about and leaking one exposes that payment only, never the rail's other payments.

Payments started before tokens existed settle without their callbacks: an M-Pesa callback
on the old `<secret>/<payment id>` path is refused 401, and the reconcile job confirms the
payment by a status query with the CheckoutRequestID we recorded. A signed rail's callback
(NOWPayments) on the old `<payment id>` path is still accepted: its signature authenticates
it, and the payment id in the path must match the signed order id.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from functions.domain.payments import is_payment_id
from functions.providers.base import Rail, RailError, Unauthorized

TOKEN_CHARS = 32  # 128 bits of HMAC-SHA256, hex


def token(key: str, rail: str, payment_id: str) -> str:
    message = f"soko-callback:{rail}:{payment_id}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:TOKEN_CHARS]


def callback_url(base: str, rail: Rail, payment_id: str) -> str:
    """The public URL a provider calls back for this payment."""
    root = f"{base.rstrip('/')}/payments/{rail.name}"
    if rail.callback_scope == "rail":
        return f"{root}/{rail.callback_path(payment_id)}"
    return f"{root}/{payment_id}/{token(rail.callback_key(), rail.name, payment_id)}"


@dataclass(frozen=True)
class Addressed:
    """What a callback's path says: the payment it names (None for a rail-scoped rail)."""

    payment_id: str | None
    rest: str  # what the rail reads: our payment id, or the rail-scoped path


def address(rail: Rail, rest: str) -> Addressed:
    """Check a callback path's token; Unauthorized (401) when it does not name a payment."""
    if rail.callback_scope == "rail":
        return Addressed(None, rest)
    payment_id, _, given = rest.strip("/").partition("/")
    if not is_payment_id(payment_id):
        raise Unauthorized("the callback path names no payment of ours")
    if not given and rail.signed:
        return Addressed(payment_id, payment_id)  # a URL from before tokens; signed body
    try:
        key = rail.callback_key()
    except RailError as err:  # a key that cannot be read authenticates nobody
        raise Unauthorized("callback key unavailable") from err
    expected = token(key, rail.name, payment_id)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("wrong callback token")
    return Addressed(payment_id, payment_id)
