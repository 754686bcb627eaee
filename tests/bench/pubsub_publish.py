"""Pub/Sub publish cost on the emulator: google-cloud-pubsub client vs REST.

    python tests/bench/pubsub_publish.py [--n 300] [--runs 5] [--host 127.0.0.1:PORT]

Every path keeps the publish contract: JSON body, attributes ``type`` and ``stream``,
ordering key = stream, and the call returns only once the server acknowledged the message
(message id known). Figures are printed, never asserted; the machine is shared and noisy,
so compare ratios rather than absolute numbers.

(a) import cost in fresh processes (median of --runs): timed inside the process around the
    import, plus ``python -c "import X"`` wall time minus ``python -c pass``;
(b) warm latency of one publish (p50/p99 over --n each, the variants interleaved in blocks
    so load drift hits all of them alike);
(c) cold path in a fresh process: import + create client + first publish (median of --runs).

REST needs an OAuth access token in the cloud. The emulator needs none, so token fetching
is not measured; its *import* cost is (google.auth + google.auth.transport.requests, which
AuthorizedSession needs), and the alternative of reading a token from the metadata server
with the same httpx client costs no import at all.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "demo-soko"
TOPIC = "bench-events"
SUBSCRIPTION = "bench-events-check"
EVENT: dict[str, Any] = {
    "id": "0b7c3f7e-6d0a-4c1b-9a57-1f1f0d4f8a21",
    "type": "OrderPlaced",
    "stream": "order-000042",
    "version": 3,
    "occurred_at": "2026-11-21T12:00:00Z",
    "data": {"order_id": "000042", "total": {"amount": 125000, "currency": "KES"}, "lines": 3},
    "meta": {"correlation_id": "c-1", "causation_id": "k-1", "actor": "tg:123456"},
}


def _on_path() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------------------
# statistics and printing
# --------------------------------------------------------------------------------------


def pct(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w)
        for i, (h, w) in enumerate(zip(header, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# --------------------------------------------------------------------------------------
# (a) imports in fresh processes
# --------------------------------------------------------------------------------------

IMPORT_SETS: list[tuple[str, str, str]] = [
    # (label, preloaded before the clock starts, timed statement)
    ("httpx", "", "import httpx"),
    ("google.cloud.pubsub_v1", "", "from google.cloud import pubsub_v1"),
    ("google.auth", "", "import google.auth"),
    (
        "google.auth + .transport.requests",
        "",
        "import google.auth, google.auth.transport.requests",
    ),
    (
        "httpx + google.auth + .transport.requests",
        "",
        "import httpx, google.auth, google.auth.transport.requests",
    ),
    ("urllib.request (stdlib)", "", "import urllib.request, http.client"),
    ("google.cloud.firestore", "", "from google.cloud import firestore"),
    (
        "pubsub_v1 | firestore already loaded",
        "from google.cloud import firestore",
        "from google.cloud import pubsub_v1",
    ),
    (
        "httpx | firestore already loaded",
        "from google.cloud import firestore",
        "import httpx",
    ),
    (
        "httpx+auth.requests | firestore loaded",
        "from google.cloud import firestore",
        "import httpx, google.auth, google.auth.transport.requests",
    ),
    # Not imports, but paid once per instance on any HTTPS path in production (the
    # emulator is plain HTTP, so (c) only shows it for httpx, which builds it eagerly).
    ("setup: httpx.Client() (certifi TLS ctx)", "import httpx", "httpx.Client()"),
    ("setup: ssl.create_default_context()", "import ssl", "ssl.create_default_context()"),
]


def _python(code: str, env: dict[str, str] | None = None) -> tuple[str, float]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    return out.stdout, time.perf_counter() - start


def measure_imports(runs: int) -> None:
    baseline = statistics.median(_python("pass")[1] for _ in range(runs))
    rows = []
    for label, preload, stmt in IMPORT_SETS:
        code = (
            f"{preload}\nimport time\nt = time.perf_counter()\n{stmt}\n"
            "print(time.perf_counter() - t)"
        )
        inner, wall = [], []
        for _ in range(runs):
            out, _ = _python(code)
            inner.append(float(out.strip()))
            if not preload:
                wall.append(_python(stmt)[1] - baseline)
        rows.append(
            [
                label,
                ms(statistics.median(inner)),
                ms(min(inner)),
                ms(statistics.median(wall)) if wall else "-",
            ]
        )
    table(
        f"(a) import cost, fresh process, median of {runs} (python -c pass = {ms(baseline)} ms)",
        ["import", "in-process ms", "min ms", "wall - pass ms"],
        rows,
    )


# --------------------------------------------------------------------------------------
# (b) warm publish latency
# --------------------------------------------------------------------------------------


def _rest_body(data: bytes, event_type: str, stream: str) -> dict[str, Any]:
    return {
        "messages": [
            {
                "data": base64.b64encode(data).decode("ascii"),
                "attributes": {"type": event_type, "stream": stream},
                "orderingKey": stream,
            }
        ]
    }


def _publishers(host: str) -> tuple[dict[str, Callable[[int], str]], Callable[[], None]]:
    """name -> publish(i) returning the server's message id; plus a close-all callable."""
    import google.auth.transport.requests as gatr
    import httpx
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]

    os.environ["PUBSUB_EMULATOR_HOST"] = host
    topic_path = f"projects/{PROJECT}/topics/{TOPIC}"
    url = f"http://{host}/v1/{topic_path}:publish"

    def payload(i: int) -> tuple[bytes, str]:
        stream = f"order-{i % 16:06d}"
        event = {**EVENT, "stream": stream, "version": i}
        return json.dumps(event, separators=(",", ":")).encode(), stream

    default = pubsub_v1.PublisherClient(
        publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
    )
    fast = pubsub_v1.PublisherClient(
        batch_settings=pubsub_v1.types.BatchSettings(max_latency=0.0005),
        publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True),
    )
    client = httpx.Client(timeout=10.0, trust_env=False)
    session = gatr.AuthorizedSession(AnonymousCredentials())  # type: ignore[no-untyped-call]
    session.trust_env = False

    def lib(publisher: pubsub_v1.PublisherClient) -> Callable[[int], str]:
        def publish(i: int) -> str:
            data, stream = payload(i)
            future = publisher.publish(
                topic_path, data, ordering_key=stream, type="OrderPlaced", stream=stream
            )
            return str(future.result(timeout=30))

        return publish

    def rest_httpx(i: int) -> str:
        data, stream = payload(i)
        resp = client.post(url, json=_rest_body(data, "OrderPlaced", stream))
        resp.raise_for_status()
        return str(resp.json()["messageIds"][0])

    def rest_authorized_session(i: int) -> str:
        data, stream = payload(i)
        resp = session.post(url, json=_rest_body(data, "OrderPlaced", stream), timeout=10)
        resp.raise_for_status()
        return str(resp.json()["messageIds"][0])

    import http.client

    conn = http.client.HTTPConnection(host, timeout=10)
    path = f"/v1/{topic_path}:publish"

    def rest_http_client(i: int) -> str:
        data, stream = payload(i)
        conn.request(
            "POST",
            path,
            body=json.dumps(_rest_body(data, "OrderPlaced", stream)),
            headers={"Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        raw = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"publish failed: {resp.status} {raw!r}")
        return str(json.loads(raw)["messageIds"][0])

    def emulator_noop(i: int) -> str:
        # Not a publish: GET / ("Ok") on the same httpx client = the emulator's HTTP floor.
        client.get(f"http://{host}/").raise_for_status()
        return "noop"

    def close() -> None:
        default.stop()
        fast.stop()
        client.close()
        session.close()  # type: ignore[no-untyped-call]
        conn.close()

    return {
        "pubsub_v1 default batching (10 ms)": lib(default),
        "pubsub_v1 max_latency=0.0005": lib(fast),
        "REST httpx.Client (reused)": rest_httpx,
        "REST AuthorizedSession (requests)": rest_authorized_session,
        "REST stdlib http.client (reused)": rest_http_client,
        "[floor] httpx GET / on emulator, no publish": emulator_noop,
    }, close


def check_contract(host: str, publishers: dict[str, Callable[[int], str]]) -> None:
    """Every path delivers the same message shape (data, attributes, ordering key)."""
    from infra.local.emulators import ack, pull

    for name, publish in publishers.items():
        if name.startswith("[floor]"):
            continue
        message_id = publish(7)
        got = pull(host, PROJECT, SUBSCRIPTION, max_messages=100, wait=10)
        ack(host, PROJECT, SUBSCRIPTION, [m.ack_id for m in got])
        (msg,) = [m for m in got if m.message_id == message_id]
        body = msg.json()
        ok = (
            msg.attributes == {"type": "OrderPlaced", "stream": "order-000007"}
            and msg.ordering_key == "order-000007"
            and body["stream"] == "order-000007"
        )
        if not ok:
            raise SystemExit(f"contract broken by {name}: {msg}")
    print("contract check: every path delivers identical data/attributes/orderingKey")


def measure_latency(publishers: dict[str, Callable[[int], str]], n: int, block: int = 25) -> None:
    for publish in publishers.values():
        for i in range(30):
            publish(i)
    samples: dict[str, list[float]] = {name: [] for name in publishers}
    names = list(publishers)
    for round_no, start in enumerate(range(0, n, block)):
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for name in order:
            publish = publishers[name]
            for i in range(start, min(n, start + block)):
                t = time.perf_counter()
                message_id = publish(i)
                samples[name].append(time.perf_counter() - t)
                if not message_id:
                    raise SystemExit(f"{name}: no message id")
    base = statistics.median(samples["REST httpx.Client (reused)"])
    rows = [
        [
            name,
            ms(statistics.median(s)),
            ms(pct(s, 90)),
            ms(pct(s, 99)),
            ms(statistics.fmean(s)),
            f"{statistics.median(s) / base:.2f}x",
        ]
        for name, s in samples.items()
    ]
    table(
        f"(b) one publish incl. server ack, warm, {n} each (interleaved blocks of {block})",
        ["path", "p50 ms", "p90 ms", "p99 ms", "mean ms", "p50 vs httpx"],
        rows,
    )


# --------------------------------------------------------------------------------------
# (c) cold path: fresh process, import + client + first publish
# --------------------------------------------------------------------------------------

_COLD_HEAD = """
import time
t0 = time.perf_counter()
"""
_COLD_TAIL = """
t3 = time.perf_counter()
import json as _json
print(_json.dumps({"import": t1 - t0, "client": t2 - t1, "publish": t3 - t2, "id": mid}))
"""
COLD: dict[str, str] = {
    "pubsub_v1 (max_latency=0.0005, ordering)": """
from google.cloud import pubsub_v1
t1 = time.perf_counter()
publisher = pubsub_v1.PublisherClient(
    batch_settings=pubsub_v1.types.BatchSettings(max_latency=0.0005),
    publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True),
)
topic = publisher.topic_path(PROJECT, TOPIC)
t2 = time.perf_counter()
mid = publisher.publish(
    topic, DATA, ordering_key="order-1", type="OrderPlaced", stream="order-1"
).result(timeout=30)
""",
    "REST httpx": """
import base64
import httpx
t1 = time.perf_counter()
client = httpx.Client(timeout=10.0)
t2 = time.perf_counter()
resp = client.post(URL, json={"messages": [{
    "data": base64.b64encode(DATA).decode(),
    "attributes": {"type": "OrderPlaced", "stream": "order-1"},
    "orderingKey": "order-1"}]})
resp.raise_for_status()
mid = resp.json()["messageIds"][0]
""",
    "REST httpx + google.auth imports": """
import base64
import httpx
import google.auth
import google.auth.transport.requests
t1 = time.perf_counter()
client = httpx.Client(timeout=10.0)
t2 = time.perf_counter()
resp = client.post(URL, json={"messages": [{
    "data": base64.b64encode(DATA).decode(),
    "attributes": {"type": "OrderPlaced", "stream": "order-1"},
    "orderingKey": "order-1"}]})
resp.raise_for_status()
mid = resp.json()["messageIds"][0]
""",
    "REST AuthorizedSession (requests)": """
import base64
import google.auth
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession
t1 = time.perf_counter()
session = AuthorizedSession(AnonymousCredentials())
t2 = time.perf_counter()
resp = session.post(URL, json={"messages": [{
    "data": base64.b64encode(DATA).decode(),
    "attributes": {"type": "OrderPlaced", "stream": "order-1"},
    "orderingKey": "order-1"}]}, timeout=10)
resp.raise_for_status()
mid = resp.json()["messageIds"][0]
""",
    "REST stdlib http.client": """
import base64, http.client, json
t1 = time.perf_counter()
conn = http.client.HTTPConnection(HOST, timeout=10)
t2 = time.perf_counter()
conn.request("POST", PATH, body=json.dumps({"messages": [{
    "data": base64.b64encode(DATA).decode(),
    "attributes": {"type": "OrderPlaced", "stream": "order-1"},
    "orderingKey": "order-1"}]}), headers={"Content-Type": "application/json"})
r = conn.getresponse()
assert r.status == 200, r.read()
mid = json.loads(r.read())["messageIds"][0]
""",
}


def measure_cold(host: str, runs: int) -> None:
    path = f"/v1/projects/{PROJECT}/topics/{TOPIC}:publish"
    consts = (
        f"PROJECT = {PROJECT!r}\nTOPIC = {TOPIC!r}\nHOST = {host!r}\nPATH = {path!r}\n"
        f"URL = 'http://' + HOST + PATH\n"
        f"DATA = {json.dumps(EVENT).encode()!r}\n"
    )
    env = {**os.environ, "PUBSUB_EMULATOR_HOST": host}
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(key, None)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in COLD}
    for _ in range(runs):
        for name, body in COLD.items():
            code = _COLD_HEAD + consts + textwrap.dedent(body) + _COLD_TAIL
            out, wall = _python(code, env)
            record = json.loads(out.strip().splitlines()[-1])
            record["wall"] = wall
            record["total"] = record["import"] + record["client"] + record["publish"]
            results[name].append(record)
    base = statistics.median(r["total"] for r in results["REST httpx"])
    rows = []
    for name, recs in results.items():

        def med(key: str, recs: list[dict[str, float]] = recs) -> float:
            return statistics.median(r[key] for r in recs)

        rows.append(
            [
                name,
                ms(med("import")),
                ms(med("client")),
                ms(med("publish")),
                ms(med("total")),
                ms(med("wall")),
                f"{med('total') / base:.2f}x",
            ]
        )
    table(
        f"(c) fresh process: import + create client + first publish (ack'd), median of {runs}",
        ["path", "import", "client", "publish", "total ms", "process wall", "vs httpx"],
        rows,
    )


# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--n", type=int, default=300, help="publishes per path for (b)")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure")
    parser.add_argument("--host", help="use a running Pub/Sub emulator instead of starting one")
    parser.add_argument("--only", choices=["a", "b", "c"], action="append")
    args = parser.parse_args(argv)
    parts = set(args.only or ["a", "b", "c"])

    _on_path()
    from infra.local.emulators import (
        PubSubEmulator,
        create_pull_subscription,
        create_topic,
    )

    print(f"python {sys.version.split()[0]} at {sys.executable}; cpus={os.cpu_count()}")
    print(f"load average at start: {os.getloadavg()}")
    if "a" in parts:
        measure_imports(args.runs)

    with tempfile.TemporaryDirectory(prefix="bench-pubsub-") as tmp:
        emulator: PubSubEmulator | None = None
        host = args.host
        if host is None:
            emulator = PubSubEmulator(Path(tmp) / "pubsub.log", project=PROJECT)
            emulator.start_and_wait(timeout=120)
            host = emulator.host
            print(f"\nPub/Sub emulator on {host}: ready after {emulator.ready_after:.2f} s")
        try:
            create_topic(host, PROJECT, TOPIC, exist_ok=True)
            create_pull_subscription(host, PROJECT, SUBSCRIPTION, TOPIC, exist_ok=True)
            if "b" in parts:
                publishers, close = _publishers(host)
                try:
                    check_contract(host, publishers)
                    measure_latency(publishers, args.n)
                finally:
                    close()
            if "c" in parts:
                measure_cold(host, args.runs)
        finally:
            if emulator is not None:
                emulator.stop()
    print(f"\nload average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
