"""Webhook latency on the emulator stack, as a ratio to the one-transaction floor.

Floor: one Firestore emulator transaction that creates one document, from this process.
Measured: POST /start (a new user each time) to the served telegram_webhook, which checks
the idempotency key, loads the stream, appends (read head + one atomic batch), publishes
over REST and marks the events published.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable

import httpx

from infra.local.stack import LocalStack, TelegramLimits
from tests.bench.summary import Figure
from tests.builders import text_update

REQUESTS = 500


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def timed(action: Callable[[int], None], n: int) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        action(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def floor(project: str) -> list[float]:
    from google.cloud import firestore

    db = firestore.Client(project=project)

    @firestore.transactional
    def create_one(tx: firestore.Transaction, i: int) -> None:
        tx.create(db.collection("bench-floor").document(f"doc-{i}"), {"n": i})

    timed(lambda i: create_one(db.transaction(), -1 - i), 50)  # warm up the channel
    return timed(lambda i: create_one(db.transaction(), i), REQUESTS)


def webhook(stack: LocalStack) -> list[float]:
    url = stack.urls["telegram_webhook"]
    headers = {"X-Telegram-Bot-Api-Secret-Token": stack.secrets.webhook_secret}
    with httpx.Client(trust_env=False, timeout=30) as http:

        def start(i: int, base: int = 900_000) -> None:
            update = text_update("/start", user_id=base + i, update_id=base + i)
            response = http.post(url, json=update, headers=headers)
            assert response.status_code == 200, response.text

        timed(lambda i: start(i, base=800_000), 50)  # warm the instance and its clients
        return timed(start, REQUESTS)


def main() -> list[Figure]:
    limits = TelegramLimits(per_chat_per_second=None, global_per_second=None)
    with (
        tempfile.TemporaryDirectory() as logs,
        LocalStack(log_dir=logs, telegram_limits=limits, run_schedules=False) as stack,
    ):
        os.environ["FIRESTORE_EMULATOR_HOST"] = stack.firestore_host
        floor_p50, floor_p99 = percentiles(floor(stack.project))
        hook_p50, hook_p99 = percentiles(webhook(stack))
    print(f"webhook latency on the emulator stack ({REQUESTS} /start, distinct users)")
    rows = [
        ("floor: 1 Firestore transaction creating 1 doc", floor_p50, floor_p99),
        ("telegram_webhook /start", hook_p50, hook_p99),
    ]
    for name, p50, p99 in rows:
        print(f"  {name:<46} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    ratios = f"p50 {hook_p50 / floor_p50:5.2f}x   p99 {hook_p99 / floor_p99:5.2f}x"
    print(f"  {'ratio to floor (targets p50 <= 2x, p99 <= 3x)':<46} {ratios}")
    floor_name = "1 Firestore transaction creating 1 doc"
    return [
        Figure("emulator: telegram_webhook /start p50", hook_p50, "ms", floor_name, floor_p50, 2),
        Figure("emulator: telegram_webhook /start p99", hook_p99, "ms", floor_name, floor_p99, 3),
    ]


if __name__ == "__main__":
    main()
