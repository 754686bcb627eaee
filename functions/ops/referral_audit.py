"""The ledger audit's referral part: every commission traces to exactly one succeeded wallet
deposit of a referee of that referrer, at the rate they were bound under and within their
minimum, cap and window; every reversal to a refund of that deposit; nothing is paid or
taken back twice; a debt is never repaid beyond what was owed; each tier bonus traces to
that commission, at a tier the referrer had reached, and moves like one
(functions/ops/ledger.py runs it)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from events import Money, decode
from events.loyalty import BonusEarned, BonusReversed, TierReached
from events.payments import PaymentRefunded, PaymentSucceeded
from events.referrals import CommissionEarned, CommissionOwed, CommissionReversed, ReferralBound
from events.wallet import WalletCredited, WalletDebited
from functions.domain import loyalty, referrals
from functions.runtime.ports import EventStore

Found = list[tuple[str, str]]  # (stream, what is wrong)
SUCCEEDED = PaymentSucceeded.type_name


@dataclass(frozen=True)
class Owed:
    """What one decision says a referrer's wallet must be paid (or given back)."""

    referrer_id: int
    commission: Money


def commission_problems(
    store: EventStore,
    succeeded: dict[str, PaymentSucceeded],
    refunded: dict[str, PaymentRefunded],
) -> Found:
    earned, reversed_, found = _decided(store, succeeded, refunded)
    paid = {pid: Owed(e.referrer_id, e.commission) for pid, e in earned.items()}
    taken = {pid: Owed(e.referrer_id, e.commission) for pid, e in reversed_.items()}
    bonuses, bonuses_back, wrong = _bonuses(store, earned, reversed_)
    return found + wrong + _moved(store, paid | bonuses, taken | bonuses_back)


def _bonuses(
    store: EventStore,
    earned: dict[str, CommissionEarned],
    reversed_: dict[str, CommissionReversed],
) -> tuple[dict[str, Owed], dict[str, Owed], Found]:
    """Each tier bonus on the commission of that deposit to that referrer, at the tier's
    rate less the commission (by a tier reached before it), and each taken back only with
    its commission. Keyed as they move on the wallet: `bonus:<payment id>`."""
    paid: dict[str, Owed] = {}
    back: dict[str, Owed] = {}
    found: Found = []
    for stream in store.streams("loyalty"):
        reached: set[str] = set()
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, TierReached):
                reached.add(event.tier)
            elif isinstance(event, BonusEarned):
                key = loyalty.BONUS + event.payment_id
                if key in paid:
                    found.append((stream, f"bonus on {event.payment_id} earned twice"))
                paid[key] = Owed(event.user_id, event.bonus)
                found += [(stream, p) for p in _bonus(event, earned.get(event.payment_id), reached)]
            elif isinstance(event, BonusReversed):
                key = loyalty.BONUS + event.payment_id
                if event.payment_id not in reversed_ or paid.get(key) != Owed(
                    event.user_id, event.bonus
                ):
                    found.append((stream, f"bonus on {event.payment_id} reversed without cause"))
                back[key] = Owed(event.user_id, event.bonus)
    return paid, back, found


def _bonus(event: BonusEarned, cause: CommissionEarned | None, reached: set[str]) -> list[str]:
    if cause is None or cause.referrer_id != event.user_id or cause.commission != event.commission:
        return [f"bonus on {event.payment_id} has no commission of that referrer"]
    if event.tier not in reached or event.rate_bp <= cause.rate_bp:
        return [f"bonus on {event.payment_id} at a tier or rate not in force"]
    due = referrals.commission_on(cause.deposit, event.rate_bp).amount - cause.commission.amount
    if event.deposit != cause.deposit or event.bonus.amount != due:
        return [f"bonus on {event.payment_id} is not the tier's rate less the commission"]
    return []


def _decided(
    store: EventStore,
    succeeded: dict[str, PaymentSucceeded],
    refunded: dict[str, PaymentRefunded],
) -> tuple[dict[str, CommissionEarned], dict[str, CommissionReversed], Found]:
    earned: dict[str, CommissionEarned] = {}
    reversed_: dict[str, CommissionReversed] = {}
    found: Found = []
    for stream in store.streams("referral"):
        binding: ReferralBound | None = None
        capped: Counter[str] = Counter()  # commission this referee earned, per currency
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, ReferralBound):
                binding = event
            elif isinstance(event, CommissionEarned):
                if event.payment_id in earned:
                    found.append((stream, f"deposit {event.payment_id} earned twice"))
                earned[event.payment_id] = event
                capped[event.commission.currency] += event.commission.amount
                found += [(stream, p) for p in _earning(event, binding, succeeded)]
                found += [(stream, p) for p in _terms(store, event, binding, capped)]
            elif isinstance(event, CommissionReversed):
                refund = refunded.get(event.payment_id)
                paid = earned.get(event.payment_id)
                if refund is None or refund.purpose != "wallet_deposit":
                    found.append((stream, f"reversal of {event.payment_id} has no refund"))
                if paid is None or paid.commission != event.commission:
                    found.append((stream, f"reversal of {event.payment_id} differs from it"))
                reversed_[event.payment_id] = event
    return earned, reversed_, found


def _earning(
    event: CommissionEarned, binding: ReferralBound | None, succeeded: dict[str, PaymentSucceeded]
) -> list[str]:
    deposit = succeeded.get(event.payment_id)
    if deposit is None or deposit.user_id != event.referee_id or deposit.paid != event.deposit:
        return [f"commission on {event.payment_id} has no succeeded deposit of the referee"]
    if binding is None or (binding.referee_id, binding.referrer_id) != (
        event.referee_id,
        event.referrer_id,
    ):
        return [f"commission on {event.payment_id} for someone who did not invite the payer"]
    floored = referrals.commission_on(event.deposit, binding.terms.rate_bp)
    capped = event.deposit.currency in binding.terms.cap
    amount = event.commission.amount
    if event.rate_bp != binding.terms.rate_bp or amount > floored.amount:
        return [f"commission on {event.payment_id} exceeds the rate in force"]
    if not capped and amount != floored.amount:
        return [f"commission on {event.payment_id} is not floor(rate x deposit)"]
    return []


def _terms(
    store: EventStore,
    event: CommissionEarned,
    binding: ReferralBound | None,
    paid: Counter[str],
) -> list[str]:
    """The optional terms the referee was bound under: a minimum deposit, a cap on what
    they earn their referrer, a window after sign-up."""
    if binding is None:
        return []  # _earning names it
    terms, pid, currency = binding.terms, event.payment_id, event.deposit.currency
    if event.deposit.amount < terms.min_deposit.get(currency, 0):
        return [f"commission on {pid} is for a deposit below the minimum"]
    if paid[currency] > terms.cap.get(currency, paid[currency]):
        return [f"commission on {pid} passes the cap per referee"]
    if terms.window_days is not None:
        ends = binding.at + timedelta(days=terms.window_days)
        when = [e.occurred_at for e in store.load(f"payment-{pid}") if e.type == SUCCEEDED]
        if when and when[0] > ends:
            return [f"commission on {pid} is for a deposit after the window"]
    return []


def _moved(store: EventStore, earned: dict[str, Owed], reversed_: dict[str, Owed]) -> Found:
    found: Found = []
    paid: Counter[str] = Counter()
    taken: dict[str, int] = defaultdict(int)
    for stream in store.streams("wallet"):
        owed: dict[str, int] = defaultdict(int)
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, WalletCredited) and event.reason == "commission":
                pid = event.reference.removeprefix(referrals.COMMISSION)
                paid[pid] += 1
                cause = earned.get(pid)
                if (
                    cause is None
                    or cause.commission != event.amount
                    or _owner(stream) != (cause.referrer_id)
                ):
                    found.append((stream, f"credit {event.reference} has no commission"))
            elif isinstance(event, WalletDebited) and event.reason == "commission_reversal":
                taken[event.reference.removeprefix(referrals.REVERSAL)] += event.amount.amount
            elif isinstance(event, CommissionOwed):
                taken[event.payment_id] += event.owed.amount
                owed[event.owed.currency] += event.owed.amount
            elif isinstance(event, WalletDebited) and event.reason == "commission_debt":
                owed[event.amount.currency] -= event.amount.amount
                if owed[event.amount.currency] < 0:
                    found.append((stream, f"{event.reference} repays more than was owed"))
    found += [(f"payment-{p}", f"commission paid {n} times") for p, n in paid.items() if n > 1]
    found += [(f"payment-{p}", "commission earned but never paid") for p in earned.keys() - paid]
    for pid, reversal in reversed_.items():
        if taken.get(pid, 0) != reversal.commission.amount:
            found.append((f"payment-{pid}", "commission reversed but not taken back in full"))
    for pid in taken.keys() - reversed_.keys():
        found.append((f"payment-{pid}", "commission taken back without a reversal"))
    return found


def _owner(stream: str) -> int:
    return int(stream.split("-", 1)[1])
