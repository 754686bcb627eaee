"""Referrals: codes, the `referral-<user id>` aggregate, and the commission's wallet moves.

Money rules (docs/architecture.md, "Referrals"): a commission is floor(deposit * rate_bp /
10000) in the deposit's own currency and minor units; it is decided once per deposit on the
referee's stream (which knows their referrer and the terms they were bound under) and paid
once on the referrer's wallet under `commission:<payment id>`. A refund takes it back:
debited while the referrer holds it, the rest recorded as owed and netted from later
commissions, so no balance goes below zero.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from events import Event, Money
from events.referrals import (
    CommissionEarned,
    CommissionOwed,
    CommissionReversed,
    RefereeJoined,
    ReferralBound,
    RefundSeen,
    Terms,
)
from events.wallet import WalletCredited, WalletDebited
from functions.domain import wallet
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import Snapshots

COMMISSION = "commission:"
REVERSAL = "reversal:commission:"
DEBT = "debt:commission:"
BASIS = 10_000


def stream_of(user_id: int) -> str:
    return f"referral-{user_id}"


# -- codes: `<user id in base 36>-<tag>`, the tag an HMAC of the id under a secret ----------
# Stable (a function of the id), unguessable without the secret (40 bits of tag), and
# resolvable without a lookup or scan: the id is read back and its tag checked.

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = _DIGITS[digit] + out
        if number == 0:
            return out


def _tag(user_id: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), str(user_id).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode().lower()


def code_of(user_id: int, secret: str) -> str:
    return f"{_base36(user_id)}-{_tag(user_id, secret)}"


def resolve(code: str, secret: str) -> int | None:
    """The user a code belongs to, or None for a code this secret never made."""
    head, _, tag = code.lower().partition("-")
    if not head or len(head) > 14 or any(c not in _DIGITS for c in head):
        return None
    user_id = int(head, 36)
    return user_id if hmac.compare_digest(tag, _tag(user_id, secret)) else None


# -- the referral-<user id> aggregate -------------------------------------------------------


@dataclass(frozen=True)
class Referral:
    referee_id: int | None = None  # this stream's user, once bound
    referrer_id: int | None = None
    terms: Terms | None = None
    bound_at: datetime | None = None
    referees: frozenset[int] = frozenset()
    earned: dict[str, Money] = field(default_factory=dict)  # by payment id
    reversed: frozenset[str] = frozenset()
    refunds_seen: frozenset[str] = frozenset()
    paid: dict[str, int] = field(default_factory=dict)  # commission per currency, for caps


@dataclass(frozen=True)
class Bind:
    referee_id: int
    referrer_id: int
    referee_name: str
    terms: Terms
    at: datetime


@dataclass(frozen=True)
class AddReferee:
    referrer_id: int
    referee_id: int
    referee_name: str


@dataclass(frozen=True)
class Earn:
    payment_id: str
    referee_id: int
    deposit: Money
    at: datetime


@dataclass(frozen=True)
class Reverse:
    payment_id: str


class SelfReferral(DomainError):
    code = "self_referral"


class ReferralCycle(DomainError):
    code = "referral_cycle"


ReferralCommand = Bind | AddReferee | Earn | Reverse


def decide(state: Referral, command: ReferralCommand) -> Sequence[Event]:
    match command:
        case Bind():
            return _bind(state, command)
        case AddReferee():
            if command.referee_id in state.referees or command.referee_id == command.referrer_id:
                return []
            return [RefereeJoined(**vars(command))]
        case Earn():
            return _earn(state, command)
        case Reverse():
            return _reverse(state, command.payment_id)


def _bind(state: Referral, command: Bind) -> Sequence[Event]:
    if command.referee_id == command.referrer_id:
        raise SelfReferral("you cannot invite yourself")
    if command.referrer_id in state.referees:
        raise ReferralCycle("your referrer is someone you invited")
    if state.referrer_id is not None:
        return []  # bound once, at the first registration; never re-bound
    return [
        ReferralBound(
            referee_id=command.referee_id,
            referrer_id=command.referrer_id,
            referee_name=command.referee_name,
            terms=command.terms,
            at=command.at,
        )
    ]


def commission_on(deposit: Money, rate_bp: int) -> Money:
    """floor(deposit * rate): the referrer never gets a fraction of a minor unit."""
    return Money(amount=deposit.amount * rate_bp // BASIS, currency=deposit.currency)


def _earn(state: Referral, command: Earn) -> Sequence[Event]:
    terms, pid = state.terms, command.payment_id
    if state.referrer_id is None or terms is None or state.bound_at is None:
        return []  # nobody invited this user: their deposits earn nobody anything
    if pid in state.earned or pid in state.refunds_seen:
        return []
    deposit = command.deposit
    if deposit.amount < terms.min_deposit.get(deposit.currency, 0):
        return []
    if terms.window_days and command.at > state.bound_at + timedelta(days=terms.window_days):
        return []
    amount = commission_on(deposit, terms.rate_bp).amount
    cap = terms.cap.get(deposit.currency)
    if cap is not None:
        amount = min(amount, cap - state.paid.get(deposit.currency, 0))
    if amount <= 0:
        return []
    return [
        CommissionEarned(
            payment_id=pid,
            referee_id=command.referee_id,
            referrer_id=state.referrer_id,
            deposit=deposit,
            rate_bp=terms.rate_bp,
            commission=Money(amount=amount, currency=deposit.currency),
        )
    ]


def _reverse(state: Referral, payment_id: str) -> Sequence[Event]:
    if state.referrer_id is None or state.referee_id is None or payment_id in state.reversed:
        return []
    earned = state.earned.get(payment_id)
    if earned is None:
        # Refunded before (or without) earning: a late success must not pay for it.
        seen = payment_id in state.refunds_seen
        return [] if seen else [RefundSeen(payment_id=payment_id)]
    return [
        CommissionReversed(
            payment_id=payment_id,
            referee_id=state.referee_id,
            referrer_id=state.referrer_id,
            commission=earned,
        )
    ]


def evolve(state: Referral, event: Event) -> Referral:
    match event:
        case ReferralBound():
            return replace(
                state,
                referee_id=event.referee_id,
                referrer_id=event.referrer_id,
                terms=event.terms,
                bound_at=event.at,
            )
        case RefereeJoined(referee_id=referee):
            return replace(state, referees=state.referees | {referee})
        case CommissionEarned(payment_id=pid, commission=money):
            paid = dict(state.paid)
            paid[money.currency] = paid.get(money.currency, 0) + money.amount
            return replace(state, earned={**state.earned, pid: money}, paid=paid)
        case CommissionReversed(payment_id=pid):
            return replace(state, reversed=state.reversed | {pid})
        case RefundSeen(payment_id=pid):
            return replace(state, refunds_seen=state.refunds_seen | {pid})
        case _:
            return state


referrals: Decider[Referral, ReferralCommand] = Decider(
    initial=Referral(), evolve=evolve, decide=decide, snapshots=Snapshots(Referral, evolve)
)


# -- the referrer's wallet: paying and reclaiming commission atomically with the debt -------


@dataclass(frozen=True)
class PayCommission:
    user_id: int
    payment_id: str
    commission: Money


@dataclass(frozen=True)
class ReclaimCommission:
    user_id: int
    payment_id: str
    commission: Money


def decide_wallet(
    state: wallet.Wallet, command: PayCommission | ReclaimCommission
) -> Sequence[Event]:
    pid, money, user = command.payment_id, command.commission, command.user_id
    currency = money.currency
    if isinstance(command, PayCommission):
        if state.has_moved(COMMISSION + pid):
            return []
        paid: list[Event] = [
            WalletCredited(
                user_id=user, amount=money, reason="commission", reference=COMMISSION + pid
            )
        ]
        netted = min(state.owed.get(currency, 0), money.amount)
        if netted > 0:  # credited first, so the debit never takes the balance below zero
            paid.append(_debit(user, netted, currency, wallet.DEBT_REASON, DEBT + pid))
        return paid
    if state.has_moved(wallet.OWED + pid) or state.has_moved(REVERSAL + pid):
        return []
    taken = min(state.available(currency).amount, money.amount)  # never held money
    reclaimed: list[Event] = []
    if taken > 0:
        reclaimed.append(_debit(user, taken, currency, "commission_reversal", REVERSAL + pid))
    if money.amount - taken > 0:
        owed = Money(amount=money.amount - taken, currency=currency)
        reclaimed.append(CommissionOwed(user_id=user, payment_id=pid, owed=owed))
    return reclaimed


def _debit(user: int, amount: int, currency: str, reason: str, reference: str) -> Event:
    money = Money(amount=amount, currency=currency)
    return WalletDebited(user_id=user, amount=money, reason=reason, reference=reference)


# The wallet's own state, fold and snapshots: a commission reads one document.
commission_wallets: Decider[wallet.Wallet, PayCommission | ReclaimCommission] = Decider(
    initial=wallet.Wallet(),
    evolve=wallet.evolve,
    decide=decide_wallet,
    snapshots=wallet.wallets.snapshots,
)
