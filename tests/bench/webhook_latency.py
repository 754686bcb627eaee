"""Webhook latency on the emulator stack, as a ratio to floors measured in the same run.

Measured: POST /start (a new user each time) to the served telegram_webhook, which reads the
idempotency key and the stream's head in one batchGet, appends in one commit, publishes over
REST and marks the events published in one more commit. Twice:

- with the stack's subscribers at work: each /start's events are pushed to them, and on a
  2-core machine their work competes with the webhook for the CPU (in the cloud they run on
  instances of their own);
- alone: every push subscription is turned into a pull one first, so the same publishes
  land on the same topics and nothing else runs.

Floors, from this process against the same emulators:
- the issue's: one Firestore transaction that creates one document;
- the request's own: the four round trips /start cannot do without (the batchGet, the
  commit creating the event, its head and the key, the publish, the commit marking the event
  published), made bare one after another; their sum is the least a /start can take here.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable

import httpx

from functions.runtime.topics import topic_for
from infra.local.pubsub_admin import list_subscriptions, stop_pushing
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


def required_round_trips(project: str, pubsub_host: str) -> list[float]:
    """The sum, per /start, of the four round trips it needs, each made bare."""
    from google.cloud import firestore

    db = firestore.Client(project=project)
    topic = f"http://{pubsub_host}/v1/projects/{project}/topics/{topic_for('user-0')}:publish"
    message = {"messages": [{"data": "e30=", "attributes": {"type": "bench"}, "orderingKey": "s"}]}
    with httpx.Client(trust_env=False, timeout=30) as http:

        def start(i: int) -> None:
            head = db.collection("bench-streams").document(f"user-{i}")
            key = db.collection("bench-keys").document(f"tg-update:{i}")
            event = head.collection("events").document("0000000001")
            list(db.get_all([key, head]))
            batch = db.batch()
            batch.create(head, {"version": 1})
            batch.create(event, {"envelope": "{}" * 200, "version": 1, "published": False})
            batch.create(key, {"stream": f"user-{i}", "versions": [1]})
            batch.commit()
            http.post(topic, json=message).raise_for_status()
            marks = db.batch()
            marks.update(event, {"published": True})
            marks.commit()

        timed(lambda i: start(-1 - i), 50)  # warm up the channel and the connection
        return timed(start, REQUESTS)


def webhook(stack: LocalStack, base: int) -> list[float]:
    url = stack.urls["telegram_webhook"]
    headers = {"X-Telegram-Bot-Api-Secret-Token": stack.secrets.webhook_secret}
    with httpx.Client(trust_env=False, timeout=30) as http:

        def start(i: int) -> None:
            update = text_update("/start", user_id=base + i, update_id=base + i)
            response = http.post(url, json=update, headers=headers)
            assert response.status_code == 200, response.text

        timed(lambda i: start(REQUESTS + i), 50)  # warm the instance and its clients
        return timed(start, REQUESTS)


def stop_every_push(stack: LocalStack) -> None:
    for name in list_subscriptions(stack.pubsub_host, stack.project):
        stop_pushing(stack.pubsub_host, stack.project, name)
    time.sleep(5)  # what was pushed before finishes


def main() -> list[Figure]:
    limits = TelegramLimits(per_chat_per_second=None, global_per_second=None)
    with (
        tempfile.TemporaryDirectory() as logs,
        LocalStack(log_dir=logs, telegram_limits=limits, run_schedules=False) as stack,
    ):
        os.environ["FIRESTORE_EMULATOR_HOST"] = stack.firestore_host
        one_tx = percentiles(floor(stack.project))
        busy = percentiles(webhook(stack, base=900_000))
        stop_every_push(stack)
        needed = percentiles(required_round_trips(stack.project, stack.pubsub_host))
        alone = percentiles(webhook(stack, base=1_900_000))
    print(f"webhook latency on the emulator stack ({REQUESTS} /start, distinct users)")
    rows = [
        ("floor: 1 Firestore transaction creating 1 doc", one_tx),
        ("floor: its 4 round trips (read, commit, publish, mark)", needed),
        ("telegram_webhook /start, subscribers at work", busy),
        ("telegram_webhook /start, alone", alone),
    ]
    for name, (p50, p99) in rows:
        print(f"  {name:<54} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    for name, (p50, p99) in rows[:2]:
        ratios = f"p50 {alone[0] / p50:5.2f}x   p99 {alone[1] / p99:5.2f}x"
        print(f"  {'alone, to ' + name.removeprefix('floor: '):<54} {ratios}")
    one, four = "1 Firestore transaction creating 1 doc", "its 4 round trips, each bare"
    return [
        Figure("emulator: /start alone p50", alone[0], "ms", one, one_tx[0], 2),
        Figure("emulator: /start alone p99", alone[1], "ms", one, one_tx[1], 3),
        Figure("emulator: /start alone p50", alone[0], "ms", four, needed[0], 2),
        Figure("emulator: /start alone p99", alone[1], "ms", four, needed[1], 3),
        Figure("emulator: /start, subscribers at work, p50", busy[0], "ms"),
    ]


if __name__ == "__main__":
    main()
