"""A succeeded wallet deposit credits the wallet, once, under the payment's reference."""

from __future__ import annotations

from collections.abc import Sequence

from events import Envelope, decode
from events.payments import PaymentSucceeded
from functions.domain import references, wallet
from functions.reactors.base import Reaction, Reactor


def react(envelope: Envelope) -> Sequence[Reaction]:
    event = decode(envelope)
    if not isinstance(event, PaymentSucceeded) or event.purpose != "wallet_deposit":
        return []
    credit = wallet.Credit(
        user_id=event.user_id,
        amount=event.paid,
        reason="deposit",
        # One payment moves money once: the wallet refuses a reference it has seen.
        reference=references.payment(event.payment_id),
    )
    return [Reaction(wallet.wallets, wallet.stream_of(event.user_id), credit)]


credit_deposit = Reactor(
    name="credit-deposit",
    category="payment",
    react=react,
    reacts_to=frozenset({PaymentSucceeded.type_name}),
)
