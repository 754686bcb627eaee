"""Loyalty's reactors: each fact a user's progress counts, told to their `loyalty-<id>`
stream once (the decider ignores a fact it has counted): a referee joining or a commission
earned or reversed (for the referrer), a wallet deposit succeeding, an order delivered; and
a tier's bonus moved on the referrer's wallet."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from events import Envelope, decode
from events.loyalty import BonusEarned, BonusReversed, Fact
from events.money import Money
from events.payments import PaymentSucceeded
from events.referrals import CommissionEarned, CommissionReversed, RefereeJoined
from events.shop import OrderDelivered
from functions.domain import loyalty, referrals
from functions.reactors.base import Reaction, Reactor

# The programme's tiers, conversion table and badges, read once per instance.
ProgrammeSource = Callable[[], loyalty.Programme]


def _count(
    source: ProgrammeSource,
    user: int,
    fact: Fact,
    key: str,
    earned: Money | None = None,
    decided: CommissionEarned | None = None,
) -> list[Reaction]:
    deposit, rate = (decided.deposit, decided.rate_bp) if decided else (None, None)
    command = loyalty.Count(user, fact, key, source(), earned, deposit, rate)
    return [Reaction(loyalty.loyalty, loyalty.stream_of(user), command)]


def referral_facts(source: ProgrammeSource) -> Callable[[Envelope], Sequence[Reaction]]:
    def react(envelope: Envelope) -> Sequence[Reaction]:
        match decode(envelope):
            case RefereeJoined(referrer_id=referrer, referee_id=referee):
                return _count(source, referrer, "referral", str(referee))
            case CommissionEarned(referrer_id=referrer, payment_id=pid, commission=money) as e:
                return _count(source, referrer, "commission", pid, money, e)
            case CommissionReversed(referrer_id=referrer, payment_id=pid, commission=money):
                return _count(source, referrer, "reversal", pid, money)
            case _:
                return []

    return react


def deposit_facts(source: ProgrammeSource) -> Callable[[Envelope], Sequence[Reaction]]:
    def react(envelope: Envelope) -> Sequence[Reaction]:
        paid = decode(envelope)
        if not isinstance(paid, PaymentSucceeded) or paid.purpose != "wallet_deposit":
            return []
        return _count(source, paid.user_id, "deposit", paid.payment_id)

    return react


def purchase_facts(source: ProgrammeSource) -> Callable[[Envelope], Sequence[Reaction]]:
    def react(envelope: Envelope) -> Sequence[Reaction]:
        delivered = decode(envelope)
        if not isinstance(delivered, OrderDelivered):
            return []
        return _count(source, delivered.user_id, "purchase", envelope.aggregate_id)

    return react


def bonus_moves(envelope: Envelope) -> Sequence[Reaction]:
    """A tier bonus paid, or taken back, on the referrer's wallet exactly as a commission
    is: under `commission:bonus:<payment id>` (functions/domain/referrals.py)."""
    command: referrals.PayCommission | referrals.ReclaimCommission
    match decode(envelope):
        case BonusEarned(user_id=user, payment_id=pid, bonus=money):
            command = referrals.PayCommission(user, loyalty.BONUS + pid, money)
        case BonusReversed(user_id=user, payment_id=pid, bonus=money):
            command = referrals.ReclaimCommission(user, loyalty.BONUS + pid, money)
        case _:
            return []
    return [Reaction(referrals.commission_wallets, f"wallet-{command.user_id}", command)]


move_bonus = Reactor(
    "move-bonus",
    "loyalty",
    bonus_moves,
    frozenset({BonusEarned.type_name, BonusReversed.type_name}),
)


def counters(source: ProgrammeSource) -> tuple[Reactor, ...]:
    """The three reactors, one per category they read."""
    referral_types = (RefereeJoined.type_name, CommissionEarned.type_name)
    return (
        Reactor(
            "count-referrals",
            "referral",
            referral_facts(source),
            frozenset({*referral_types, CommissionReversed.type_name}),
        ),
        Reactor(
            "count-deposits",
            "payment",
            deposit_facts(source),
            frozenset({PaymentSucceeded.type_name}),
        ),
        Reactor(
            "count-purchases",
            "order",
            purchase_facts(source),
            frozenset({OrderDelivered.type_name}),
        ),
    )
