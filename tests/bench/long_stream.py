"""A command on a stream grown to 10k events, cold instance, against a 10-event stream.

"Cold instance" is a pipeline without a state cache, so everything it knows comes from the
store: before snapshots it folded the whole stream, now it reads the head's snapshot and the
events after it. The floor is the same command on a stream of 10 events, in the same run.
Both streams are filled directly (in batches), then one command on each is run untimed: on a
store that keeps snapshots that first command writes one, as the first command after a
deploy would. Measured on the memory adapters and on the Firestore emulator (the publisher
is the memory one: publishing is measured elsewhere).

    python -m tests.bench.long_stream            # both backends
    python -m tests.bench.long_stream memory     # or just one: memory | emulator
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from events import Money
from events.wallet import WalletCredited
from functions.domain.wallet import Credit, wallets
from functions.runtime.memory import FixedClock, MemoryEventStore, MemoryPublisher, UuidIds
from functions.runtime.pipeline import Pipeline
from tests.bench.summary import Figure
from tests.builders import envelope

LONG, SHORT = 10_000, 10
KES = Money(amount=1, currency="KES")
BATCH = 400  # events per filling append: under Firestore's per-commit limits


def fill(store: Any, stream: str, events: int) -> None:
    """`events - 1` credits appended directly, then one cold command: `events` in all."""
    made = [
        envelope(stream, v, WalletCredited(user_id=1, amount=KES, reason="d", reference=f"f{v}"))
        for v in range(1, events)
    ]
    for start in range(0, len(made), BATCH):
        store.append(stream, start, made[start : start + BATCH])
    cold_command(store, stream, "warm-up")


def cold_command(store: Any, stream: str, reference: str) -> float:
    """Milliseconds for one credit decided by a fresh pipeline (no state cache)."""
    pipeline = Pipeline(store, MemoryPublisher(), FixedClock(), UuidIds())
    start = time.perf_counter()
    pipeline.execute(wallets, stream, Credit(1, KES, "d", reference))
    return (time.perf_counter() - start) * 1e3


def measure(store: Any, samples: int) -> tuple[float, float]:
    """(median ms on a 10-event stream, median ms on a 10k-event stream)."""
    shorts = [f"wallet-{100 + n}" for n in range(samples)]
    for stream in shorts:
        fill(store, stream, SHORT)
    fill(store, "wallet-1", LONG)
    short = [cold_command(store, stream, "timed") for stream in shorts]
    long = [cold_command(store, "wallet-1", f"timed-{n}") for n in range(samples)]
    return statistics.median(short), statistics.median(long)


@contextmanager
def emulator_store() -> Iterator[Any]:
    from infra.local.emulators import running_emulators

    with (
        tempfile.TemporaryDirectory() as logs,
        running_emulators(logs, "bench-long-stream", direct=True) as (firestore, _pubsub),
    ):
        os.environ["FIRESTORE_EMULATOR_HOST"] = firestore.host
        from functions.runtime.firestore import FirestoreEventStore, client

        yield FirestoreEventStore(client("bench-long-stream"))


def main(argv: list[str]) -> list[Figure]:
    backends = argv or ["memory", "emulator"]
    figures = []
    print("a command on a stream grown to 10k events, cold instance (median ms)")
    print(f"  {'backend':<10} {'10 events':>10} {'10k events':>11} {'ratio':>7}  target <= 2x")
    for backend in backends:
        if backend == "memory":
            short, long = measure(MemoryEventStore(), samples=100)
        else:
            with emulator_store() as store:
                short, long = measure(store, samples=20)
        print(f"  {backend:<10} {short:10.2f} {long:11.2f} {long / short:6.2f}x")
        figures.append(
            Figure(f"{backend}: cold command, 10k-event stream", long, "ms",
                   "the same on a 10-event stream", short, 2.0)
        )  # fmt: skip
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
