"""Core benchmark on the memory adapters: what the pipeline costs over a bare append."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from events import Money
from functions.domain.wallet import Credit, wallets
from functions.projections.balances import balances
from functions.runtime.memory import (
    FixedClock,
    MemoryEventStore,
    MemoryPublisher,
    MemoryReadModels,
    UuidIds,
)
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.state_cache import StateCache
from tests.bench.summary import Figure
from tests.builders import envelope


def per_op(fn: Callable[[int], None], n: int) -> float:
    """Median microseconds per call over 5 runs of n calls."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        runs.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(runs)


def main() -> list[Figure]:
    n = 2000
    kes = Money(amount=100, currency="KES")

    def bare_append(i: int) -> None:
        store = MemoryEventStore()
        event = envelope("wallet-1", 1, _credited(kes, f"p{i}"))
        store.append("wallet-1", 0, [event])

    def pipeline_command(i: int) -> None:
        store = MemoryEventStore()
        pipeline = Pipeline(store, MemoryPublisher(), FixedClock(), UuidIds())
        pipeline.execute(wallets, "wallet-1", Credit(1, kes, "d", f"p{i}"), Trace(f"k{i}"))

    long_store = MemoryEventStore()
    long_pipeline = Pipeline(long_store, MemoryPublisher(), FixedClock(), UuidIds())

    def command_on_growing_stream(i: int) -> None:
        long_pipeline.execute(wallets, "wallet-2", Credit(2, kes, "d", f"q{i}"))

    warm_store = MemoryEventStore()
    warm = Pipeline(warm_store, MemoryPublisher(), FixedClock(), UuidIds(), cache=StateCache())

    def warm_command_on_growing_stream(i: int) -> None:
        warm.execute(wallets, "wallet-4", Credit(4, kes, "d", f"w{i}"))

    store = MemoryEventStore()
    events = [envelope("wallet-3", v, _credited(kes, f"r{v}")) for v in range(1, n + 1)]
    store.append("wallet-3", 0, events)
    models = MemoryReadModels(store)

    def project(i: int) -> None:
        models.apply(balances, events[i % n])

    bare = per_op(bare_append, n)
    rows = [
        ("memory append, 1 event", bare),
        ("pipeline command (load+decide+append+publish)", per_op(pipeline_command, n)),
        ("pipeline command, stream growing to 10k events", per_op(command_on_growing_stream, n)),
        ("...the same with a warm state cache", per_op(warm_command_on_growing_stream, n)),
        ("projection apply (in order, then skips)", per_op(project, n)),
    ]
    print("core (memory adapters)                           us/op   x bare append")
    for name, micros in rows:
        print(f"  {name:<46} {micros:8.1f}   {micros / bare:6.1f}x")
    command = rows[1][1]
    return [
        Figure("memory: pipeline command", command, "us", "memory append, 1 event", bare),
        Figure("memory: warm command, stream growing to 10k", rows[3][1], "us",
               "pipeline command, 1 stream", command),
    ]  # fmt: skip


def _credited(amount: Money, reference: str) -> object:
    from events.wallet import WalletCredited

    return WalletCredited(user_id=1, amount=amount, reason="d", reference=reference)


if __name__ == "__main__":
    main()
