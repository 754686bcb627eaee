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
from functions.domain.reports import Instructions, Report, Status

__all__ = [
    "DECLINED",
    "NOT_AVAILABLE",
    "BadCallback",
    "Instructions",
    "OutcomeUnknown",
    "PaymentRequest",
    "ProviderRefused",
    "ProviderUnavailable",
    "Rail",
    "RailError",
    "Report",
    "Started",
    "Status",
    "Unauthorized",
]


class RailError(Exception):
    """Base of the rails' errors."""


class ProviderUnavailable(RailError):
    """The provider did not answer or answered 5xx/429 after retries: try again later."""


class OutcomeUnknown(ProviderUnavailable):
    """A request that creates something (an STK push, an invoice) may have reached the
    provider: asking again could charge twice, so it is settled by a query or a callback."""


# What a payer is told when a provider refused and the rail has no better words for it.
DECLINED = (
    "the payment provider declined it. Check what you typed, try another amount, or choose"
    " another way to pay."
)
# A refusal that is ours to fix (credentials, account set-up): nothing the payer can change.
NOT_AVAILABLE = "this way to pay is not available right now. Please choose another one."


class ProviderRefused(RailError):
    """The provider refused the request (bad phone number, amount out of its limits).

    The message is the provider's own words, for the logs and the payment's record; it is
    never shown to the payer, who is told `customer`: a clause a customer can act on
    ("Could not start the payment: <customer>")."""

    def __init__(self, reason: str, customer: str = DECLINED) -> None:
        super().__init__(reason)
        self.customer = customer

    @classmethod
    def plainly(cls, text: str) -> ProviderRefused:
        """A refusal the rail itself worded for the payer (a limit of ours, a bad phone)."""
        return cls(text, customer=text)


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
class Started:
    provider_ref: str  # CheckoutRequestID, NOWPayments invoice id, Pakasir order id
    instructions: Instructions
    expires_at: datetime | None = None


class Rail(Protocol):
    name: str  # the path segment: /payments/<name>/...
    # "payment": the callback URL is /payments/<name>/<payment id>/<token> with a token per
    # payment (functions/payments/callbacks.py), checked before the rail reads the body.
    # "rail": the provider has one webhook URL per account (Pakasir): the rail checks it.
    callback_scope: Literal["payment", "rail"]
    signed: bool  # its callbacks carry a signature the rail verifies (NOWPayments)

    def start(self, request: PaymentRequest) -> Started:
        """Ask the provider to collect; raises ProviderUnavailable or ProviderRefused."""
        ...

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        """Authenticate and parse a callback. `path` is what follows /payments/<name>/ for a
        "rail"-scoped rail, and our payment id (its token already checked) for a "payment"-
        scoped one. Raises Unauthorized (401) or BadCallback (400); never touches the store.
        """
        ...

    def query(self, payment_id: str, provider_ref: str | None, amount: Money) -> Report:
        """Ask the provider for the truth with our own credentials; verified=True."""
        ...

    def acknowledgement(self) -> tuple[object, int]:
        """The body and status the provider expects back for an accepted callback."""
        ...

    def callback_key(self) -> str:
        """For a "payment"-scoped rail: the secret its callback tokens are made with."""
        ...

    def callback_path(self, payment_id: str) -> str:
        """For a "rail"-scoped rail: what follows /payments/<name>/ (its secret included)."""
        ...
