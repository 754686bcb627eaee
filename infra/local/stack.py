"""The whole bot on one machine, built from `infra.topology.TOPOLOGY`.

`LocalStack` starts the Firestore and Pub/Sub emulators, a fake Telegram Bot API, fake
M-Pesa, NOWPayments and Pakasir (`infra.local.providers`), and every function of the
topology as its own functions-framework process; it wires the topics and
push subscriptions on the emulator, points the fake Telegram's webhook at the served
`telegram_webhook` and runs the schedules. `make dev` and the end-to-end tests use it::

    with LocalStack() as stack:
        stack.telegram.send_text(1001, "/start")
        stack.run_job("relay")

Every process writes to `<log_dir>/<name>.log`; a thread merges them, prefixed, into
`<log_dir>/all.log` (`make logs`): a function's log has its gunicorn's own lines (at INFO:
started, listening, workers booted and stopped) and the function's JSON log lines (stdout).
Secrets are random per run and never printed or logged.
Child processes run in their own process groups so that `stop()` can end each group as a
whole (a functions-framework process forks gunicorn workers; gcloud forks Java).

The functions' settings are the stack's (`_function_env`): its wiring and generated secrets,
then `LOCAL_DEFAULTS`, which `settings` (SOKO_* values; `make dev` passes the ones exported
in its environment) override. The wiring and the secrets (`STACK_SETTINGS`) are never taken
from `settings`: the fakes are configured with them. The three secrets can be given
explicitly as `secrets=Secrets(...)` (`make dev`: `--secrets-from-env`).

gunicorn 25.1+ serves a control socket at `$XDG_RUNTIME_DIR/gunicorn.ctl` (else
`~/.gunicorn/gunicorn.ctl`). One path shared by every function's gunicorn made them race
for it ("Control server error: File exists" / "Address already in use", each unlinking the
others' socket), so every function gets its own XDG_RUNTIME_DIR, removed by `stop()`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Literal, Self

import httpx

from functions.contexts import REGISTRY
from functions.runtime.offset_clock import OffsetClock
from functions.telegram.routes import allowed_updates
from infra.local.emulator_tools import free_ports, live_group_members
from infra.local.emulators import (
    DEFAULT_PROJECT,
    LOOPBACK,
    Emulator,
    EmulatorError,
    FirestoreEmulator,
    PubSubEmulator,
    create_push_subscription,
    create_topic,
    free_port,
    port_is_free,
)
from infra.local.kept_data import Kept, KeptData, KeptDataError, settle
from infra.local.providers import (
    LOCAL_BTC_XPUB,
    LOCAL_LTC_XPUB,
    PROVIDER_SETTINGS,
    ProviderFakes,
)
from infra.topology import TOPOLOGY, Function, Schedule, Subscription, Topology
from tests.fakes.telegram_api import FakeTelegram

__all__ = [
    "DEFAULT_LOG_DIR",
    "LOCAL_BANK_DETAILS",
    "LOCAL_DEFAULTS",
    "SECRET_SETTINGS",
    "STACK_SETTINGS",
    "TELEGRAM_WEBHOOK",
    "Cron",
    "CronError",
    "LocalStack",
    "LocalStackError",
    "Secrets",
    "TelegramLimits",
    "due_jobs",
    "live_group_members",
    "settings_from_environ",
]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LOG_DIR = ROOT / ".dev" / "logs"
TELEGRAM_WEBHOOK = "telegram_webhook"
PAYMENT_WEBHOOK = "payment_webhook"
# The shop admin of the local stack (SOKO_ADMIN_IDS): `/as 900001` in the console, and the
# e2e tests and benchmarks that stock products over the webhook.
LOCAL_ADMIN_ID = 900001
FAKE_BOT_USERNAME = "soko_test_bot"  # the fake Telegram's bot (tests/fakes/telegram/fake.py)
LOCAL_CURRENCY = "KES"  # SOKO_DEFAULT_CURRENCY: prices typed without a currency
# SOKO_MANUAL_TRANSFER_DETAILS: `/deposit bank 100 REF123` works out of the box; the local
# admin approves the transfer. The IBAN is all zeros: obviously no account.
LOCAL_BANK_DETAILS = (
    "Soko Local Test Bank (fake, local stack only)\nIBAN PL00 0000 0000 0000 0000 0000 0000"
)
# What the functions get unless `settings` (make dev: the SOKO_* exported) say otherwise.
LOCAL_DEFAULTS: Mapping[str, str] = {
    # Stars need no provider: the fake Telegram takes them (/_fake/pay_invoice).
    "SOKO_STARS_ENABLED": "true",
    "SOKO_ADMIN_IDS": f"[{LOCAL_ADMIN_ID}]",  # a JSON list
    "SOKO_DEFAULT_CURRENCY": LOCAL_CURRENCY,
    "SOKO_MANUAL_TRANSFER_DETAILS": LOCAL_BANK_DETAILS,
    # Crypto deposits to BIP84's test-vector accounts, watched on the fake Esplora chains.
    "SOKO_CRYPTO_BTC_XPUB": LOCAL_BTC_XPUB,
    "SOKO_CRYPTO_LTC_XPUB": LOCAL_LTC_XPUB,
    # Referral tiers count in PLN; these illustrative rates (grosze per million minor units)
    # let the stack's KES, IDR, USD and Stars deposits count toward them and the leaderboard.
    "SOKO_REFERRALS_CONVERSION": '{"KES": 31000, "IDR": 250, "USD": 4000000, "XTR": 5200000}',
    # `/circles new Demo 500 2min 3`: rounds of minutes, so a default shows within a session.
    "SOKO_CIRCLES_ALLOW_MINUTES": "true",
    # Circle and channel links name the bot by setting (referrals ask getMe): the fake's.
    "SOKO_BOT_USERNAME": FAKE_BOT_USERNAME,
}
SECRET_SETTINGS = (
    "SOKO_BOT_TOKEN",
    "SOKO_WEBHOOK_SECRET",
    "SOKO_SCHEDULER_SECRET",
    "SOKO_REFERRALS_SECRET",
)
# Settings the stack always sets itself: where the emulators and the fakes are, and the
# secrets and credentials they are configured with. Another value would break the stack
# (or reach a real Telegram or provider), so `settings` may not name them.
STACK_SETTINGS = frozenset(
    {
        "SOKO_BACKEND",
        "SOKO_GCP_PROJECT",
        "SOKO_TELEGRAM_API_BASE",
        *SECRET_SETTINGS,
        *PROVIDER_SETTINGS,
    }
)
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
SCHEDULER_SECRET_HEADER = "X-Soko-Scheduler-Secret"  # noqa: S105  (a header name)
# The functions' environment starts empty: a developer's Google credentials must not leak
# into the local stack, and their SOKO_* arrive only as `settings`, never over the stack's
# own. Only what a process needs to run is passed through.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER")
# Cloud Run's signature for each trigger: Pub/Sub deliveries arrive as CloudEvents.
_SIGNATURE: Mapping[str, str] = {"http": "http", "scheduler": "http", "pubsub": "cloudevent"}

log = logging.getLogger("soko.local.stack")


class LocalStackError(RuntimeError):
    """The stack could not start, or something survived stop()."""


# --------------------------------------------------------------------------------------
# Cron: the subset Cloud Scheduler jobs of the topology use
# --------------------------------------------------------------------------------------


class CronError(ValueError):
    """A cron expression the local scheduler does not understand."""


_CRON_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),  # 0 and 7 are both Sunday
)
_CRON_SYNTAX = "numbers, '*', '*/N', 'A-B', 'A-B/N' and comma lists of those"


@dataclass(frozen=True)
class Cron:
    """A five-field cron expression (UTC, as Cloud Scheduler's default time zone)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        parts = expression.split()
        if len(parts) != len(_CRON_FIELDS):
            raise CronError(
                f"cron {expression!r}: expected 5 fields (minute hour day month weekday), "
                f"got {len(parts)}; macros such as @hourly are not supported"
            )
        values = [
            _parse_field(expression, part, name, low, high)
            for part, (name, low, high) in zip(parts, _CRON_FIELDS, strict=True)
        ]
        minutes, hours, days, months, weekdays = values
        return cls(
            expression,
            minutes,
            hours,
            days,
            months,
            weekdays=frozenset(d % 7 for d in weekdays),
            # cron's rule: a field is restricted unless it starts with '*'.
            days_restricted=not parts[2].startswith("*"),
            weekdays_restricted=not parts[4].startswith("*"),
        )

    def matches(self, when: datetime) -> bool:
        """Whether the job is due in the minute containing `when` (naive means UTC)."""
        when = when.astimezone(UTC) if when.tzinfo else when
        weekday = (when.weekday() + 1) % 7  # Python counts from Monday, cron from Sunday
        day_ok = when.day in self.days
        weekday_ok = weekday in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            calendar_ok = day_ok or weekday_ok  # cron ORs the two day fields when both given
        else:
            calendar_ok = day_ok and weekday_ok
        return (
            when.minute in self.minutes
            and when.hour in self.hours
            and when.month in self.months
            and calendar_ok
        )


def _parse_field(expression: str, text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values.update(_parse_item(expression, item, name, low, high))
    return frozenset(values)


def _parse_item(expression: str, item: str, name: str, low: int, high: int) -> range:
    def refuse(why: str) -> CronError:
        return CronError(
            f"cron {expression!r}: {name} field {item!r} {why}; "
            f"the local scheduler understands {_CRON_SYNTAX}"
        )

    span, slash, step_text = item.partition("/")
    if slash and not step_text.isdigit():
        raise refuse("has a step that is not a number")
    step = int(step_text) if slash else 1
    if step < 1:
        raise refuse("has a step below 1")
    if span == "*":
        first, last = low, high
    else:
        start_text, dash, end_text = span.partition("-")
        if not start_text.isdigit() or (dash and not end_text.isdigit()):
            raise refuse("is not supported")
        first = int(start_text)
        last = int(end_text) if dash else first
        if slash and not dash:
            raise refuse("has a step without a range")
    if not low <= first <= last <= high:
        raise refuse(f"is outside {low}-{high}")
    return range(first, last + 1, step)


def due_jobs(schedules: Iterable[tuple[Schedule, Cron]], when: datetime) -> list[Schedule]:
    """The schedules whose cron matches the minute of `when`."""
    return [schedule for schedule, cron in schedules if cron.matches(when)]


# --------------------------------------------------------------------------------------
# Configuration values
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramLimits:
    """Flood limits of the fake Bot API; Telegram's own by default, None lifts one."""

    per_chat_per_second: int | None = 1
    global_per_second: int | None = 30
    per_group_per_minute: int | None = 20


@dataclass(frozen=True, repr=False)
class Secrets:
    """Random per run: the bot token, the webhook and scheduler secrets, and the key of the
    referral codes (a link handed out in one run is not valid in the next, unless
    `--secrets-from-env` keeps SOKO_REFERRALS_SECRET)."""

    bot_token: str
    webhook_secret: str
    scheduler_secret: str
    referrals_secret: str

    @classmethod
    def generate(cls) -> Secrets:
        # Shaped like the real thing: "<bot id>:<35 URL-safe characters>".
        bot_id = 1_000_000_000 + secrets.randbelow(9_000_000_000)
        return cls(
            bot_token=f"{bot_id}:{secrets.token_urlsafe(26)}",
            webhook_secret=secrets.token_urlsafe(32),  # Telegram allows [A-Za-z0-9_-]{1,256}
            scheduler_secret=secrets.token_urlsafe(32),
            referrals_secret=secrets.token_urlsafe(32),
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Secrets:
        """SECRET_SETTINGS where set in `environ`, else random."""
        generated = cls.generate()
        return cls(
            bot_token=environ.get("SOKO_BOT_TOKEN") or generated.bot_token,
            webhook_secret=environ.get("SOKO_WEBHOOK_SECRET") or generated.webhook_secret,
            scheduler_secret=environ.get("SOKO_SCHEDULER_SECRET") or generated.scheduler_secret,
            referrals_secret=environ.get("SOKO_REFERRALS_SECRET") or generated.referrals_secret,
        )

    def __repr__(self) -> str:  # secrets must not end up in a log or a test report
        return "Secrets(<hidden>)"


def settings_from_environ(environ: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The SOKO_* settings of `environ` the stack takes (over its defaults), and the names of
    those it ignores because it sets them itself (`STACK_SETTINGS`)."""
    soko = {k: v for k, v in environ.items() if k.startswith("SOKO_")}
    taken = {k: v for k, v in soko.items() if k not in STACK_SETTINGS}
    return dict(sorted(taken.items())), sorted(k for k in soko if k in STACK_SETTINGS)


# --------------------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------------------


class ServedFunction:
    """One topology function served by functions-framework in its own process group."""

    def __init__(self, function: Function, log_path: Path, python_bin: Path) -> None:
        self.function = function
        self.log_path = log_path
        self._bin = python_bin
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None
        self.ready_after: float | None = None
        self._started_at = 0.0

    @property
    def name(self) -> str:
        return self.function.entry_point

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pgid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def argv(self) -> list[str]:
        return [
            str(self._bin / "functions-framework"),
            # main.py at the repository root: functions-framework puts its directory on
            # sys.path, which is how `functions` and `events` import, as in the cloud.
            f"--source={ROOT / 'main.py'}",
            f"--target={self.name}",
            f"--signature-type={_SIGNATURE[self.function.trigger]}",
            f"--host={LOOPBACK}",
            f"--port={self.port}",
        ]

    def start(self, env: Mapping[str, str], runtime_dir: Path) -> None:
        """Serve; `runtime_dir` (this function's own) holds its gunicorn's control socket."""
        runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._started_at = time.monotonic()
        self._proc = subprocess.Popen(
            self.argv(),
            cwd=ROOT,
            env={
                **env,
                "THREADS": str(self.function.concurrency),  # gunicorn threads = concurrency
                "XDG_RUNTIME_DIR": str(runtime_dir),
            },
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def answers(self, client: httpx.Client) -> bool:
        # /robots.txt is answered by functions-framework itself (404 for HTTP functions,
        # 405 for CloudEvent ones): any answer means it serves, and the function never runs.
        try:
            client.get(f"{self.url}/robots.txt", timeout=1.0)
        except httpx.TransportError:
            return False
        return True

    def mark_ready(self) -> float:
        self.ready_after = time.monotonic() - self._started_at
        return self.ready_after

    def exit_code(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def signal_group(self, sig: signal.Signals) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, sig)

    def survivors(self) -> list[int]:
        return live_group_members(self._proc.pid) if self._proc is not None else []

    def reap(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=1.0)
        if self._log is not None:
            self._log.close()
            self._log = None


def _stop_groups(children: Sequence[ServedFunction], grace: float) -> list[int]:
    """SIGTERM every group at once, wait up to `grace`, SIGKILL what is left; reap."""
    for child in children:
        child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(c.survivors() for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    for child in children:
        if child.survivors():
            child.signal_group(signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while any(c.survivors() for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    for child in children:
        child.reap()
    return [pid for c in children for pid in c.survivors()]


# --------------------------------------------------------------------------------------
# Logs: one file per process, and one merged view
# --------------------------------------------------------------------------------------


class LogMerger:
    """Copies new lines of every log into `all.log`, prefixed with the log's name."""

    def __init__(self, log_dir: Path, names: Sequence[str], interval: float = 0.2) -> None:
        self.path = log_dir / "all.log"
        self._sources = {name: log_dir / f"{name}.log" for name in names}
        self._offsets = dict.fromkeys(names, 0)
        self._partial = dict.fromkeys(names, b"")
        self._width = max(map(len, names), default=0)
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.path.write_bytes(b"")
        self._thread = threading.Thread(target=self._run, name="log-merger", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.drain()  # what the processes wrote while stopping

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.drain()

    def drain(self) -> None:
        with self.path.open("ab") as out:
            for name in self._sources:
                out.writelines(self._new_lines(name))

    def _new_lines(self, name: str) -> list[bytes]:
        try:
            with self._sources[name].open("rb") as source:
                source.seek(0, os.SEEK_END)
                if source.tell() < self._offsets[name]:  # truncated: an emulator restarted
                    self._offsets[name], self._partial[name] = 0, b""
                source.seek(self._offsets[name])
                chunk = source.read()
                self._offsets[name] = source.tell()
        except OSError:
            return []
        *lines, self._partial[name] = (self._partial[name] + chunk).split(b"\n")
        prefix = f"{name:<{self._width}} | ".encode()
        return [prefix + line + b"\n" for line in lines]


# --------------------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------------------


class LocalStack:
    """Emulators, fake Telegram, every function and the scheduler, from the topology.

    For tests: `urls[entry_point]`, `telegram` (the FakeTelegram), `firestore_host`,
    `pubsub_host`, `project`, `secrets`, `env` (the functions' environment), `run_job(name)`,
    `providers` (the fake payment providers, unless `providers=False`), `kept_data` and
    `kept` (with `keep_data`: the directory, and what an earlier run had kept there).
    """

    def __init__(
        self,
        topology: Topology = TOPOLOGY,
        *,
        log_dir: str | os.PathLike[str] = DEFAULT_LOG_DIR,
        project: str = DEFAULT_PROJECT,
        telegram_limits: TelegramLimits = TelegramLimits(),
        run_schedules: bool = True,
        direct_emulators: bool = True,
        timeout: float = 90.0,
        providers: bool = True,
        settings: Mapping[str, str] | None = None,
        secrets: Secrets | None = None,
        keep_data: str | os.PathLike[str] | None = None,
    ) -> None:
        """`settings`: SOKO_* values for the functions, over `LOCAL_DEFAULTS`; none of
        `STACK_SETTINGS`. `secrets`: the three secrets to use instead of random ones.
        `keep_data`: a directory to import the data from at start and export it to at a
        clean stop (`infra.local.kept_data`)."""
        self.topology = topology
        self.log_dir = Path(log_dir)
        # The functions' clock runs ahead by what this file says (the console's /later).
        self.clock = OffsetClock(str(self.log_dir / "clock-offset"))
        self.project = project
        self.secrets = secrets or Secrets.generate()
        self.settings = _checked_settings(settings or {})
        self._crons = [(s, Cron.parse(s.cron)) for s in topology.schedules]  # refuse early
        self._limits = telegram_limits
        self._run_schedules = run_schedules
        self._timeout = timeout
        bin_dir = ROOT / ".venv" / "bin"
        self._functions = [
            ServedFunction(f, self.log_dir / f"{f.entry_point}.log", bin_dir)
            for f in topology.functions
        ]
        self._firestore = FirestoreEmulator(
            self.log_dir / "firestore.log", project=project, direct=direct_emulators
        )
        self._pubsub = PubSubEmulator(
            self.log_dir / "pubsub.log", project=project, direct=direct_emulators
        )
        self._fake: FakeTelegram | None = None
        self._with_providers = providers
        self._providers: ProviderFakes | None = None
        self._merger = LogMerger(self.log_dir, self._log_names())
        self._stop_scheduler = threading.Event()
        self._scheduler: threading.Thread | None = None
        self._log_handler: logging.Handler | None = None
        self.kept_data = KeptData(keep_data) if keep_data is not None else None
        self.kept: Kept | None = None  # what `kept_data` held at start
        self._runtime_dir: Path | None = None  # the functions' XDG_RUNTIME_DIRs, one each
        self._http = httpx.Client(trust_env=False)  # loopback only: never via a proxy
        self.env: dict[str, str] = {}
        # Filled in as children start; kept after stop() so tests can check nothing is left.
        self.pgids: dict[str, int] = {}
        self.ports: dict[str, int] = {}
        self.started_in: float | None = None
        self._state: Literal["new", "started", "stopped"] = "new"

    def __repr__(self) -> str:
        return f"<LocalStack {self._state} project={self.project} logs={self.log_dir}>"

    def _log_names(self) -> list[str]:
        return ["stack", "firestore", "pubsub", *(f.name for f in self._functions)]

    # -- what tests and the console use -----------------------------------------------

    @property
    def urls(self) -> dict[str, str]:
        return {f.name: f.url for f in self._functions}

    @property
    def telegram(self) -> FakeTelegram:
        if self._fake is None:
            raise LocalStackError("the stack is not started")
        return self._fake

    @property
    def providers(self) -> ProviderFakes:
        """The fake M-Pesa, NOWPayments and Pakasir the rails are configured against."""
        if self._providers is None:
            raise LocalStackError("the stack is not started, or runs without provider fakes")
        return self._providers

    @property
    def firestore_host(self) -> str:
        return self._firestore.host

    @property
    def pubsub_host(self) -> str:
        return self._pubsub.host

    def _record_children(self) -> None:
        """Note every child's process group and every port, to check them after stop()."""
        self.pgids = {f.name: pgid for f in self._functions if (pgid := f.pgid) is not None}
        for emulator in (self._firestore, self._pubsub):
            if emulator.pid is not None:
                self.pgids[emulator.name] = emulator.pid
        self.ports = {f.name: f.port for f in self._functions if f.port}
        self.ports |= {"firestore": self._firestore.port, "pubsub": self._pubsub.port}
        if self._fake is not None:
            self.ports["telegram"] = self._fake.port
        if self._providers is not None:
            self.ports |= self._providers.ports

    def run_job(self, name: str) -> httpx.Response:
        """POST {"job": name} to the scheduler's function now, as Cloud Scheduler would."""
        function = self._scheduler_function(name)
        response = self._http.post(
            self.urls[function],
            json={"job": name},
            headers={SCHEDULER_SECRET_HEADER: self.secrets.scheduler_secret},
            timeout=self.topology.function(function).timeout_s,
        )
        log.info("job %s -> HTTP %s %s", name, response.status_code, response.text[:500])
        return response

    def warm_up(self) -> None:
        """Make the first chat quick: run every scheduled job once and build the webhook's
        runtime. The emulators' first requests are slow (a cold JVM): measured, a first
        /start took 3.3 s without this and 0.6 s after it. The jobs are idempotent, and the
        scheduler would run them within a minute anyway."""
        for schedule in self.topology.schedules:
            self.run_job(schedule.job)
        # Unauthenticated, so refused with 401, but only after the function built its runtime.
        self._http.post(self.urls[TELEGRAM_WEBHOOK], json={}, timeout=60)

    def _scheduler_function(self, job: str) -> str:
        """The schedule's target; for a job with no schedule, the scheduler-triggered one."""
        for schedule in self.topology.schedules:
            if schedule.job == job:
                return schedule.function
        for function in self.topology.functions:
            if function.trigger == "scheduler":
                return function.entry_point
        raise LocalStackError(f"no schedule runs {job!r} and no function is scheduler-triggered")

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Self:
        if self._state != "new":
            raise LocalStackError(f"a LocalStack starts once; this one is {self._state}")
        self._state = "started"
        began = time.monotonic()
        try:
            self._start_everything()
        except BaseException:  # Ctrl-C during start-up too: leave nothing running
            with contextlib.suppress(Exception):
                self.stop()
            raise
        self.started_in = time.monotonic() - began
        log.info("stack ready in %.2f s", self.started_in)
        return self

    def _start_everything(self) -> None:
        self._open_logs()
        self._load_kept()
        # Emulators and functions boot in parallel: the functions connect lazily, so they
        # only need the emulators' addresses, which are known as soon as they are started.
        self._firestore.start()
        self._pubsub.start()
        self._fake = FakeTelegram(
            self.secrets.bot_token,
            LOOPBACK,
            0,
            per_chat_per_second=self._limits.per_chat_per_second,
            global_per_second=self._limits.global_per_second,
            per_group_per_minute=self._limits.per_group_per_minute,
        ).start()
        self._start_providers()
        self.env = self._function_env()
        if self.settings:
            log.info("settings given (over the defaults): %s", ", ".join(self.settings))
        self._runtime_dir = Path(tempfile.mkdtemp(prefix="soko-run-"))
        self._assign_ports()
        try:
            for function in self._functions:
                function.start(self.env, self._runtime_dir / function.name)
        finally:
            self._record_children()
        self._wait_for_functions()
        for emulator in (self._pubsub, self._firestore):
            emulator.wait_ready(self._timeout)
            ready = emulator.ready_after or 0.0
            log.info("%s emulator ready at %s in %.2f s", emulator.name, emulator.host, ready)
        self._resume_kept()
        self._create_topics_and_subscriptions()
        # As the deployment asks (cloudbuild): chat_member is sent only when named.
        allowed = list(allowed_updates(REGISTRY.routes))
        self.telegram.set_webhook(self.urls[TELEGRAM_WEBHOOK], self.secrets.webhook_secret, allowed)
        if self._run_schedules:
            self._scheduler = threading.Thread(
                target=self._scheduler_loop, name="local-scheduler", daemon=True
            )
            self._scheduler.start()

    def stop(self) -> None:
        """Stop the scheduler, every function, the emulators and the fakes; check ports.

        Idempotent. Raises LocalStackError if a process or a listener survived.
        """
        if self._state != "started":
            return
        self._state = "stopped"
        ports = [port for name, port in self.ports.items() if name not in ("firestore", "pubsub")]
        self._stop_scheduler.set()
        if self._scheduler is not None:
            self._scheduler.join(timeout=10)
        self._settle_before_keeping()
        problems = self._stop_children()
        if self._runtime_dir is not None:
            shutil.rmtree(self._runtime_dir, ignore_errors=True)
        if self._fake is not None:
            self._fake.stop()
        if self._providers is not None:
            self._providers.stop()
        self._http.close()
        problems += [f"port {p} is still in use" for p in ports if not _freed(p)]
        log.info("stack stopped%s", f" with problems: {problems}" if problems else "")
        self._merger.stop()
        self._close_logs()
        if problems:
            raise LocalStackError("; ".join(problems))

    def _stop_children(self) -> list[str]:
        problems: list[str] = []
        survivors = _stop_groups(self._functions, grace=10.0)
        if survivors:
            problems.append(f"function processes {survivors} survived SIGKILL")
        problems += self._keep()  # nothing writes any more, and the emulator still runs
        for emulator in (self._pubsub, self._firestore):
            try:
                emulator.stop()
            except EmulatorError as error:
                problems.append(str(error))
        return problems

    # -- kept data (`keep_data`, make dev KEEP=1: infra/local/kept_data.py) -------------

    def _load_kept(self) -> None:
        """Have the Firestore emulator import what the last clean stop kept, if anything."""
        if self.kept_data is None:
            return
        try:
            self.kept = self.kept_data.load()
        except KeptDataError as error:
            raise LocalStackError(str(error)) from error
        if self.kept is not None:
            self._firestore.import_data = self.kept.firestore
            log.info("importing the data kept in %s", self.kept.firestore)

    def _resume_kept(self) -> None:
        """Before the first update: check the import loaded, and number updates on."""
        if self.kept_data is None or self.kept is None:
            return
        try:
            self.kept_data.check_loaded(self.kept, self._firestore)
        except (KeptDataError, EmulatorError) as error:
            raise LocalStackError(str(error)) from error
        self.telegram.state.continue_numbering(*self.kept.numbering)
        log.info("kept data loaded: %d events", self.kept.events)

    def _settle_before_keeping(self) -> None:
        # A stack that did not start fully changed nothing: it keeps no new export.
        if self.kept_data is None or self.started_in is None:
            return
        if not settle(self._firestore, self.telegram):
            log.warning("functions still busy at the stop: what is in flight is not kept")

    def _keep(self) -> list[str]:
        if self.kept_data is None or self.started_in is None:
            return []
        try:
            kept = self.kept_data.save(self._firestore, self.telegram.state.numbering())
        except KeptDataError as error:
            return [str(error)]
        log.info("kept %d events in %s", kept.events, kept.firestore)
        return []

    # -- start-up steps ----------------------------------------------------------------

    def _open_logs(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.clock.path.write_text("0\n")  # every run starts at the real time
        for name in self._log_names():
            (self.log_dir / f"{name}.log").write_bytes(b"")  # one run per log
        handler = logging.FileHandler(self.log_dir / "stack.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # the console's terminal is for the chat, not for our logs
        self._log_handler = handler
        self._merger.start()

    def _close_logs(self) -> None:
        if self._log_handler is not None:
            log.removeHandler(self._log_handler)
            self._log_handler.close()
            self._log_handler = None

    def _start_providers(self) -> None:
        """Start the provider fakes with payment_webhook as the callbacks' destination.

        The webhook's port is chosen now, before any function starts, because the rails'
        callback URLs (SOKO_PUBLIC_BASE_URL, Pakasir's project webhook) must name it.
        """
        webhook = next((f for f in self._functions if f.name == PAYMENT_WEBHOOK), None)
        if not self._with_providers or webhook is None:
            return
        webhook.port = free_port()
        self._providers = ProviderFakes()
        self._providers.start(webhook.url)

    def _assign_ports(self) -> None:
        """A distinct port for each function that has none yet (payment_webhook's is chosen
        with the providers): chosen one at a time, two functions once got the same one. The
        emulators' ports are avoided too: Java binds them seconds after they are chosen, and
        a function that took one first made the emulator exit."""
        chosen = {f.port for f in self._functions if f.port}
        chosen |= {self._firestore.port, self._pubsub.port}
        waiting = [f for f in self._functions if not f.port]
        for function, port in zip(waiting, free_ports(len(waiting), avoid=chosen), strict=True):
            function.port = port

    def _function_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in _PASSED_THROUGH}
        env.update(
            PYTHONUNBUFFERED="1",  # log lines reach the log file as they happen
            NO_PROXY=f"{LOOPBACK},localhost",
            # functions-framework's default is "error": a function's log would stay empty
            # until something failed. At INFO, gunicorn says when it serves and stops.
            GUNICORN_LOG_LEVEL="info",
        )
        env.update(LOCAL_DEFAULTS)
        env.update(self.settings)
        env.update(  # last: never replaced (`settings` may not name them)
            SOKO_BACKEND="firestore",
            SOKO_GCP_PROJECT=self.project,
            GOOGLE_CLOUD_PROJECT=self.project,
            FIRESTORE_EMULATOR_HOST=self.firestore_host,
            PUBSUB_EMULATOR_HOST=self.pubsub_host,
            SOKO_TELEGRAM_API_BASE=self.telegram.base_url,
            SOKO_BOT_TOKEN=self.secrets.bot_token,
            SOKO_WEBHOOK_SECRET=self.secrets.webhook_secret,
            SOKO_SCHEDULER_SECRET=self.secrets.scheduler_secret,
            SOKO_REFERRALS_SECRET=self.secrets.referrals_secret,
            SOKO_CLOCK_OFFSET_FILE=str(self.clock.path),  # the console's /later moves it
        )
        if self._providers is not None:
            env.update(self._providers.env())
        return env

    def _wait_for_functions(self) -> None:
        deadline = time.monotonic() + self._timeout
        waiting = list(self._functions)
        while waiting:
            for function in list(waiting):
                code = function.exit_code()
                if code is not None:
                    raise LocalStackError(_died(function, code))
                if function.answers(self._http):
                    ready = function.mark_ready()
                    log.info("%s serving at %s in %.2f s", function.name, function.url, ready)
                    waiting.remove(function)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(f.name for f in waiting)
                raise LocalStackError(f"{names} did not answer within {self._timeout:.0f} s")
            time.sleep(0.05)

    def _create_topics_and_subscriptions(self) -> None:
        for topic in self.topology.topics:
            create_topic(self.pubsub_host, self.project, topic)
        for subscription in self.topology.subscriptions:
            self._create_subscription(subscription)

    def _create_subscription(self, subscription: Subscription) -> None:
        # The topic in the path makes functions-framework's CloudEvent name its source topic,
        # as Eventarc's does in the cloud.
        endpoint = (
            f"{self.urls[subscription.function]}/projects/{self.project}/topics/"
            f"{subscription.topic}"
        )
        create_push_subscription(
            self.pubsub_host,
            self.project,
            subscription.name,
            subscription.topic,
            endpoint,
            dead_letter_topic=subscription.dead_letter_topic,
            max_delivery_attempts=subscription.max_delivery_attempts,
            enable_message_ordering=subscription.ordered,
            ack_deadline_seconds=subscription.ack_deadline_s,
        )
        log.info("subscription %s: %s -> %s", subscription.name, subscription.topic, endpoint)

    # -- the scheduler -----------------------------------------------------------------

    def _scheduler_loop(self, now: Callable[[], float] = time.time) -> None:
        """At each minute boundary (UTC), POST every schedule whose cron matches."""
        while True:
            next_minute = (int(now()) // 60 + 1) * 60
            if self._stop_scheduler.wait(max(0.0, next_minute - now())):
                return
            for schedule in due_jobs(self._crons, datetime.fromtimestamp(next_minute, UTC)):
                try:
                    self.run_job(schedule.job)
                except httpx.HTTPError as error:  # the stack is stopping or a function died
                    log.warning("job %s failed: %s", schedule.job, error)


def _checked_settings(settings: Mapping[str, str]) -> dict[str, str]:
    not_soko = sorted(k for k in settings if not k.startswith("SOKO_"))
    if not_soko:
        raise LocalStackError(f"settings are SOKO_* variables; not {', '.join(not_soko)}")
    owned = sorted(k for k in settings if k in STACK_SETTINGS)
    if owned:
        raise LocalStackError(
            f"the local stack sets {', '.join(owned)} itself (pass secrets=Secrets(...) "
            "for the bot token, webhook secret and scheduler secret)"
        )
    return dict(settings)


def _died(function: ServedFunction, code: int) -> str:
    tail = "\n".join(function.log_path.read_text(errors="replace").splitlines()[-30:])
    return f"{function.name} exited with code {code} before serving:\n{tail}"


def _freed(port: int, wait: float = 5.0) -> bool:
    deadline = time.monotonic() + wait
    while not port_is_free(port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _pgid(child: ServedFunction | Emulator) -> int | None:
    return child.pgid if isinstance(child, ServedFunction) else child.pid


def _child_name(child: ServedFunction | Emulator) -> str:
    return child.name
