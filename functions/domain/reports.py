"""What a provider says about a payment, as plain values the payment aggregate decides on.

Part of the pure core: the rails (functions/providers/) produce these, the payment decider
(functions/domain/payments.py) consumes them, and neither side needs the other's imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from events import Money
from events.payments import PaymentInstructions

# What a provider says about a payment, mapped onto our state machine.
Status = Literal["pending", "succeeded", "failed", "expired", "refunded", "partially_paid"]

# What the user is shown after a payment started (kind, text, qr_payload, url); the
# payment's start records it, so a redelivered update shows it again without a provider call.
Instructions = PaymentInstructions


@dataclass(frozen=True)
class Report:
    """A provider's statement about one payment, from a callback or a status query."""

    payment_id: str
    status: Status
    # The reference recorded when the payment started that this report speaks of
    # (CheckoutRequestID, NOWPayments invoice id, Pakasir order id); None if it names none.
    # A report naming another one than ours moves nothing (functions/domain/payments.py).
    provider_ref: str | None = None
    # What arrived, in the payment's currency, valued by the rail's stated rule when the
    # provider reports less (or other) than asked; None when the report does not say.
    paid: Money | None = None
    receipt: str | None = None  # M-Pesa receipt number, tx hash, …
    raw_status: str = ""  # the provider's own word, kept for the audit trail
    # Deduplicates deliveries: `nowpayments:<payment_id>:<status>`, `mpesa:<CheckoutRequestID>`.
    # Scoped to the payment's stream before use (functions/payments/apply.py).
    idempotency_key: str = ""
    verified: bool = False  # True when signed (or came from our own status query)
    repeat_deposit: bool = False  # NOWPayments parent_payment_id: hold for an admin
    # The provider's id of this movement of money, where it differs (a NOWPayments payment
    # id: one invoice may be paid twice; a Stars charge id). Status queries ask about it.
    transfer_ref: str | None = None
