"""Closing a round of a 50-member savings circle: time and, on the Firestore emulator, its
reads and writes (counted at the client's RPCs, as flash_sale.py does).

Round 1 is set up with 45 of 50 members paid; the timed step is the close-rounds job's
decision at the deadline and the reactions it sets off, inline as the job runs them: five
deposits seized (a capture on each defaulter's wallet), the pot credited, round 2 opened.
Then the early close: the 50th contribution of round 2, which closes it and pays its pot.

    python -m tests.bench.circle_round            # both backends
    python -m tests.bench.circle_round memory     # or just one: memory | emulator
"""

from __future__ import annotations

import sys
import time
from typing import Any

from events import Money
from functions.domain import circles, wallet
from functions.reactors.circles import (
    CIRCLE_REACTORS,
    CONTRIBUTION,
    DEPOSIT,
    contribution_reference,
    deposit_reference,
)
from functions.runtime.memory import FixedClock, MemoryEventStore, MemoryPublisher, UuidIds
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.reacting import by_category, follow_inline
from tests.bench.flash_sale import Ops, counting_firestore
from tests.bench.long_stream import emulator_store
from tests.bench.summary import Figure

MEMBERS, DEFAULTERS, C = 50, 5, 1000
CIRCLE = "bench50"


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


def run(pipeline: Pipeline, decider: Any, stream: str, command: object, key: str) -> None:
    appended = pipeline.execute(decider, stream, command, Trace(key, key, stream))
    follow_inline(pipeline, by_category(CIRCLE_REACTORS), appended.events)


def set_up(pipeline: Pipeline) -> None:
    stream = circles.stream_of(CIRCLE)
    create = circles.Create(
        CIRCLE, 1, "Bench", kes(C), "week", 1, MEMBERS, "random", pipeline.clock.now()
    )
    run(pipeline, circles.circles, stream, create, "create")
    for user in range(1, MEMBERS + 1):
        credit = wallet.Credit(user, kes(10 * C), "test_top_up", f"top-up:{user}")
        run(pipeline, wallet.wallets, wallet.stream_of(user), credit, f"top-up:{user}")
        hold = wallet.Hold(user, kes(C), DEPOSIT, deposit_reference(CIRCLE, user, "j"))
        run(pipeline, wallet.wallets, wallet.stream_of(user), hold, f"join:{user}")
    for user in range(DEFAULTERS + 1, MEMBERS + 1):
        pay(pipeline, user, 1)


def pay(pipeline: Pipeline, user: int, round_: int) -> None:
    reference = contribution_reference(CIRCLE, round_, user)
    debit = wallet.Debit(user, kes(C), CONTRIBUTION, reference)
    run(pipeline, wallet.wallets, wallet.stream_of(user), debit, reference)


def timed(pipeline: Pipeline, step: Any, ops: Ops | None) -> tuple[float, dict[str, int]]:
    before = ops.snapshot() if ops else {}
    start = time.perf_counter()
    step()
    elapsed = (time.perf_counter() - start) * 1e3
    after = ops.snapshot() if ops else {}
    return elapsed, {k: after[k] - before[k] for k in after}


def measure(store: Any, ops: Ops | None) -> list[tuple[str, float, dict[str, int]]]:
    clock = FixedClock()
    pipeline = Pipeline(store, MemoryPublisher(), clock, UuidIds())
    set_up(pipeline)
    clock.advance(days=8)
    close = circles.CloseRound(1, clock.now())
    stream = circles.stream_of(CIRCLE)
    deadline = timed(
        pipeline, lambda: run(pipeline, circles.circles, stream, close, "close-1"), ops
    )
    for user in range(1, MEMBERS):
        pay(pipeline, user, 2)
    early = timed(pipeline, lambda: pay(pipeline, MEMBERS, 2), ops)
    state = pipeline.current(circles.circles, stream)
    assert state.round == 3, state.round  # both rounds closed
    return [
        (f"deadline close ({DEFAULTERS} defaults)", *deadline),
        ("early close (the 50th payment)", *early),
    ]


def main(argv: list[str]) -> list[Figure]:
    """Print each backend's steps; return the deadline close's time and Firestore RPCs."""
    backends = argv or ["memory", "emulator"]
    figures = []
    print(f"closing a round of a {MEMBERS}-member circle (one run, no state cache)")
    print(f"  {'backend':<9} {'step':<34} {'ms':>8} {'reads':>6} {'writes':>7} {'RPCs':>5}")
    for backend in backends:
        if backend == "memory":
            rows = measure(MemoryEventStore(), None)
        else:
            ops = Ops()
            with emulator_store() as store, counting_firestore(ops):
                rows = measure(store, ops)
        for step, ms, counts in rows:
            reads, writes, rpcs = [counts.get(k, "-") for k in ("reads", "writes", "rpcs")]
            print(f"  {backend:<9} {step:<34} {ms:8.1f} {reads:>6} {writes:>7} {rpcs:>5}")
        _, ms, counts = rows[0]  # the deadline close: the step the job pays for
        figures.append(Figure(f"{backend}: close a {MEMBERS}-member circle's round", ms, "ms"))
        if "rpcs" in counts:
            figures.append(Figure(f"{backend}: Firestore RPCs per round close", counts["rpcs"], ""))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
