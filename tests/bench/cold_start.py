"""Cold start of every entry point: process spawn to the first successful real response.

    python -m tests.bench.cold_start [--runs 5] [--backends memory,firestore] [--no-imports]

For each entry point of the topology, a fresh `functions-framework --source main.py --target X`
(from this virtualenv, cwd = the repository) is spawned and sent the request its trigger
really delivers (webhook: a `/start` update with the secret; Pub/Sub subscriber: a push
body; scheduler: `{"job": "relay"}` with the scheduler secret), retried only while the port
refuses connections. The time from spawn to the first successful response is one sample;
the median of `--runs` samples is reported, after one warm-up round that is discarded (it
mostly measures the OS page cache). The samples of all rows are interleaved run by run, so
load drift on a shared machine hits every row alike.

Baseline: a bare functions-framework hello function, written to a temporary directory and
measured the same way, one per signature type (http and cloudevent); each entry point's
ratio is to the bare function of its own signature type, measured in the same round.

Backends: SOKO_BACKEND=memory always; SOKO_BACKEND=firestore when the Google adapters exist,
against a Firestore and a Pub/Sub emulator started here. Memory rows are also measured from
the staged deploy bundle as it ships: the checked-hash `.pyc` of our modules it carries are
read, nothing is written (PYTHONDONTWRITEBYTECODE), as on an instance whose source tree
stays as uploaded.

Then, per entry point and backend, `python -X importtime` in a fresh server process lists
the modules imported beyond the bare function's (what our entry point adds to a cold start):
the total, a per-package split and the top imports by cumulative time. The profiler inflates
absolute numbers; compare them with each other.

Figures are printed, never asserted. The target from the issue: every entry point's cold
start at most 1.5x the bare function's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from events import Money
from events.wallet import WalletCredited
from infra import bundle
from infra.local.emulators import (
    DEFAULT_PROJECT,
    LOOPBACK,
    EmulatorError,
    PubSubAdminError,
    create_topic,
    free_port,
    running_emulators,
)
from infra.topology import TOPOLOGY, Function
from tests.bench.summary import Figure
from tests.builders import BOT_TOKEN, SCHEDULER_SECRET, WEBHOOK_SECRET, envelope, text_update
from tests.functions.test_project_balances import push_body

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TARGET_RATIO = 1.5
TOP_IMPORTS = 8
START_TIMEOUT_S = 60.0
GOOGLE_ADAPTERS = ROOT / "functions" / "runtime" / "google.py"
SIGNATURE = {"http": "http", "scheduler": "http", "pubsub": "cloudevent"}
# Environment of ours that must not leak into the measured servers.
LEAKY_PREFIXES = ("SOKO_", "PYTEST_")
# PYTHONDONTWRITEBYTECODE too: inherited from a shell that sets it, it made the repository
# rows compile every module on every start (the bundle rows set it: they read what ships).
LEAKY = frozenset(
    {
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONDONTWRITEBYTECODE",
        "FIRESTORE_EMULATOR_HOST",
        "PUBSUB_EMULATOR_HOST",
    }
)
SECRETS = {
    "SOKO_BOT_TOKEN": BOT_TOKEN,
    "SOKO_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "SOKO_SCHEDULER_SECRET": SCHEDULER_SECRET,
}
BARE_MAIN = '''\
"""The baseline: a bare functions-framework function of each signature type."""

import functions_framework


@functions_framework.http
def hello(request):
    return "hello"


@functions_framework.cloud_event
def hello_event(cloud_event):
    return None
'''
_IDS = itertools.count(1)  # unique users, streams and update ids across every run


class BenchError(RuntimeError):
    """A server did not start or answered its first request wrongly."""


@dataclass(frozen=True)
class Request:
    json: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """One server to cold-start and the real first request it must answer."""

    label: str
    source: Path  # the main.py to serve
    target: str
    signature_type: str
    request: Callable[[int], Request]
    ok: Callable[[httpx.Response], bool]
    cwd: Path = ROOT
    env: Mapping[str, str] = field(default_factory=dict)  # on top of the backend's

    @property
    def bare(self) -> str:
        return f"bare {self.signature_type}"


# ---------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------


def start_update(n: int) -> Request:
    return Request(
        text_update("/start", user_id=7_000_000 + n, update_id=n),
        {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )


def wallet_push(n: int) -> Request:
    user = 8_000_000 + n
    credited = WalletCredited(
        user_id=user, amount=Money(amount=100, currency="KES"), reason="bench", reference=f"b{n}"
    )
    return Request(push_body(envelope(f"wallet-{user}", 1, credited), message_id=str(n)))


def relay_job(n: int) -> Request:
    return Request({"job": "relay"}, {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET})


def _json_field(r: httpx.Response, key: str) -> Any:
    try:
        body = r.json()
    except ValueError:
        return None
    return body.get(key) if isinstance(body, dict) else None


def _is_send_message(r: httpx.Response) -> bool:
    return r.status_code == 200 and _json_field(r, "method") == "sendMessage"


def _is_relay(r: httpx.Response) -> bool:
    return r.status_code == 200 and _json_field(r, "job") == "relay"


def _is_200(r: httpx.Response) -> bool:
    return r.status_code == 200


REQUESTS: dict[str, tuple[Callable[[int], Request], Callable[[httpx.Response], bool]]] = {
    "telegram_webhook": (start_update, _is_send_message),
    "project_balances": (wallet_push, _is_200),
    "scheduled_job": (relay_job, _is_relay),
}


def empty_post(n: int) -> Request:
    return Request({})


def _answered(r: httpx.Response) -> bool:
    return r.status_code < 500


# An entry point without a request of its own gets its trigger's generic one (marked *).
GENERIC: dict[str, tuple[Callable[[int], Request], Callable[[httpx.Response], bool]]] = {
    "pubsub": (wallet_push, _is_200),
    "scheduler": (relay_job, _is_relay),
    "http": (empty_post, _answered),
}


def entry_point_probes(
    functions: Sequence[Function], source: Path, cwd: Path, suffix: str = "", **env: str
) -> list[Probe]:
    probes = []
    for function in functions:
        known = REQUESTS.get(function.entry_point)
        request, ok = known or GENERIC[function.trigger]
        probes.append(
            Probe(
                label=function.entry_point + ("" if known else "*") + suffix,
                source=source,
                target=function.entry_point,
                signature_type=SIGNATURE[function.trigger],
                request=request,
                ok=ok,
                cwd=cwd,
                env=env,
            )
        )
    return probes


def bare_probes(directory: Path) -> list[Probe]:
    source = directory / "main.py"
    source.write_text(BARE_MAIN)
    return [
        Probe(
            "bare http",
            source,
            "hello",
            "http",
            lambda n: Request({"hello": n}),
            lambda r: r.status_code == 200 and r.text == "hello",
            cwd=directory,
        ),
        Probe(
            "bare cloudevent",
            source,
            "hello_event",
            "cloudevent",
            wallet_push,
            _is_200,
            cwd=directory,
        ),
    ]


# ---------------------------------------------------------------------------------------
# Spawning and timing
# ---------------------------------------------------------------------------------------


def base_env(backend_env: Mapping[str, str]) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in LEAKY and not k.startswith(LEAKY_PREFIXES)
    }
    return {**env, **SECRETS, **backend_env}


@contextmanager
def server(
    probe: Probe, env: Mapping[str, str], log: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A fresh functions-framework process in its own process group, killed on exit."""
    port = free_port()
    argv = [
        str(BIN / "functions-framework"),
        *("--source", os.path.relpath(probe.source, probe.cwd)),
        *("--target", probe.target, "--signature-type", probe.signature_type),
        *("--host", LOOPBACK, "--port", str(port)),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=probe.cwd,
            env={**env, **probe.env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc, f"http://{LOOPBACK}:{port}/"
    finally:
        kill_group(proc)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _group_alive(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError, ValueError):
            fields = stat.read_bytes().rsplit(b")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
                return True
    return False


def first_response(
    proc: subprocess.Popen[bytes], url: str, probe: Probe, n: int, log: Path, started: float
) -> float:
    """Seconds from `started` to the first successful answer to the probe's request."""
    request = probe.request(n)
    with httpx.Client(trust_env=False, timeout=30) as client:
        while True:
            try:
                response = client.post(url, json=request.json, headers=request.headers)
            except httpx.ConnectError:
                if proc.poll() is not None:
                    why = f"exited {proc.returncode}"
                elif time.perf_counter() - started > START_TIMEOUT_S:
                    why = f"no answer in {START_TIMEOUT_S} s"
                else:
                    time.sleep(0.002)
                    continue
                raise BenchError(f"{probe.label}: {why}\n{_tail(log)}") from None
            elapsed = time.perf_counter() - started
            if not probe.ok(response):
                raise BenchError(
                    f"{probe.label}: first answer {response.status_code} "
                    f"{response.text[:300]!r}\n{_tail(log)}"
                )
            return elapsed


def cold_start(probe: Probe, env: Mapping[str, str], logs: Path) -> float:
    n = next(_IDS)
    log = logs / f"{probe.label.replace(' ', '_')}-{n}.log"
    started = time.perf_counter()
    with server(probe, env, log) as (proc, url):
        return first_response(proc, url, probe, n, log, started)


def _tail(log: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Row:
    probe: Probe
    backend: str
    samples: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000


def measure(
    probes: Sequence[Probe], backend: str, env: Mapping[str, str], runs: int, logs: Path
) -> list[Row]:
    rows = [Row(p, backend) for p in probes]
    for run in range(runs + 1):  # round 0 warms the page cache and is discarded
        for row in rows:
            if row.error is not None:
                continue
            try:
                seconds = cold_start(row.probe, env, logs)
            except BenchError as err:
                row.error = str(err)
                continue
            if run:
                row.samples.append(seconds)
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return rows


# ---------------------------------------------------------------------------------------
# Import profile
# ---------------------------------------------------------------------------------------

_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S.*)$")


@dataclass(frozen=True)
class Imported:
    module: str
    self_us: int
    cumulative_us: int
    depth: int


# Loads the target as functions-framework does and answers one request, in one process (no
# gunicorn: its master and worker would interleave their import lines on one stderr).
_FIRST_REQUEST = """\
import json, sys
from functions_framework import create_app
target, source, signature, body, headers = json.loads(sys.argv[1])
client = create_app(target, source, signature).test_client()
response = client.post("/", json=body, headers=headers)
print(json.dumps([response.status_code, response.get_data(as_text=True)]))
"""


def import_profile(probe: Probe, env: Mapping[str, str], logs: Path) -> list[Imported]:
    """Every import of a fresh process up to its first answer, from `python -X importtime`."""
    n = next(_IDS)
    request = probe.request(n)
    spec = [probe.target, os.path.relpath(probe.source, probe.cwd), probe.signature_type]
    argv = [
        str(BIN / "python"),
        "-X",
        "importtime",
        "-c",
        _FIRST_REQUEST,
        json.dumps([*spec, request.json, request.headers]),
    ]
    done = subprocess.run(
        argv,
        cwd=probe.cwd,
        env={**env, **probe.env},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    (logs / f"importtime-{probe.label.replace(' ', '_')}-{n}.log").write_text(done.stderr)
    try:
        status, text = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        status, text = 0, ""
    if done.returncode != 0 or not probe.ok(httpx.Response(status, text=text)):
        tail = "\n".join(done.stderr.splitlines()[-25:])
        raise BenchError(f"{probe.label}: exited {done.returncode}, answered {status}\n{tail}")
    return parse_importtime(done.stderr)


def parse_importtime(text: str) -> list[Imported]:
    found = []
    for line in text.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            self_us, cumulative_us, indent, module = match.groups()
            found.append(Imported(module, int(self_us), int(cumulative_us), (len(indent) - 1) // 2))
    return found


@dataclass
class Extra:
    """What an entry point imports beyond the bare function of its signature type."""

    label: str
    modules: list[Imported]

    @property
    def total_ms(self) -> float:
        return sum(m.self_us for m in self.modules) / 1000

    def by_package(self) -> list[tuple[str, float]]:
        sums: dict[str, float] = defaultdict(float)
        for m in self.modules:
            sums[_package(m.module)] += m.self_us / 1000
        return sorted(sums.items(), key=lambda kv: -kv[1])

    def top(self, n: int = TOP_IMPORTS) -> list[Imported]:
        return sorted(self.modules, key=lambda m: -m.cumulative_us)[:n]


def _package(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "google" and len(parts) > 1:  # google.cloud.firestore, google.protobuf, ...
        return ".".join(parts[:3] if parts[1] == "cloud" and len(parts) > 2 else parts[:2])
    return parts[0]


def extras(
    probes: Sequence[Probe], bare: Mapping[str, Probe], env: Mapping[str, str], logs: Path
) -> list[Extra]:
    baseline = {sig: {m.module for m in import_profile(p, env, logs)} for sig, p in bare.items()}
    found = []
    for probe in probes:
        try:
            modules = import_profile(probe, env, logs)
        except BenchError as err:
            print(f"  import profile of {probe.label} failed: {err}", file=sys.stderr)
            continue
        ours = [m for m in modules if m.module not in baseline[probe.signature_type]]
        found.append(Extra(probe.label, ours))
    return found


# ---------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------


def firestore_unavailable() -> str | None:
    """Why the firestore backend cannot be benchmarked, or None."""
    if "not available yet" in GOOGLE_ADAPTERS.read_text():
        return f"{GOOGLE_ADAPTERS.relative_to(ROOT)} still raises 'not available yet'"
    return None


@contextmanager
def emulated_google(logs: Path) -> Iterator[dict[str, str]]:
    """Firestore and Pub/Sub emulators with the event topics created; yields the env."""
    with running_emulators(logs / "emulators", DEFAULT_PROJECT) as (firestore, pubsub):
        for topic in TOPOLOGY.event_topics:
            create_topic(pubsub.host, DEFAULT_PROJECT, topic, exist_ok=True)
        yield {
            "SOKO_BACKEND": "firestore",
            "SOKO_GCP_PROJECT": DEFAULT_PROJECT,
            "FIRESTORE_EMULATOR_HOST": firestore.host,
            "PUBSUB_EMULATOR_HOST": pubsub.host,
        }


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def print_table(rows: Sequence[Row], runs: int) -> None:
    bare = {(r.backend, r.probe.label): r for r in rows if r.probe.label.startswith("bare")}
    print(
        f"\ncold start: spawn -> first successful response, median of {runs} "
        f"(warm-up discarded); ratio to the bare function of the same signature, same round"
    )
    print(
        f"  {'entry point':<40} {'backend':<10} {'median ms':>9} {'min-max ms':>13} "
        f"{'x bare':>7}  target <= {TARGET_RATIO}x"
    )
    for row in rows:
        name = row.probe.label
        if row.error is not None:
            first_line = row.error.splitlines()[0]
            print(f"  {name:<40} {row.backend:<10} failed: {first_line}")
            continue
        lo, hi = min(row.samples) * 1000, max(row.samples) * 1000
        base = bare.get((row.backend, row.probe.bare))
        if name.startswith("bare") or base is None or not base.samples:
            ratio, verdict = "", ""
        else:
            x = row.median_ms / base.median_ms
            ratio, verdict = f"{x:6.2f}x", "meets" if x <= TARGET_RATIO else "MISSES"
        print(
            f"  {name:<40} {row.backend:<10} {row.median_ms:9.0f} {lo:6.0f}-{hi:<6.0f} "
            f"{ratio:>7}  {verdict}"
        )
    if any(r.probe.label.split(" ")[0].endswith("*") for r in rows):
        print("  * no request of its own yet: its trigger's generic one (any non-5xx answer)")


def print_extras(found: Sequence[Extra], backend: str) -> None:
    print(
        f"\nimports beyond the bare function up to the first answer [{backend}] "
        f"(python -X importtime, self times summed; the profiler inflates them)"
    )
    for extra in found:
        split = ", ".join(f"{pkg} {ms:.0f}" for pkg, ms in extra.by_package()[:8])
        print(
            f"  {extra.label}: {extra.total_ms:.0f} ms in {len(extra.modules)} modules; "
            f"by package (ms): {split}"
        )
        print(f"    {'cumulative ms':>13} {'self ms':>8}  module")
        for m in extra.top():
            print(
                f"    {m.cumulative_us / 1000:13.1f} {m.self_us / 1000:8.1f}  "
                f"{'  ' * m.depth}{m.module}"
            )


# ---------------------------------------------------------------------------------------


def figures_of(rows: Sequence[Row]) -> list[Figure]:
    """Per backend, the webhook and the slowest entry point, each against its bare function."""
    bare = {(r.backend, r.probe.label): r for r in rows if r.probe.label.startswith("bare")}
    figures = []
    for backend in dict.fromkeys(r.backend for r in rows):
        measured = [
            (row, base)
            for row in rows
            if row.backend == backend and row.samples and not row.probe.label.startswith("bare")
            and "bundle" not in row.probe.label
            and (base := bare.get((backend, row.probe.bare))) is not None and base.samples
        ]  # fmt: skip
        if not measured:
            continue
        webhook = [pair for pair in measured if pair[0].probe.label.startswith("telegram_webhook")]
        slowest = max(measured, key=lambda pair: pair[0].median_ms / pair[1].median_ms)
        picked = [("telegram_webhook", webhook[0])] if webhook else []
        picked.append((f"slowest, {slowest[0].probe.label}", slowest))
        for title, (row, base) in picked:
            figures.append(
                Figure(f"{backend}: cold start, {title}", row.median_ms, "ms",
                       base.probe.label, base.median_ms, TARGET_RATIO)
            )  # fmt: skip
    return figures


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.cold_start")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="memory,firestore")
    parser.add_argument("--no-imports", action="store_true", help="skip the import profiles")
    parser.add_argument("--no-bundle", action="store_true", help="skip the staged-bundle rows")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    with ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soko-cold-")))
        (logs / "bare").mkdir()
        bare = bare_probes(logs / "bare")
        bare_by_sig = {p.signature_type: p for p in bare}
        written = bundle.exported_names(ROOT)
        # Subscribers are made by main's __getattr__ on lookup: ask it, as functions-framework does.
        looked_up = [f.entry_point for f in TOPOLOGY.functions if f.entry_point not in written]
        unresolved = set(bundle.unresolved(ROOT, looked_up)) if looked_up else set()
        functions = [f for f in TOPOLOGY.functions if f.entry_point not in unresolved]
        drift = sorted(unresolved)
        if drift:
            print(f"(in the topology but not in main.py, not measured: {', '.join(drift)})")
        ours = entry_point_probes(functions, ROOT / "main.py", ROOT)
        rows: list[Row] = []
        profiles: list[tuple[str, list[Extra]]] = []
        print(
            f"cold start: {len(ours)} entry points x {backends}, {args.runs} runs", file=sys.stderr
        )

        if "memory" in backends:
            env = base_env({"SOKO_BACKEND": "memory"})
            probes = bare + ours
            if not args.no_bundle:
                staged = bundle.stage(logs / "bundle", verify=False)
                probes += entry_point_probes(
                    functions,
                    staged / "main.py",
                    staged,
                    " (bundle)",
                    PYTHONDONTWRITEBYTECODE="1",
                )
            rows += measure(probes, "memory", env, args.runs, logs)
            if not args.no_imports:
                profiles.append(("memory", extras(ours, bare_by_sig, env, logs)))

        if "firestore" in backends:
            reason = firestore_unavailable()
            if reason is None:
                try:
                    google = stack.enter_context(emulated_google(logs))
                except (EmulatorError, PubSubAdminError) as err:
                    reason = f"emulators did not start: {str(err).splitlines()[0]}"
                else:
                    env = base_env(google)
                    rows += measure(bare + ours, "firestore", env, args.runs, logs)
                    if not args.no_imports:
                        profiles.append(("firestore", extras(ours, bare_by_sig, env, logs)))
            if reason is not None:
                print(f"\n(firestore backend not measured: {reason})")

        print_table(rows, args.runs)
        for backend, found in profiles:
            print_extras(found, backend)
        for row in rows:
            if row.error:
                detail = textwrap.indent(row.error, "    ")
                print(f"\n{row.probe.label} [{row.backend}] failed:\n{detail}")
        return figures_of(rows)


if __name__ == "__main__":
    main()
