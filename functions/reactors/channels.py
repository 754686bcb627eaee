"""Paid channels' reactors: money that bought a plan becomes subscription time, and each
subscription payment goes to its owner's revenue ledger less the platform's fee.

Both ways to pay carry the purchase (functions/domain/subscriptions.Purchase): a wallet
debit `subscription:<nonce>:<purchase>`, or a payment of purpose `subscription` whose
subject is the purchase (Stars, or any rail). Time counts from when the money moved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from events import Envelope, decode
from events.channels import SubscriptionPaid
from events.payments import PaymentSucceeded
from events.wallet import WalletDebited
from functions.domain import references, revenue, subscriptions
from functions.domain.subscriptions import Pay, Purchase
from functions.reactors.base import Reaction, Reactor

FeeSource = Callable[[], int]  # the platform fee in basis points, read once per instance


def _pay(user_id: int, purchase: Purchase, pay: Pay) -> Reaction:
    stream = subscriptions.stream_of(purchase.chat_id, user_id)
    return Reaction(subscriptions.subscriptions, stream, pay)


def on_debit(envelope: Envelope) -> Sequence[Reaction]:
    debited = decode(envelope)
    if not isinstance(debited, WalletDebited):
        return []
    purchase = subscriptions.purchase_in(debited.reference)
    if purchase is None:
        return []
    pay = Pay(debited.user_id, purchase, debited.amount, debited.reference, "wallet",
              envelope.occurred_at)  # fmt: skip
    return [_pay(debited.user_id, purchase, pay)]


def on_payment(envelope: Envelope) -> Sequence[Reaction]:
    paid = decode(envelope)
    if not isinstance(paid, PaymentSucceeded) or paid.purpose != "subscription":
        return []
    purchase = Purchase.read(paid.subject or "")
    if purchase is None:
        return []
    reference = references.payment(paid.payment_id)
    pay = Pay(paid.user_id, purchase, paid.paid, reference, "payment", envelope.occurred_at)
    return [_pay(paid.user_id, purchase, pay)]


def earner(fee_bp: FeeSource) -> Callable[[Envelope], Sequence[Reaction]]:
    def react(envelope: Envelope) -> Sequence[Reaction]:
        paid = decode(envelope)
        if not isinstance(paid, SubscriptionPaid):
            return []
        earn = revenue.Earn(
            owner_id=paid.owner_id, chat_id=paid.chat_id, buyer_id=paid.user_id,
            reference=paid.reference, kind="subscription", gross=paid.paid, fee_bp=fee_bp(),
        )  # fmt: skip
        return [Reaction(revenue.revenues, revenue.stream_of(paid.owner_id), earn)]

    return react


def donor(fee_bp: FeeSource) -> Callable[[Envelope], Sequence[Reaction]]:
    """A donation from the wallet or on a payment goes to the owner's ledger, once."""

    def react(envelope: Envelope) -> Sequence[Reaction]:
        event = decode(envelope)
        if isinstance(event, WalletDebited):
            gift, reference = revenue.gift_in(event.reference), event.reference
            buyer, gross = event.user_id, event.amount
        elif isinstance(event, PaymentSucceeded) and event.purpose == "donation":
            gift, reference = (
                revenue.Gift.read(event.subject or ""),
                references.payment(event.payment_id),
            )
            buyer, gross = event.user_id, event.paid
        else:
            return []
        if gift is None:
            return []
        earn = revenue.Earn(gift.owner_id, gift.chat_id, buyer, reference, "donation", gross,
                            fee_bp())  # fmt: skip
        return [Reaction(revenue.revenues, revenue.stream_of(gift.owner_id), earn)]

    return react


subscribe_on_debit = Reactor(
    "subscribe-on-debit", "wallet", on_debit, frozenset({WalletDebited.type_name}), True
)
subscribe_on_payment = Reactor(
    "subscribe-on-payment", "payment", on_payment, frozenset({PaymentSucceeded.type_name})
)


def earn_revenue(fee_bp: FeeSource) -> Reactor:
    return Reactor(
        "earn-revenue", "subscription", earner(fee_bp), frozenset({SubscriptionPaid.type_name})
    )


def donations(fee_bp: FeeSource) -> tuple[Reactor, Reactor]:
    """The donation reactors, one per category it reads (a reactor reads one)."""
    react = donor(fee_bp)
    return (
        Reactor("donate-on-debit", "wallet", react, frozenset({WalletDebited.type_name})),
        Reactor("donate-on-payment", "payment", react, frozenset({PaymentSucceeded.type_name})),
    )
