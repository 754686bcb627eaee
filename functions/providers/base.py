"""What every payment rail provides: start a payment, read a callback, ask for the truth.

Rails are adapters (they speak HTTP to a provider); what they return are plain values the
payment aggregate decides on. A callback is only a hint until it is verified: signed rails
verify the signature, unsigned ones are confirmed with `query` before money moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from events import Money

# What a provider says about a payment, mapped onto our state machine.
Status = Literal["pending", "succeeded", "failed", "expired", "refunded", "partially_paid"]


class RailError(Exception):
    """Base of the rails' errors."""


class ProviderUnavailable(RailError):
    """The provider did not answer or answered 5xx/429 after retries: try again later."""


class ProviderRefused(RailError):
    """The provider refused the request (bad phone number, amount out of its limits)."""


class Unauthorized(RailError):
    """A callback with a wrong or missing signature or path secret: 401, nothing written."""


class BadCallback(RailError):
    """A malformed callback body: 400 with this short reason, nothing written."""


@dataclass(frozen=True)
class PaymentRequest:
    payment_id: str  # ours; sent as the provider's order id where it has one
    user_id: int
    amount: Money
    callback_url: str  # public URL of payment_webhook for this rail (and payment, if needed)
    description: str
    phone: str | None = None  # M-Pesa, mobile money


@dataclass(frozen=True)
class Instructions:
    """What the user is shown after a payment started."""

    kind: Literal["stk_prompt", "qr", "invoice_url"]
    text: str = ""  # e.g. "Check your phone and enter your M-Pesa PIN"
    qr_payload: str | None = None  # the QRIS string to render as a QR image
    url: str | None = None  # an invoice page


@dataclass(frozen=True)
class Started:
    provider_ref: str  # CheckoutRequestID, NOWPayments invoice id, Pakasir order id
    instructions: Instructions
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Report:
    """A provider's statement about one payment, from a callback or a status query."""

    payment_id: str
    status: Status
    provider_ref: str | None = None
    paid: Money | None = None  # what the provider says arrived, when it says
    receipt: str | None = None  # M-Pesa receipt number, tx hash, …
    raw_status: str = ""  # the provider's own word, kept for the audit trail
    # Deduplicates deliveries: `nowpayments:<payment_id>:<status>`, `mpesa:<CheckoutRequestID>`.
    idempotency_key: str = ""
    verified: bool = False  # True when signed (or came from our own status query)
    repeat_deposit: bool = False  # NOWPayments parent_payment_id: hold for an admin


class Rail(Protocol):
    name: str  # the path segment: /payments/<name>/...

    def start(self, request: PaymentRequest) -> Started:
        """Ask the provider to collect; raises ProviderUnavailable or ProviderRefused."""
        ...

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        """Authenticate and parse a callback (`path` is what follows /payments/<name>/).

        Raises Unauthorized (401) or BadCallback (400); never touches the store.
        """
        ...

    def query(self, payment_id: str, provider_ref: str | None, amount: Money) -> Report:
        """Ask the provider for the truth with our own credentials; verified=True."""
        ...

    def acknowledgement(self) -> tuple[object, int]:
        """The body and status the provider expects back for an accepted callback."""
        ...

    def callback_path(self, payment_id: str) -> str:
        """What follows /payments/<name>/ in this payment's callback URL (secrets included)."""
        ...
