"""A refunded wallet deposit leaves the wallet again, once, under the refund's reference."""

from __future__ import annotations

from collections.abc import Sequence

from events import Envelope, decode
from events.payments import PaymentRefunded
from functions.domain import references, wallet
from functions.reactors.base import Reaction, Reactor


def react(envelope: Envelope) -> Sequence[Reaction]:
    event = decode(envelope)
    if not isinstance(event, PaymentRefunded) or event.purpose != "wallet_deposit":
        return []
    if event.payment_id is None or event.user_id is None or event.amount is None:
        return []  # recorded before refunds said who and how much: nothing to decide on
    debit = wallet.Debit(
        user_id=event.user_id,
        amount=event.amount,
        reason="refund",
        # The wallet refuses a reference it has seen: a refund moves money out once.
        reference=references.deposit_refund(event.payment_id),
    )
    return [Reaction(wallet.wallets, wallet.stream_of(event.user_id), debit)]


debit_refund = Reactor(
    name="debit-refund",
    category="payment",
    react=react,
    reacts_to=frozenset({PaymentRefunded.type_name}),
)
