"""`payments/{payment id}`: where each payment stands, for /history and the payment jobs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from events import Envelope, Money, decode
from events.payments import (
    PaymentExpired,
    PaymentFailed,
    PaymentHeldForReview,
    PaymentReferenceLearnt,
    PaymentRefunded,
    PaymentRequested,
    PaymentStarted,
    PaymentStartFailed,
    PaymentStartUnknown,
    PaymentSucceeded,
)
from functions.projections.base import Doc, Projection, oldest_first

if TYPE_CHECKING:  # the port, for its type only: the core imports no adapter
    from functions.runtime.ports import ReadModels

MANUAL_RAIL = "manual"  # transfers an admin confirms by hand (functions/telegram/manual.py)

STATES: dict[type, str] = {
    PaymentStarted: "pending",
    PaymentStartUnknown: "pending",
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
        if event.repeat_of is not None:
            current["repeat_of"] = event.repeat_of
    if isinstance(event, PaymentStarted):
        current |= {"provider_ref": event.provider_ref, "expires_at": event.expires_at}
    if isinstance(event, PaymentStartUnknown):
        current |= {"expires_at": event.expires_at}
    if isinstance(event, PaymentReferenceLearnt):
        current["transfer_ref"] = event.transfer_ref
    if isinstance(event, PaymentSucceeded):
        current["paid"] = event.paid.model_dump()
        if event.transfer_ref is not None:
            current["transfer_ref"] = event.transfer_ref
    if isinstance(event, PaymentHeldForReview):
        current |= {
            "hold_reason": event.reason,
            "arrived": _dumped(event.paid),
            # The provider's id of the held money, so an admin can check it is not another
            # payment's (an unconfirmed reference) before approving.
            "held_ref": event.transfer_ref or event.provider_ref,
        }
        if event.transfer_ref is not None:
            current["transfer_ref"] = event.transfer_ref
    if type(event) in STATES:
        current |= {"state": STATES[type(event)], "updated_at": envelope.occurred_at}
    # One equality field for the admins' /held list (held, or a manual transfer to check),
    # so the query needs no composite index and old settled payments never crowd it.
    current["needs_admin"] = current.get("state") == "held" or (
        current.get("rail") == MANUAL_RAIL and current.get("state") in {"requested", "pending"}
    )
    # Times the payment jobs query by (find_due), set only while the payment is open, so a
    # settled payment never takes a place in a job's batch.
    is_open = current.get("state") == "pending"  # the provider has it: it can be asked
    current["open_since"] = current.get("requested_at") if is_open else None
    current["open_until"] = current.get("expires_at") if is_open else None
    return current


def _dumped(money: Money | None) -> dict[str, Any] | None:
    return money.model_dump() if money is not None else None


payments_view = Projection(
    name="payments", collection="payments", category="payment", project=project
)


# -- the typed view: what readers get instead of the stored document ------------------------


class PaymentView(BaseModel):
    """One payment as /history, /held and the payment jobs see it. Fields a payment learns
    later (or that older documents never recorded) are None until then."""

    model_config = ConfigDict(frozen=True)

    payment_id: str
    user_id: int
    purpose: str
    amount: Money
    rail: str
    state: str
    requested_at: datetime | None = None
    updated_at: datetime | None = None
    provider_ref: str | None = None
    transfer_ref: str | None = None
    expires_at: datetime | None = None
    paid: Money | None = None
    repeat_of: str | None = None
    hold_reason: str | None = None
    arrived: Money | None = None  # what a held payment brought; None: unknown
    held_ref: str | None = None


def payments_of(read_models: ReadModels, user_id: int, limit: int = 100) -> list[PaymentView]:
    """Up to `limit` of the user's payments, newest first."""
    docs = read_models.find(payments_view.collection, "user_id", user_id, limit)
    return oldest_first([_view(d) for d in docs], _requested)[::-1]


def awaiting_admin(read_models: ReadModels, limit: int) -> list[PaymentView]:
    """Held payments and manual transfers to check, oldest first."""
    docs = read_models.find(payments_view.collection, "needs_admin", True, limit)
    return oldest_first([_view(d) for d in docs], _requested)


def pending_since(read_models: ReadModels, cutoff: datetime, limit: int) -> list[PaymentView]:
    """Up to `limit` pending payments requested at or before `cutoff`, oldest first."""
    docs = read_models.find_due(payments_view.collection, "open_since", cutoff, limit)
    return [_view(d) for d in docs]


def pending_until(read_models: ReadModels, cutoff: datetime, limit: int) -> list[PaymentView]:
    """Up to `limit` pending payments whose deadline is at or before `cutoff`, soonest first."""
    docs = read_models.find_due(payments_view.collection, "open_until", cutoff, limit)
    return [_view(d) for d in docs]


def _view(doc: Mapping[str, Any]) -> PaymentView:
    return PaymentView.model_validate(doc)


def _requested(payment: PaymentView) -> datetime | None:
    return payment.requested_at
