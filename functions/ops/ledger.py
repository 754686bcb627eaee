"""The ledger audit: replay the store and prove every unit of money is accounted for.

Checks, per currency: every wallet credit of a deposit traces to exactly one succeeded
deposit payment of the same amount; no payment is credited twice; every succeeded deposit
was credited; each wallet's read-model balance equals its credits minus its debits; no
balance is negative. `python -m functions.ops.ledger` runs it against the configured
store and exits 1 naming the offending streams.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass

from events import decode
from events.payments import PaymentSucceeded
from events.wallet import WalletCredited, WalletDebited
from functions.runtime.ports import EventStore, ReadModels


@dataclass(frozen=True)
class Problem:
    stream: str
    what: str


def audit(store: EventStore, read_models: ReadModels) -> list[Problem]:
    """Every inconsistency found; an empty list means the ledger balances."""
    succeeded = _succeeded_deposits(store)
    problems: list[Problem] = []
    credited: Counter[str] = Counter()
    for stream in store.streams("wallet"):
        balances: dict[str, int] = defaultdict(int)
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, WalletCredited):
                balances[event.amount.currency] += event.amount.amount
                problems += _trace_credit(stream, event, succeeded, credited)
            elif isinstance(event, WalletDebited):
                balances[event.amount.currency] -= event.amount.amount
        problems += _compare_balances(stream, dict(balances), read_models)
    for payment_id, count in credited.items():
        if count > 1:
            problems.append(Problem(f"payment-{payment_id}", f"credited {count} times"))
    for payment_id in succeeded.keys() - credited.keys():
        problems.append(Problem(f"payment-{payment_id}", "succeeded but never credited"))
    return problems


def _succeeded_deposits(store: EventStore) -> dict[str, PaymentSucceeded]:
    found: dict[str, PaymentSucceeded] = {}
    for stream in store.streams("payment"):
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, PaymentSucceeded) and event.purpose == "wallet_deposit":
                found[event.payment_id] = event
    return found


def _trace_credit(
    stream: str,
    credit: WalletCredited,
    succeeded: dict[str, PaymentSucceeded],
    credited: Counter[str],
) -> list[Problem]:
    if credit.reason != "deposit":
        return []
    payment_id = credit.reference.removeprefix("payment:")
    credited[payment_id] += 1
    payment = succeeded.get(payment_id)
    if payment is None:
        return [Problem(stream, f"credit {credit.reference} has no succeeded payment")]
    if payment.paid != credit.amount or f"wallet-{payment.user_id}" != stream:
        return [Problem(stream, f"credit {credit.reference} differs from its payment")]
    return []


def _compare_balances(
    stream: str, replayed: dict[str, int], read_models: ReadModels
) -> list[Problem]:
    problems = [Problem(stream, f"negative {c} balance") for c, a in replayed.items() if a < 0]
    doc = read_models.get("balances", stream.split("-", 1)[1])
    shown = {c: a for c, a in (doc or {}).get("balances", {}).items() if a}
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
