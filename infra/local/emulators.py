"""Start, probe and stop the gcloud Firestore and Pub/Sub emulators; small admin helpers.

Used by the pytest fixtures and by the local dev stack (``python -m infra.local.emulators``).

Process model (see docs in /work/shared/reference/google-cloud.md, "Emulators"):
``gcloud ... emulators ... start`` runs the emulator as a Java grandchild that survives
killing ``gcloud``. Each emulator is therefore started in its own session / process group
(``start_new_session=True``) and stopped by signalling the whole group.

Quirks handled here (observed with Cloud SDK 528, Java 17):
- If its port is taken, the Pub/Sub emulator logs ``java.net.BindException`` and then
  *hangs* (gcloud never exits); the Firestore emulator exits, and gcloud exits with 0.
  Readiness therefore checks the log for a bind failure and for the emulator's own
  "listening" line, not only that something answers HTTP on the port.
- Both emulators answer ``GET /`` with ``Ok`` once they serve requests.

The Pub/Sub helpers talk to the emulator's REST surface (``/v1/projects/...``) with httpx and
never import ``google.cloud.pubsub_v1``.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, ClassVar, Self

import httpx

__all__ = [
    "DEFAULT_PROJECT",
    "LOOPBACK",
    "Emulator",
    "EmulatorError",
    "EmulatorNotReadyError",
    "EmulatorPortInUseError",
    "FirestoreEmulator",
    "MissingToolError",
    "PubSubAdminError",
    "PubSubEmulator",
    "ReceivedMessage",
    "ack",
    "create_pull_subscription",
    "create_push_subscription",
    "create_topic",
    "delete_subscription",
    "delete_topic",
    "find_gcloud",
    "find_java",
    "free_port",
    "list_subscriptions",
    "list_topics",
    "port_is_free",
    "publish",
    "pull",
    "reset_firestore",
    "running_emulators",
    "validate_resource_id",
]

DEFAULT_PROJECT = "demo-soko"
LOOPBACK = "127.0.0.1"

_LOG_TAIL_LINES = 40
# Emulators listen on loopback: never route these calls through an HTTP(S)_PROXY.
_URLLIB = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_BIND_FAILURE = re.compile(r"BindException|Address already in use")


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class EmulatorError(RuntimeError):
    """An emulator could not be started, did not become ready, or did not stop cleanly."""


class MissingToolError(EmulatorError):
    """A program the emulators need (gcloud, java) is not installed or not on PATH."""


class EmulatorNotReadyError(EmulatorError):
    """The emulator died or did not answer in time; the message carries the log's tail."""


class EmulatorPortInUseError(EmulatorNotReadyError):
    """The emulator could not bind its port (someone else holds it)."""


class PubSubAdminError(RuntimeError):
    """A Pub/Sub emulator REST call failed; carries the HTTP status and the error body."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"{method} {url} -> HTTP {status}: {body.strip()[:2000]}")
        self.method = method
        self.url = url
        self.status = status
        self.body = body


# --------------------------------------------------------------------------------------
# Tools and ports
# --------------------------------------------------------------------------------------


def find_gcloud() -> str:
    """Absolute path of ``gcloud`` (``$CLOUDSDK_GCLOUD`` overrides PATH), or MissingToolError."""
    override = os.environ.get("CLOUDSDK_GCLOUD")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise MissingToolError(f"CLOUDSDK_GCLOUD={override!r} is not an executable file")
    found = shutil.which("gcloud")
    if found is None:
        raise MissingToolError(
            "`gcloud` (Google Cloud CLI) was not found on PATH; the Firestore and Pub/Sub "
            "emulators are started through it. Install the Google Cloud CLI with the "
            "`cloud-firestore-emulator` and `pubsub-emulator` components, or set "
            "CLOUDSDK_GCLOUD to the gcloud executable."
        )
    return found


def find_java() -> str:
    """Path of ``java`` (``$JAVA_HOME/bin/java`` first, then PATH), or MissingToolError."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = os.path.join(java_home, "bin", "java")
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("java")
    if found is None:
        raise MissingToolError(
            "`java` was not found (neither $JAVA_HOME/bin/java nor on PATH); the gcloud "
            "Firestore and Pub/Sub emulators are Java programs (JRE 11+, 21 recommended)."
        )
    return found


def free_port(host: str = LOOPBACK) -> int:
    """A port that is free right now on ``host`` (bind port 0 and read it back).

    The port is released before returning, so another process may take it; ``Emulator``
    detects that case (EmulatorPortInUseError) and ``Emulator.__enter__`` retries.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when nothing accepts connections on host:port and a listener could bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        if sock.connect_ex((host, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: ignore our own TIME_WAIT leftovers, still fail on a live listener.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _live_group_members(pgid: int) -> list[int]:
    """PIDs of non-zombie processes in process group ``pgid``."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel whether the group still exists
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            return [pgid]
        return [pgid]
    members: list[int] = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ..."; comm may hold spaces or parentheses.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) < 3:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in (b"Z", b"X"):
            members.append(int(entry.name))
    return members


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return f"<log {path} unreadable: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------------------
# Emulator processes
# --------------------------------------------------------------------------------------


class Emulator:
    """One gcloud emulator in its own process group, on a loopback port.

    Use ``FirestoreEmulator`` or ``PubSubEmulator``. Typical use::

        with PubSubEmulator(log_path=tmp / "pubsub.log") as ps:
            os.environ["PUBSUB_EMULATOR_HOST"] = ps.host

    ``__enter__`` starts, waits until ready (retrying on another port if the chosen port
    was taken in the meantime) and ``__exit__`` stops. ``start()``, ``wait_ready()`` and
    ``stop()`` can be called separately, e.g. to start two emulators in parallel.

    ``port=None`` picks a free loopback port. ``direct=True`` runs the emulator's own
    launcher from the SDK (``platform/...``) instead of ``gcloud ... start``; same emulator,
    about 1 s faster to ready because gcloud's own Python start-up is skipped.
    ``log_path`` receives stdout and stderr of the whole process group (truncated on start).
    """

    name: ClassVar[str] = "emulator"
    env_var: ClassVar[str] = ""

    def __init__(
        self,
        log_path: str | os.PathLike[str],
        *,
        project: str = DEFAULT_PROJECT,
        port: int | None = None,
        gcloud: str | None = None,
        direct: bool = False,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.log_path = Path(log_path)
        self.project = project
        self._fixed_port = port
        self._port: int | None = port
        self._gcloud = gcloud
        self.direct = direct
        self._extra_args = tuple(extra_args)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: BinaryIO | None = None
        self._started_at: float | None = None
        self.ready_after: float | None = None
        """Seconds from ``start()`` until ready, set by ``wait_ready()``."""

    # -- description -------------------------------------------------------------------

    def command(self, gcloud: str, port: int) -> list[str]:
        """The gcloud command line for this emulator."""
        raise NotImplementedError

    def direct_command(self, sdk_root: Path, port: int) -> list[str]:
        """The emulator's own launcher inside the SDK (skips gcloud's ~1 s Python start)."""
        raise NotImplementedError

    def ready_marker(self, port: int) -> str:
        """A log line fragment the emulator prints once it listens on ``port``."""
        raise NotImplementedError

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmulatorError(f"{self.name} emulator has no port yet; call start() first")
        return self._port

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: the value FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST want."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def pid(self) -> int | None:
        """PID of the launched process (gcloud or launcher), also the process-group id."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while any process of the emulator's group is alive."""
        return self._proc is not None and bool(_live_group_members(self._proc.pid))

    def env(self) -> dict[str, str]:
        """Environment variables that point client libraries at this emulator."""
        return {self.env_var: self.host}

    def __repr__(self) -> str:
        port = self._port if self._port is not None else "?"
        return f"<{type(self).__name__} {LOOPBACK}:{port} pid={self.pid} log={self.log_path}>"

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Launch gcloud in a new process group; returns at once (see ``wait_ready``)."""
        if self._proc is not None:
            raise EmulatorError(f"{self!r} already started")
        gcloud = self._gcloud or find_gcloud()
        find_java()
        port = self._fixed_port if self._fixed_port is not None else free_port()
        argv = (
            self.direct_command(_sdk_root(gcloud), port)
            if self.direct
            else self.command(gcloud, port)
        )
        if not port_is_free(port):
            raise EmulatorPortInUseError(f"{self.name} emulator: port {LOOPBACK}:{port} is in use")
        self._port = port
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log_path.open("wb")
        env = dict(os.environ)
        env.update(
            CLOUDSDK_CORE_DISABLE_PROMPTS="1",
            CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK="1",
            CLOUDSDK_CORE_DISABLE_USAGE_REPORTING="1",
        )
        self._started_at = time.monotonic()
        self.ready_after = None
        try:
            self._proc = subprocess.Popen(
                [*argv, *self._extra_args],
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            self._log_file.close()
            self._log_file = None
            raise MissingToolError(f"could not run {argv[0]!r}: {exc}") from exc
        atexit.register(self._stop_quietly)

    def wait_ready(self, timeout: float = 60.0, poll_interval: float = 0.05) -> float:
        """Block until the emulator serves HTTP; return seconds since ``start()``.

        Ready means: ``GET http://host/`` answers ``Ok``, the log shows this emulator
        listening on its port, and no bind failure was logged. If the process exits, logs a
        bind failure, or ``timeout`` passes, the process group is stopped and
        EmulatorNotReadyError (EmulatorPortInUseError for a bind failure) is raised with the
        tail of the log.
        """
        if self._proc is None or self._started_at is None:
            raise EmulatorError(f"{self.name} emulator not started; call start() first")
        if self.ready_after is not None:
            return self.ready_after
        deadline = time.monotonic() + timeout
        marker = self.ready_marker(self.port)
        while True:
            log_text = self._read_log()
            if _BIND_FAILURE.search(log_text):
                self._fail(EmulatorPortInUseError, f"could not bind {self.host}")
            code = self._proc.poll()
            if code is not None:
                self._fail(EmulatorNotReadyError, f"gcloud exited with code {code} before ready")
            if marker in log_text and self._answers_ok():
                self.ready_after = time.monotonic() - self._started_at
                return self.ready_after
            if time.monotonic() >= deadline:
                self._fail(EmulatorNotReadyError, f"not ready after {timeout:.1f} s")
            time.sleep(poll_interval)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, wait, SIGKILL leftovers, and check the port is free.

        Idempotent. Raises EmulatorError if processes or the port listener survive.
        """
        proc = self._proc
        if proc is None:
            return
        atexit.unregister(self._stop_quietly)
        pgid = proc.pid
        try:
            survivors = self._signal_group_and_wait(pgid, signal.SIGTERM, timeout)
            if survivors:
                survivors = self._signal_group_and_wait(pgid, signal.SIGKILL, 5.0)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)  # reap gcloud (our direct child)
        finally:
            self._proc = None
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None
        if survivors:
            raise EmulatorError(
                f"{self.name} emulator: processes {survivors} of group {pgid} survived SIGKILL"
            )
        port = self.port
        deadline = time.monotonic() + 5.0
        while not port_is_free(port):
            if time.monotonic() >= deadline:
                raise EmulatorError(
                    f"{self.name} emulator stopped but {LOOPBACK}:{port} is still in use"
                )
            time.sleep(0.05)

    def start_and_wait(self, timeout: float = 60.0, attempts: int = 3) -> float:
        """``start()`` + ``wait_ready()``; on a port clash retry on a fresh port."""
        for attempt in range(1, attempts + 1):
            self.start()
            try:
                return self.wait_ready(timeout)
            except EmulatorPortInUseError:
                if self._fixed_port is not None or attempt == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def __enter__(self) -> Self:
        self.start_and_wait()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------

    def _answers_ok(self) -> bool:
        try:
            with _URLLIB.open(f"{self.url}/", timeout=1.0) as resp:
                body: bytes = resp.read(64)
                return resp.status == 200 and body.strip() == b"Ok"
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def _read_log(self) -> str:
        if self._log_file is not None:
            with contextlib.suppress(ValueError, OSError):
                self._log_file.flush()
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _fail(self, kind: type[EmulatorNotReadyError], reason: str) -> None:
        host = self.host
        with contextlib.suppress(EmulatorError):
            self.stop()
        raise kind(
            f"{self.name} emulator on {host}: {reason}.\n"
            f"--- last lines of {self.log_path} ---\n{_tail(self.log_path)}"
        )

    @staticmethod
    def _signal_group_and_wait(pgid: int, sig: signal.Signals, timeout: float) -> list[int]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + timeout
        while True:
            survivors = _live_group_members(pgid)
            if not survivors or time.monotonic() >= deadline:
                return survivors
            time.sleep(0.05)

    def _stop_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.stop(timeout=5.0)


def _sdk_root(gcloud: str) -> Path:
    """Cloud SDK root: ``gcloud`` resolves to ``<root>/bin/gcloud``."""
    root = Path(os.path.realpath(gcloud)).parent.parent
    if not (root / "platform").is_dir():
        raise MissingToolError(
            f"cannot locate the Cloud SDK platform/ directory from {gcloud!r} (looked in {root})"
        )
    return root


def _component_launcher(sdk_root: Path, relative: str, component: str) -> str:
    launcher = sdk_root / "platform" / relative
    if not os.access(launcher, os.X_OK):
        raise MissingToolError(
            f"{launcher} not found: install it with `gcloud components install {component}` "
            "(or the google-cloud-cli-" + component + " package)"
        )
    return str(launcher)


class FirestoreEmulator(Emulator):
    """``gcloud emulators firestore start`` (native mode). Any project id works."""

    name = "firestore"
    env_var = "FIRESTORE_EMULATOR_HOST"

    def command(self, gcloud: str, port: int) -> list[str]:
        return [gcloud, "emulators", "firestore", "start", f"--host-port={LOOPBACK}:{port}"]

    def direct_command(self, sdk_root: Path, port: int) -> list[str]:
        launcher = _component_launcher(
            sdk_root,
            "cloud-firestore-emulator/cloud_firestore_emulator",
            "cloud-firestore-emulator",
        )
        return [
            launcher,
            "start",
            f"--host={LOOPBACK}",
            f"--port={port}",
            "--database-mode=firestore-native",
        ]

    def ready_marker(self, port: int) -> str:
        return f"API endpoint: http://{LOOPBACK}:{port}"

    def env(self) -> dict[str, str]:
        return {self.env_var: self.host, "GOOGLE_CLOUD_PROJECT": self.project}


class PubSubEmulator(Emulator):
    """``gcloud beta emulators pubsub start --project=PROJECT``."""

    name = "pubsub"
    env_var = "PUBSUB_EMULATOR_HOST"

    def command(self, gcloud: str, port: int) -> list[str]:
        return [
            gcloud,
            "beta",
            "emulators",
            "pubsub",
            "start",
            f"--host-port={LOOPBACK}:{port}",
            f"--project={self.project}",
        ]

    def direct_command(self, sdk_root: Path, port: int) -> list[str]:
        launcher = _component_launcher(
            sdk_root, "pubsub-emulator/bin/cloud-pubsub-emulator", "pubsub-emulator"
        )
        return [launcher, f"--host={LOOPBACK}", f"--port={port}"]

    def ready_marker(self, port: int) -> str:
        return f"Server started, listening on {port}"

    def env(self) -> dict[str, str]:
        return {self.env_var: self.host, "PUBSUB_PROJECT_ID": self.project}


# --------------------------------------------------------------------------------------
# Firestore admin
# --------------------------------------------------------------------------------------


def reset_firestore(host: str, project: str = DEFAULT_PROJECT, database: str = "(default)") -> None:
    """Delete every document of ``database`` in the Firestore emulator at ``host``."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/{database}/documents"
    req = urllib.request.Request(url, method="DELETE")
    try:
        with _URLLIB.open(req, timeout=10.0) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", errors="replace")
        raise EmulatorError(f"DELETE {url} -> HTTP {exc.code}: {body[:2000]}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise EmulatorError(f"DELETE {url} failed: {exc}") from exc


# --------------------------------------------------------------------------------------
# Pub/Sub admin over the emulator's REST API
# --------------------------------------------------------------------------------------

_ID_CHARS = re.compile(r"^[A-Za-z][A-Za-z0-9\-_.~+%]*$")


def validate_resource_id(kind: str, resource_id: str) -> str:
    """Check a Pub/Sub topic/subscription id against the service's rules; return it.

    Ids are 3-255 characters, start with a letter, use ``[A-Za-z0-9-_.~+%]`` and do not
    start with ``goog``. The emulator refuses ids shorter than 3 with an opaque
    "Invalid [topics] name"; this check fails first with a clearer ValueError.
    """
    if not isinstance(resource_id, str):
        raise TypeError(f"Pub/Sub {kind} id must be a str, got {type(resource_id).__name__}")
    if "/" in resource_id:
        raise ValueError(
            f"Pub/Sub {kind} id {resource_id!r} must be a bare id, not a resource path"
        )
    if len(resource_id) < 3:
        raise ValueError(
            f"Pub/Sub {kind} id {resource_id!r} is too short ({len(resource_id)} characters): "
            "ids must be at least 3 characters (the emulator and the service refuse shorter)"
        )
    if len(resource_id) > 255:
        raise ValueError(f"Pub/Sub {kind} id is too long ({len(resource_id)} > 255 characters)")
    if not _ID_CHARS.match(resource_id):
        raise ValueError(
            f"Pub/Sub {kind} id {resource_id!r} must start with a letter and contain only "
            "letters, digits and - _ . ~ + %"
        )
    if resource_id.lower().startswith("goog"):
        raise ValueError(f"Pub/Sub {kind} id {resource_id!r} must not start with 'goog'")
    return resource_id


def _topic_path(project: str, topic: str) -> str:
    return f"projects/{project}/topics/{validate_resource_id('topic', topic)}"


def _subscription_path(project: str, subscription: str) -> str:
    return f"projects/{project}/subscriptions/{validate_resource_id('subscription', subscription)}"


_shared_client: httpx.Client | None = None


def _default_client() -> httpx.Client:
    """One keep-alive client for admin calls (a new httpx.Client costs ~50 ms)."""
    global _shared_client
    if _shared_client is None:
        _shared_client = httpx.Client(trust_env=False, timeout=30.0)
        atexit.register(_shared_client.close)
    return _shared_client


def _call(
    method: str,
    host: str,
    path: str,
    *,
    body: Mapping[str, Any] | None = None,
    params: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    ok_statuses: tuple[int, ...] = (),
    timeout: float = 30.0,
) -> dict[str, Any]:
    url = f"http://{host}/v1/{path}"
    resp = (client or _default_client()).request(
        method, url, json=body, params=params, timeout=timeout
    )
    if resp.status_code in ok_statuses:
        return {}
    if resp.status_code >= 400:
        raise PubSubAdminError(method, url, resp.status_code, resp.text)
    if not resp.content.strip():
        return {}
    data = resp.json()
    if not isinstance(data, dict):
        raise PubSubAdminError(method, url, resp.status_code, f"unexpected body {resp.text}")
    return data


def create_topic(
    host: str,
    project: str,
    topic: str,
    *,
    exist_ok: bool = False,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """``PUT /v1/projects/P/topics/T``; returns the topic resource ({} if it existed)."""
    return _call(
        "PUT",
        host,
        _topic_path(project, topic),
        body={},
        client=client,
        ok_statuses=(409,) if exist_ok else (),
    )


def delete_topic(
    host: str,
    project: str,
    topic: str,
    *,
    missing_ok: bool = False,
    client: httpx.Client | None = None,
) -> None:
    """``DELETE /v1/projects/P/topics/T``."""
    _call(
        "DELETE",
        host,
        _topic_path(project, topic),
        client=client,
        ok_statuses=(404,) if missing_ok else (),
    )


def _list(host: str, path: str, key: str, client: httpx.Client | None) -> list[str]:
    names: list[str] = []
    token = ""
    while True:
        params = {"pageSize": "1000"}
        if token:
            params["pageToken"] = token
        page = _call("GET", host, path, params=params, client=client)
        for item in page.get(key, []):
            # Topics list as objects {"name": ...}; topic subscriptions list as plain names.
            name = item["name"] if isinstance(item, dict) else str(item)
            names.append(name.rsplit("/", 1)[-1])
        token = str(page.get("nextPageToken", ""))
        if not token:
            return names


def list_topics(host: str, project: str, *, client: httpx.Client | None = None) -> list[str]:
    """Topic ids (not full paths) of ``project``."""
    return _list(host, f"projects/{project}/topics", "topics", client)


def list_subscriptions(host: str, project: str, *, client: httpx.Client | None = None) -> list[str]:
    """Subscription ids (not full paths) of ``project``."""
    return _list(host, f"projects/{project}/subscriptions", "subscriptions", client)


def _subscription_body(
    project: str,
    topic: str,
    *,
    push_endpoint: str | None,
    dead_letter_topic: str | None,
    max_delivery_attempts: int,
    enable_message_ordering: bool,
    ack_deadline_seconds: int,
) -> dict[str, Any]:
    if not 10 <= ack_deadline_seconds <= 600:
        raise ValueError(f"ack_deadline_seconds must be 10..600, got {ack_deadline_seconds}")
    body: dict[str, Any] = {
        "topic": _topic_path(project, topic),
        "ackDeadlineSeconds": ack_deadline_seconds,
        "enableMessageOrdering": enable_message_ordering,
    }
    if push_endpoint is not None:
        if not push_endpoint.startswith(("http://", "https://")):
            raise ValueError(f"push_endpoint must be an http(s) URL, got {push_endpoint!r}")
        body["pushConfig"] = {"pushEndpoint": push_endpoint}
    if dead_letter_topic is not None:
        if not 5 <= max_delivery_attempts <= 100:
            raise ValueError(f"max_delivery_attempts must be 5..100, got {max_delivery_attempts}")
        body["deadLetterPolicy"] = {
            "deadLetterTopic": _topic_path(project, dead_letter_topic),
            "maxDeliveryAttempts": max_delivery_attempts,
        }
    return body


def create_push_subscription(
    host: str,
    project: str,
    name: str,
    topic: str,
    push_endpoint: str,
    dead_letter_topic: str | None = None,
    max_delivery_attempts: int = 5,
    enable_message_ordering: bool = True,
    *,
    ack_deadline_seconds: int = 10,
    exist_ok: bool = False,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """``PUT /v1/projects/P/subscriptions/S`` with a push config (wrapped payloads).

    ``dead_letter_topic`` is a topic id in the same project; it must exist. Returns the
    subscription resource ({} if it existed and ``exist_ok``).
    """
    body = _subscription_body(
        project,
        topic,
        push_endpoint=push_endpoint,
        dead_letter_topic=dead_letter_topic,
        max_delivery_attempts=max_delivery_attempts,
        enable_message_ordering=enable_message_ordering,
        ack_deadline_seconds=ack_deadline_seconds,
    )
    return _call(
        "PUT",
        host,
        _subscription_path(project, name),
        body=body,
        client=client,
        ok_statuses=(409,) if exist_ok else (),
    )


def create_pull_subscription(
    host: str,
    project: str,
    name: str,
    topic: str,
    dead_letter_topic: str | None = None,
    max_delivery_attempts: int = 5,
    enable_message_ordering: bool = True,
    *,
    ack_deadline_seconds: int = 10,
    exist_ok: bool = False,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """``PUT /v1/projects/P/subscriptions/S`` without push config ({} if it existed)."""
    body = _subscription_body(
        project,
        topic,
        push_endpoint=None,
        dead_letter_topic=dead_letter_topic,
        max_delivery_attempts=max_delivery_attempts,
        enable_message_ordering=enable_message_ordering,
        ack_deadline_seconds=ack_deadline_seconds,
    )
    return _call(
        "PUT",
        host,
        _subscription_path(project, name),
        body=body,
        client=client,
        ok_statuses=(409,) if exist_ok else (),
    )


def delete_subscription(
    host: str,
    project: str,
    name: str,
    *,
    missing_ok: bool = False,
    client: httpx.Client | None = None,
) -> None:
    """``DELETE /v1/projects/P/subscriptions/S``."""
    _call(
        "DELETE",
        host,
        _subscription_path(project, name),
        client=client,
        ok_statuses=(404,) if missing_ok else (),
    )


def _encode_data(data: bytes | str | Mapping[str, Any] | Sequence[Any]) -> str:
    if isinstance(data, str):
        raw = data.encode("utf-8")
    elif isinstance(data, bytes | bytearray):
        raw = bytes(data)
    else:
        raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def publish(
    host: str,
    project: str,
    topic: str,
    data: bytes | str | Mapping[str, Any] | Sequence[Any],
    *,
    attributes: Mapping[str, str] | None = None,
    ordering_key: str | None = None,
    client: httpx.Client | None = None,
) -> str:
    """``POST /v1/projects/P/topics/T:publish`` one message; return its message id.

    ``data`` may be bytes, text (UTF-8) or a JSON-serialisable value.
    """
    message: dict[str, Any] = {"data": _encode_data(data)}
    if attributes:
        message["attributes"] = dict(attributes)
    if ordering_key:
        message["orderingKey"] = ordering_key
    result = _call(
        "POST",
        host,
        f"{_topic_path(project, topic)}:publish",
        body={"messages": [message]},
        client=client,
    )
    ids = result.get("messageIds", [])
    if len(ids) != 1:
        raise PubSubAdminError("POST", f"{host} publish", 200, f"unexpected reply {result}")
    return str(ids[0])


@dataclass(frozen=True)
class ReceivedMessage:
    """A pulled message with ``data`` base64-decoded."""

    ack_id: str
    message_id: str
    data: bytes
    attributes: dict[str, str] = field(default_factory=dict)
    ordering_key: str = ""
    publish_time: str = ""
    delivery_attempt: int | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.data)

    @classmethod
    def from_rest(cls, item: Mapping[str, Any]) -> ReceivedMessage:
        msg: Mapping[str, Any] = item.get("message", {})
        attempt = item.get("deliveryAttempt")
        return cls(
            ack_id=str(item["ackId"]),
            message_id=str(msg.get("messageId", "")),
            data=base64.b64decode(msg.get("data", "")),
            attributes={str(k): str(v) for k, v in msg.get("attributes", {}).items()},
            ordering_key=str(msg.get("orderingKey", "")),
            publish_time=str(msg.get("publishTime", "")),
            delivery_attempt=int(attempt) if attempt is not None else None,
        )


def pull(
    host: str,
    project: str,
    subscription: str,
    max_messages: int = 10,
    *,
    wait: float = 5.0,
    client: httpx.Client | None = None,
) -> list[ReceivedMessage]:
    """``POST .../subscriptions/S:pull``; poll up to ``wait`` seconds for at least one message.

    Returns as soon as a pull yields messages (possibly fewer than ``max_messages``), or
    an empty list when ``wait`` runs out. ``wait=0`` makes a single attempt.
    """
    if max_messages < 1:
        raise ValueError(f"max_messages must be >= 1, got {max_messages}")
    path = f"{_subscription_path(project, subscription)}:pull"
    deadline = time.monotonic() + wait
    while True:
        result = _call(
            "POST",
            host,
            path,
            body={"maxMessages": max_messages, "returnImmediately": True},
            client=client,
        )
        received = [ReceivedMessage.from_rest(item) for item in result.get("receivedMessages", [])]
        if received or time.monotonic() >= deadline:
            return received
        time.sleep(0.05)


def ack(
    host: str,
    project: str,
    subscription: str,
    ack_ids: Sequence[str],
    *,
    client: httpx.Client | None = None,
) -> None:
    """``POST .../subscriptions/S:acknowledge``."""
    if isinstance(ack_ids, str):
        raise TypeError("ack_ids must be a sequence of ack ids, not a single str")
    if not ack_ids:
        return
    _call(
        "POST",
        host,
        f"{_subscription_path(project, subscription)}:acknowledge",
        body={"ackIds": list(ack_ids)},
        client=client,
    )


# --------------------------------------------------------------------------------------
# Local dev stack: python -m infra.local.emulators [--log-dir DIR] [--project P]
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def running_emulators(
    log_dir: str | os.PathLike[str],
    project: str = DEFAULT_PROJECT,
    timeout: float = 60.0,
    *,
    direct: bool = False,
) -> Iterator[tuple[FirestoreEmulator, PubSubEmulator]]:
    """Start both emulators in parallel, wait until both are ready, stop both on exit."""
    log_dir = Path(log_dir)
    firestore = FirestoreEmulator(log_dir / "firestore.log", project=project, direct=direct)
    pubsub = PubSubEmulator(log_dir / "pubsub.log", project=project, direct=direct)
    try:
        firestore.start()
        pubsub.start()
        pubsub.wait_ready(timeout)
        firestore.wait_ready(timeout)
        yield firestore, pubsub
    finally:
        errors: list[EmulatorError] = []
        for emulator in (pubsub, firestore):
            try:
                emulator.stop()
            except EmulatorError as exc:
                errors.append(exc)
        if errors:
            raise errors[0]


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Run the Firestore and Pub/Sub emulators.")
    parser.add_argument("--log-dir", default=".emulators", help="where the logs go")
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument(
        "--direct", action="store_true", help="run the SDK launchers directly, not via gcloud"
    )
    args = parser.parse_args(argv)
    stop = False

    def _on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with running_emulators(args.log_dir, args.project, direct=args.direct) as (firestore, pubsub):
        for key, value in {**firestore.env(), **pubsub.env()}.items():
            print(f"export {key}={value}")
        print(
            f"# ready: firestore {firestore.ready_after:.2f} s, pubsub {pubsub.ready_after:.2f} s;"
            f" logs in {args.log_dir}; Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        sys.stdout.flush()
        while not stop:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
