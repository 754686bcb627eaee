"""The ledger audit: replay the store and prove every unit of money is accounted for.

Checks, per currency: every wallet credit of a deposit traces to exactly one succeeded
deposit payment of the same amount; no payment is credited twice; every succeeded deposit
was credited; every debit of a refund (`refund:payment:<id>`) traces to exactly one refunded
deposit of the same user and amount; each wallet's read-model balance equals its credits
minus its debits; no balance is negative; no provider's movement of money (its transfer or
provider reference on a rail) is credited on two payments; every success a provider
confirmed is of the amount the payment asked (anything else is held for an admin); the
shop's money and units add up (functions/ops/shop_audit.py); every referral commission
and its reversal trace to one deposit and its refund (functions/ops/referral_audit.py);
every crypto credit traces to one on-chain output at a recorded rate
(functions/ops/coin_audit.py); every subscription's time and owner's revenue trace to
the money that bought them (functions/ops/channel_audit.py); and every savings circle's
money is on the wallets as decided (functions/ops/circle_audit.py).
`python -m functions.ops.ledger` runs it against the configured store and exits 1 naming
the offending streams.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass

from events import decode
from events.payments import PaymentRefunded, PaymentRequested, PaymentSucceeded
from events.wallet import WalletCredited, WalletDebited
from functions.domain import references
from functions.ops.channel_audit import channel_problems
from functions.ops.circle_audit import circle_problems
from functions.ops.coin_audit import coin_problems
from functions.ops.referral_audit import commission_problems
from functions.ops.shop_audit import oversold, shop_ledger, trace_shop_money, unsettled_refunds
from functions.projections.balances import balance_of
from functions.projections.payments import MANUAL_RAIL
from functions.runtime.ports import EventStore, ReadModels


@dataclass(frozen=True)
class Problem:
    stream: str
    what: str


def audit(store: EventStore, read_models: ReadModels) -> list[Problem]:
    """Every inconsistency found; an empty list means the ledger balances."""
    succeeded, refunded = _deposits(store)
    shop = shop_ledger(store)
    problems: list[Problem] = _payment_problems(store)
    credited: Counter[str] = Counter()
    debited: Counter[str] = Counter()
    for stream in store.streams("wallet"):
        balances: dict[str, int] = defaultdict(int)
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, WalletCredited):
                balances[event.amount.currency] += event.amount.amount
                problems += _trace_credit(stream, event, succeeded, credited)
            elif isinstance(event, WalletDebited):
                balances[event.amount.currency] -= event.amount.amount
                problems += _trace_refund(stream, event, refunded, debited)
            if isinstance(event, WalletCredited | WalletDebited):
                problems += [Problem(stream, p) for p in trace_shop_money(stream, event, shop)]
        problems += _compare_balances(stream, dict(balances), read_models)
    for payment_id, count in credited.items():
        if count > 1:
            problems.append(Problem(f"payment-{payment_id}", f"credited {count} times"))
    for payment_id in succeeded.keys() - credited.keys():
        problems.append(Problem(f"payment-{payment_id}", "succeeded but never credited"))
    for payment_id, count in debited.items():
        if count > 1:
            problems.append(Problem(f"payment-{payment_id}", f"refund debited {count} times"))
    problems += [Problem(where, what) for where, what in unsettled_refunds(shop)]
    problems += [Problem(where, what) for where, what in oversold(store)]
    problems += [Problem(w, what) for w, what in commission_problems(store, succeeded, refunded)]
    problems += [Problem(where, what) for where, what in coin_problems(store, succeeded)]
    problems += [Problem(where, what) for where, what in channel_problems(store)]
    problems += [Problem(where, what) for where, what in circle_problems(store)]
    return problems


def _payment_problems(store: EventStore) -> list[Problem]:
    """A provider's money credited on two payments, or confirmed at another amount."""
    problems: list[Problem] = []
    owners: dict[tuple[str, str], str] = {}
    for stream in store.streams("payment"):
        requested: PaymentRequested | None = None
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, PaymentRequested):
                requested = event
            if not isinstance(event, PaymentSucceeded) or requested is None:
                continue
            if event.source != "admin" and event.paid != requested.amount:
                problems.append(Problem(stream, "a confirmed success differs from the ask"))
            ref = event.transfer_ref or event.provider_ref
            if ref is None or requested.rail == MANUAL_RAIL:
                continue  # a transfer's title is the user's text, not the provider's id
            first = owners.setdefault((requested.rail, ref), stream)
            if first != stream:
                problems.append(Problem(stream, f"{requested.rail} {ref} also paid {first}"))
    return problems


def _deposits(
    store: EventStore,
) -> tuple[dict[str, PaymentSucceeded], dict[str, PaymentRefunded]]:
    """Succeeded wallet deposits, and refunds (their purpose says of what), by payment id."""
    succeeded: dict[str, PaymentSucceeded] = {}
    refunded: dict[str, PaymentRefunded] = {}
    for stream in store.streams("payment"):
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, PaymentSucceeded) and event.purpose == "wallet_deposit":
                succeeded[event.payment_id] = event
            elif isinstance(event, PaymentRefunded) and event.payment_id is not None:
                refunded[event.payment_id] = event  # older refunds did not name their payment
    return succeeded, refunded


def _trace_credit(
    stream: str,
    credit: WalletCredited,
    succeeded: dict[str, PaymentSucceeded],
    credited: Counter[str],
) -> list[Problem]:
    if credit.reason != "deposit":
        return []
    payment_id = credit.reference.removeprefix(references.PAYMENT)
    credited[payment_id] += 1
    payment = succeeded.get(payment_id)
    if payment is None:
        return [Problem(stream, f"credit {credit.reference} has no succeeded payment")]
    if payment.paid != credit.amount or f"wallet-{payment.user_id}" != stream:
        return [Problem(stream, f"credit {credit.reference} differs from its payment")]
    return []


def _trace_refund(
    stream: str,
    debit: WalletDebited,
    refunded: dict[str, PaymentRefunded],
    debited: Counter[str],
) -> list[Problem]:
    # Other debits (orders, …) are checked by their own aggregates; refunds are money out
    # for a deposit, so they must match one.
    payment_id = references.named(debit.reference, references.DEPOSIT_REFUND)
    if payment_id is None:
        return []
    debited[payment_id] += 1
    refund = refunded.get(payment_id)
    if refund is None or refund.purpose != "wallet_deposit":
        return [Problem(stream, f"debit {debit.reference} has no refunded payment")]
    if refund.amount != debit.amount or f"wallet-{refund.user_id}" != stream:
        return [Problem(stream, f"debit {debit.reference} differs from its refund")]
    return []


def _compare_balances(
    stream: str, replayed: dict[str, int], read_models: ReadModels
) -> list[Problem]:
    problems = [Problem(stream, f"negative {c} balance") for c, a in replayed.items() if a < 0]
    view = balance_of(read_models, int(stream.split("-", 1)[1]))
    shown = {money.currency: money.amount for money in view.nonzero()}
    if shown != {c: a for c, a in replayed.items() if a}:
        problems.append(Problem(stream, f"read model shows {shown}, replay gives {replayed}"))
    return problems


def main() -> int:
    from functions.runtime.bootstrap import runtime

    rt = runtime()
    problems = audit(rt.store, rt.read_models)
    for problem in problems:
        print(f"{problem.stream}: {problem.what}", file=sys.stderr)
    print(f"ledger audit: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
