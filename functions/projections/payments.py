"""`payments/{payment id}`: where each payment stands, for /history and the payment jobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events import Envelope, decode
from events.payments import (
    PaymentExpired,
    PaymentFailed,
    PaymentHeldForReview,
    PaymentRefunded,
    PaymentRequested,
    PaymentStarted,
    PaymentStartFailed,
    PaymentSucceeded,
)
from functions.projections.base import Doc, Projection

STATES: dict[type, str] = {
    PaymentStarted: "pending",
    PaymentStartFailed: "failed",
    PaymentFailed: "failed",
    PaymentSucceeded: "succeeded",
    PaymentExpired: "expired",
    PaymentRefunded: "refunded",
    PaymentHeldForReview: "held",
}


def project(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    current: Doc = dict(doc) if doc else {}
    event = decode(envelope)
    if isinstance(event, PaymentRequested):
        current |= {
            "payment_id": event.payment_id,
            "user_id": event.user_id,
            "purpose": event.purpose,
            "amount": event.amount.model_dump(),
            "rail": event.rail,
            "state": "requested",
            "requested_at": envelope.occurred_at,
        }
    if isinstance(event, PaymentStarted):
        current |= {"provider_ref": event.provider_ref, "expires_at": event.expires_at}
    if isinstance(event, PaymentSucceeded):
        current["paid"] = event.paid.model_dump()
    if type(event) in STATES:
        current |= {"state": STATES[type(event)], "updated_at": envelope.occurred_at}
    return current


payments_view = Projection(
    name="payments", collection="payments", category="payment", project=project
)
