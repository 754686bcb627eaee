"""The deploy bundle, installed into a clean virtual environment and served over real HTTP.

This is what Cloud Functions does with our upload: install `requirements.txt`, then load
`main.py` from the bundle root with only that directory on `sys.path` and serve one entry
point. A module the bundle forgets, a dependency `requirements.txt` lacks, or an entry point
`main.py` does not export fails here instead of in the cloud.

Installing takes a while (tens of seconds with a warm pip cache), so it happens once per
module; every server below runs from that one installation. Each server gets only the
secrets its function declares in the topology, as a deployment would mount them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from events import Money
from events.wallet import WalletCredited
from infra import bundle
from infra.local.emulators import LOOPBACK, free_port
from infra.topology import TOPOLOGY
from tests.builders import BOT_TOKEN, SCHEDULER_SECRET, WEBHOOK_SECRET, envelope, text_update
from tests.functions.test_project_balances import push_body

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SECRETS = {
    "bot_token": BOT_TOKEN,
    "webhook_secret": WEBHOOK_SECRET,
    "scheduler_secret": SCHEDULER_SECRET,
    "referrals_secret": "bundle-test-referrals-key",
}
# Variables that would let the served code see the repository or the dev environment.
LEAKY = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONUSERBASE")
SIGNATURE = {"http": "http", "scheduler": "http", "pubsub": "cloudevent"}


@dataclass(frozen=True)
class Installed:
    """A staged bundle and a clean virtual environment holding its requirements."""

    bundle: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        """The process environment: nothing of ours except what is given."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in LEAKY
            and not k.startswith("SOKO_")
            and not k.endswith("_EMULATOR_HOST")
            and not k.startswith("PYTEST_")
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep the staged bundle exactly as staged
        return {**env, **extra}


def _run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> None:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(argv)} exited {done.returncode}\n"
            f"--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}"
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("deploy")
    # Checked by its own test below, so that a drift fails one test, not every server.
    staged = bundle.stage(base / "bundle", verify=False)
    result = Installed(bundle=staged, venv=base / "venv")
    env = result.env()
    _run([sys.executable, "-m", "venv", str(result.venv)], cwd=base, env=env, timeout=300)
    pip = [str(result.bin / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    _run([*pip, "-q", "-r", "requirements.txt"], cwd=staged, env=env, timeout=780)
    return result


@dataclass(frozen=True)
class Server:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def post(self, json: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        with httpx.Client(base_url=self.url, trust_env=False, timeout=30) as client:
            return client.post("/", json=json, headers=headers)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def serving(installed: Installed, entry_point: str) -> Iterator[Server]:
    """`functions-framework` from the clean venv, serving one entry point of the bundle."""
    function = TOPOLOGY.function(entry_point)
    port = free_port()
    log = installed.bundle.parent / f"{entry_point}.log"
    env = installed.env(
        SOKO_BACKEND="memory",
        **{f"SOKO_{name.upper()}": SECRETS[name] for name in function.secrets},
    )
    argv = [
        str(installed.bin / "functions-framework"),
        *("--source", str(installed.bundle / "main.py")),
        *("--target", entry_point),
        *("--signature-type", SIGNATURE[function.trigger]),
        *("--host", LOOPBACK, "--port", str(port)),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=installed.bundle,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(url=f"http://{LOOPBACK}:{port}", log=log, proc=proc)
    try:
        _wait_listening(proc, port, server)
        yield server
    finally:
        _stop_group(proc)


def _wait_listening(proc: subprocess.Popen[bytes], port: int, server: Server) -> None:
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"functions-framework exited {proc.returncode}:\n{server.log_text()}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"functions-framework not listening after 60 s:\n{server.log_text()}")
        time.sleep(0.05)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's whole process group (gunicorn master and workers), then SIGKILL."""
    pgid = proc.pid
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        if _group_gone(proc, grace):
            return
    raise AssertionError(f"processes {_live_members(pgid)} of group {pgid} survived SIGKILL")


def _group_gone(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        proc.poll()  # reap the master, or it lingers as a zombie of ours
        if not _live_members(proc.pid):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _live_members(pgid: int) -> list[int]:
    """Non-zombie processes of a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_bytes().rsplit(b")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
                members.append(int(stat.parent.name))
    return members


@pytest.fixture(scope="module")
def webhook(installed: Installed) -> Iterator[Server]:
    with serving(installed, "telegram_webhook") as server:
        yield server


def test_the_clean_environment_cannot_see_the_repository(installed: Installed) -> None:
    probe = "import importlib.util as u; print(u.find_spec('tests'), u.find_spec('infra'))"
    done = subprocess.run(
        [str(installed.bin / "python"), "-c", probe],
        cwd=installed.bundle,
        env=installed.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["None", "None"]


def test_the_staged_bundle_passes_its_checks(installed: Installed) -> None:
    bundle.check(installed.bundle)


@pytest.mark.parametrize("entry_point", [f.entry_point for f in TOPOLOGY.functions])
def test_every_topology_entry_point_is_served_from_the_bundle(
    installed: Installed, entry_point: str
) -> None:
    """functions-framework loads main.py and finds the target before it listens."""
    with serving(installed, entry_point) as server:
        assert server.alive(), server.log_text()


def test_start_is_answered_with_a_send_message_from_the_bundle(webhook: Server) -> None:
    response = webhook.post(
        json=text_update("/start", user_id=4242, update_id=1),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    assert response.status_code == 200, webhook.log_text()
    reply = response.json()
    assert reply["method"] == "sendMessage"
    assert reply["chat_id"] == 4242
    assert reply["text"]


def test_a_wrong_webhook_secret_is_401(webhook: Server) -> None:
    response = webhook.post(
        json=text_update("/start", update_id=2),
        headers={"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"},
    )
    assert response.status_code == 401, webhook.log_text()


def test_project_balances_accepts_a_pub_sub_push_from_the_bundle(installed: Installed) -> None:
    credited = WalletCredited(
        user_id=9, amount=Money(amount=1500, currency="KES"), reason="deposit", reference="p1"
    )
    with serving(installed, "project_balances") as server:
        response = server.post(json=push_body(envelope("wallet-9", 1, credited)))
        assert response.status_code == 200, server.log_text()


def test_scheduled_job_runs_the_relay_from_the_bundle(installed: Installed) -> None:
    with serving(installed, "scheduled_job") as server:
        response = server.post(
            json={"job": "relay"}, headers={"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
        )
        assert response.status_code == 200, server.log_text()
        assert response.json() == {"job": "relay", "published": 0}
