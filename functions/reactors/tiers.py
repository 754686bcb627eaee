"""Owner tiers' reactors: a tier's wallet debit, or its succeeded rail payment (purpose
`tier`, subject the tier's name), buys it; a circle that ends or is cancelled frees its
owner's slot."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from events import Envelope, decode
from events.circles import CircleCancelled, CircleEnded
from events.payments import PaymentSucceeded
from events.tiers import Limits
from events.wallet import WalletDebited
from functions.domain import references, tiers, wallet
from functions.domain.circle_payments import CREDIT_REASON
from functions.reactors.base import Reaction, Reactor

TIER = "circle_tier"
# The tiers on sale and their limits, read once per instance (functions/contexts/circles.py).
TierSource = Callable[[], Mapping[str, Limits]]


def tier_reference(owner_id: int, tier: str, tag: str) -> str:
    return f"circle-tier:{owner_id}:{tier}:{tag}"


def buyer(source: TierSource) -> Callable[[Envelope], Sequence[Reaction]]:
    def react(envelope: Envelope) -> Sequence[Reaction]:
        paid = decode(envelope)
        if not isinstance(paid, WalletDebited) or paid.reason != TIER:
            return []
        head, _, rest = paid.reference.partition(":")
        parts = rest.split(":")
        limits = source().get(parts[1]) if head == "circle-tier" and len(parts) == 3 else None
        if limits is None:
            return []  # not a tier we sell (any more): the debit stands as a payment, logged
        buy = tiers.Buy(
            paid.user_id, parts[1], limits, paid.amount, paid.reference, envelope.occurred_at
        )
        return [Reaction(tiers.tiers, tiers.stream_of(paid.user_id), buy)]

    return react


def rail_buyer(source: TierSource) -> Callable[[Envelope], Sequence[Reaction]]:
    """Only a verified success reaches here (`payment.succeeded`): the tier is in force at
    once, under the payment's reference, so a redelivery buys nothing more."""

    def react(envelope: Envelope) -> Sequence[Reaction]:
        paid = decode(envelope)
        if not isinstance(paid, PaymentSucceeded) or paid.purpose != "tier":
            return []
        reference, name = references.payment(paid.payment_id), paid.subject or ""
        limits = source().get(name)
        if limits is None:  # taken off sale meanwhile: the money goes to the owner's wallet
            credit = wallet.Credit(paid.user_id, paid.paid, CREDIT_REASON, reference)
            return [Reaction(wallet.wallets, wallet.stream_of(paid.user_id), credit)]
        buy = tiers.Buy(paid.user_id, name, limits, paid.paid, reference, envelope.occurred_at)
        return [Reaction(tiers.tiers, tiers.stream_of(paid.user_id), buy)]

    return react


def freed(envelope: Envelope) -> Sequence[Reaction]:
    event = decode(envelope)
    if isinstance(event, CircleCancelled):
        owner = event.by
    elif isinstance(event, CircleEnded):
        owner = event.owner_id
    else:
        return []
    free = tiers.FreeSlot(envelope.aggregate_id)
    return [Reaction(tiers.tiers, tiers.stream_of(owner), free)]


def buy_tier(source: TierSource) -> Reactor:
    return Reactor("buy-tier", "wallet", buyer(source), frozenset({WalletDebited.type_name}))


def buy_tier_on_rail(source: TierSource) -> Reactor:
    return Reactor(
        "buy-tier-on-rail", "payment", rail_buyer(source), frozenset({PaymentSucceeded.type_name})
    )


free_tier_slot = Reactor(
    "free-tier-slot",
    "circle",
    freed,
    frozenset({CircleCancelled.type_name, CircleEnded.type_name}),
)
