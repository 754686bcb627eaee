"""Cold path of the Firestore adapters: a fresh process from start to its first
`load_latest` answer on the emulator, library client vs REST (median of --runs each).

    python -m tests.bench.firestore_cold [--runs 5] [--host 127.0.0.1:PORT]

Without --host it starts a Firestore emulator of its own. Figures are printed, never
asserted: the machine is shared and noisy, compare the two rows of one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "demo-soko"
CHILD = {
    "library": (
        "from functions.runtime.firestore import FirestoreEventStore, client\n"
        "store = FirestoreEventStore(client({p!r}))\n"
    ),
    "rest": (
        "from functions.runtime.firestore_rest import rest_adapters\n"
        "store, _ = rest_adapters({p!r})\n"
    ),
}
TAIL = (
    "store.load_latest('user-bench', 'fold')\n"
    "import sys; print('google.cloud.firestore' in sys.modules)\n"
)


def cold_ms(kind: str, host: str) -> tuple[float, bool]:
    env = {**os.environ, "FIRESTORE_EMULATOR_HOST": host, "PYTHONPATH": str(ROOT)}
    code = CHILD[kind].format(p=PROJECT) + TAIL
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return (time.perf_counter() - started) * 1000, out.stdout.strip() == "True"


def measure(host: str, runs: int) -> None:
    rows: dict[str, list[float]] = {"library": [], "rest": []}
    loaded: dict[str, bool] = {}
    for _ in range(runs):  # interleaved, so load drift hits both alike
        for kind in rows:
            ms, google = cold_ms(kind, host)
            rows[kind].append(ms)
            loaded[kind] = google
    for kind, times in rows.items():
        print(
            f"{kind:8} start -> first load_latest: median {statistics.median(times):6.0f} ms"
            f"  (min {min(times):.0f}, max {max(times):.0f}; "
            f" google.cloud.firestore imported: {loaded[kind]})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--host")
    args = parser.parse_args()
    if args.host:
        measure(args.host, args.runs)
        return
    from infra.local.emulators import FirestoreEmulator

    with tempfile.TemporaryDirectory() as logs:
        emulator = FirestoreEmulator(Path(logs) / "firestore.log", project=PROJECT, direct=True)
        try:
            emulator.start()
            emulator.wait_ready(60)
            measure(emulator.host, args.runs)
        finally:
            emulator.stop()


if __name__ == "__main__":
    main()
