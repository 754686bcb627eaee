"""A cold instance's first request, in process: what our code costs before the first answer.

    python -m tests.bench.first_request [--runs 7] [--profile]

Each sample is a fresh interpreter that imports functions-framework (as the framework's
server has before it loads main.py), builds the `telegram_webhook` app from the root
main.py, as deployed, and times its first `/start` on the memory backend, then a second one
(on it the publisher hands each event to the subscribers' projections in process, which a
deployed webhook leaves to Pub/Sub: more work than in the cloud, alike in both variants).
The cold start bench (cold_start.py) measures from process spawn, server and socket
included; this one isolates what the first request adds, and is what `--profile`
(cProfile, sorted by cumulative time) examines.

Two variants, interleaved run by run: as deployed, the first request holding the cyclic
garbage collector (functions/runtime/warmup.py), and with the collector running throughout.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.bench.summary import Figure
from tests.builders import BOT_TOKEN, WEBHOOK_SECRET, text_update

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, os, sys, time
import functions_framework
from functions_framework import create_app

spec = json.loads(sys.argv[1])
if spec["collector_on"]:
    import functions.main
    functions.main.FIRST_REQUEST.begin = lambda: False
profile = None
if spec["profile"]:
    import cProfile
    profile = cProfile.Profile()
    profile.enable()
started = time.perf_counter()
app = create_app(target="telegram_webhook", source="main.py", signature_type="http")
client = app.test_client()
first = client.post("/", json=spec["updates"][0], headers=spec["headers"])
answered = time.perf_counter()
if profile is not None:
    profile.disable()
second = client.post("/", json=spec["updates"][1], headers=spec["headers"])
done = time.perf_counter()
assert first.status_code == second.status_code == 200, (first.status_code, second.status_code)
assert first.get_json()["method"] == "sendMessage", first.get_data()
print(json.dumps({"first_ms": 1000 * (answered - started), "second_ms": 1000 * (done - answered)}))
if profile is not None:
    import pstats
    pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(60)
"""


def _env() -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SOKO_", "PYTEST_"))}
    return kept | {
        "SOKO_BACKEND": "memory",
        "SOKO_BOT_TOKEN": BOT_TOKEN,
        "SOKO_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SOKO_REFERRALS_SECRET": "bench-referrals-secret-0123456789",
        "SOKO_BOT_USERNAME": "soko_bench_bot",  # else the welcome asks getMe for it
        "PYTHONPATH": str(ROOT),
    }


def sample(run: int, *, collector_on: bool, profile: bool = False) -> dict[str, float]:
    """One fresh interpreter's first and second /start, in ms."""
    user = 9_100_000 + 2 * run
    spec = {
        "collector_on": collector_on,
        "profile": profile,
        "updates": [
            text_update("/start", user_id=user, update_id=user),
            text_update("/start", user_id=user + 1, update_id=user + 1),
        ],
        "headers": {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(spec)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the probe failed:\n{done.stderr[-3000:]}")
    if profile:
        print(done.stderr)
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print one run's profile")
    args = parser.parse_args(argv)
    if args.profile:
        sample(0, collector_on=False, profile=True)
        return []
    held: list[dict[str, float]] = []
    running: list[dict[str, float]] = []
    sample(0, collector_on=False)  # warm-up: the OS page cache, discarded
    for run in range(1, args.runs + 1):
        held.append(sample(2 * run, collector_on=False))
        running.append(sample(2 * run + 1, collector_on=True))
    first_held = statistics.median(s["first_ms"] for s in held)
    first_running = statistics.median(s["first_ms"] for s in running)
    second = statistics.median(s["second_ms"] for s in held)
    print(f"first /start in a fresh process, memory backend, median of {args.runs}:")
    print(f"  as deployed (collector held):  {first_held:7.1f} ms")
    print(f"  collector running throughout:  {first_running:7.1f} ms")
    print(f"  the second /start:             {second:7.1f} ms")
    return [
        Figure(
            "first /start in process, collector held",
            first_held,
            "ms",
            "the same, collector running",
            first_running,
        )
    ]


if __name__ == "__main__":
    main()
