"""A referee's deposit paying their referrer's commission: time and, on the Firestore emulator,
the reads, writes and RPCs of the two subscriber steps it takes, as cold instances meet them
(no state cache): `earn_commissions` decides the commission on the referee's referral stream,
then `pay_commissions` credits it to the referrer's wallet.

Floor, the least its invariants allow: each step must read the stream it appends to (the
referral's terms, cap, window and the payments it already earned on; the wallet's balance and
the references it already moved), then commit its event with its idempotency key: 2 RPCs a
step, 4 a commission. Published marks are the request's (one write each) and not counted here.

    python -m tests.bench.referral_commission            # both backends
    python -m tests.bench.referral_commission memory     # or just one: memory | emulator
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from events import Envelope, Money
from events.payments import PaymentSucceeded
from events.referrals import CommissionEarned, Terms
from functions.domain import referrals, wallet
from functions.reactors.referrals import earn_commission, move_commission
from functions.runtime.memory import FixedClock, MemoryEventStore, MemoryPublisher, UuidIds
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.reacting import by_category, follow_inline
from tests.bench.flash_sale import Ops, counting_firestore
from tests.bench.long_stream import emulator_store
from tests.bench.summary import Figure
from tests.builders import envelope

DEPOSITS = 20
REFERRER, REFEREE = 7_100_001, 7_100_002
DEPOSIT, RATE_BP = 100_000, 300  # KES 1,000.00 at 3%: KES 30.00 each, floored
MINIMUM_RPCS = 4


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


def bind(pipeline: Pipeline) -> None:
    bound = referrals.Bind(REFEREE, REFERRER, "Bea", Terms(rate_bp=RATE_BP), pipeline.clock.now())
    trace = Trace("bench-bind")
    pipeline.execute(referrals.referrals, referrals.stream_of(REFEREE), bound, trace)


def deposit(n: int) -> Envelope:
    paid = PaymentSucceeded(
        payment_id=f"bench-deposit-{n}",
        user_id=REFEREE,
        purpose="wallet_deposit",
        paid=kes(DEPOSIT),
        source="callback",
    )
    return envelope(f"payment-bench-deposit-{n}", 3, paid)


def cold(store: Any, clock: FixedClock) -> Pipeline:
    """A pipeline as a fresh subscriber instance has it: no state cache."""
    return Pipeline(store, MemoryPublisher(), clock, UuidIds())


def commission(store: Any, clock: FixedClock, n: int) -> None:
    """The two steps, each on its own cold instance, as Pub/Sub delivers them."""
    earned = follow_inline(cold(store, clock), by_category([earn_commission]), [deposit(n)])
    assert [e.type for e in earned] == [CommissionEarned.type_name], earned
    credited = follow_inline(cold(store, clock), by_category([move_commission]), earned)
    assert len(credited) == 1, credited


def measure(store: Any, ops: Ops | None) -> tuple[float, dict[str, float]]:
    clock = FixedClock()
    bind(cold(store, clock))
    samples, before = [], ops.snapshot() if ops else {}
    for n in range(DEPOSITS):
        clock.advance(minutes=1)
        start = time.perf_counter()
        commission(store, clock, n)
        samples.append((time.perf_counter() - start) * 1e3)
    after = ops.snapshot() if ops else {}
    paid = cold(store, clock).current(wallet.wallets, wallet.stream_of(REFERRER))
    assert paid.balance("KES") == kes(DEPOSITS * DEPOSIT * RATE_BP // 10_000), paid
    samples.sort()
    per = {k: (after[k] - before[k]) / DEPOSITS for k in after}
    return samples[len(samples) // 2], per


@contextmanager
def backend(name: str) -> Iterator[tuple[Any, Ops | None]]:
    if name == "memory":
        with nullcontext():
            yield MemoryEventStore(), None
        return
    ops = Ops()
    with emulator_store() as store, counting_firestore(ops):
        yield store, ops


def main(argv: list[str]) -> list[Figure]:
    """Print each backend's figures; return the median time and RPCs per commission."""
    figures = []
    print(f"a referral commission: {DEPOSITS} deposits, each step on a cold instance")
    print(f"  {'backend':<9} {'median ms':>9} {'reads':>6} {'writes':>7} {'RPCs':>5}")
    for name in argv or ["memory", "emulator"]:
        with backend(name) as (store, ops):
            ms, per = measure(store, ops)
        reads, writes, rpcs = (per.get(k, "-") for k in ("reads", "writes", "rpcs"))
        print(f"  {name:<9} {ms:9.1f} {reads!s:>6} {writes!s:>7} {rpcs!s:>5}")
        figures.append(Figure(f"{name}: a referral commission (2 steps)", ms, "ms"))
        if "rpcs" in per:
            minimum = "the minimum for its invariants (2 reads, 2 commits)"
            figures.append(
                Figure(
                    f"{name}: Firestore RPCs per commission",
                    per["rpcs"],
                    "",
                    minimum,
                    MINIMUM_RPCS,
                    1.2,
                )
            )
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
