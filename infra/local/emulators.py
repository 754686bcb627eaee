"""Start, probe and stop the gcloud Firestore and Pub/Sub emulators (one process group each).

Used by the pytest fixtures and by the local dev stack (``python -m infra.local.emulators``).
This module owns the emulator processes: ``Emulator`` (start, readiness, stop),
``FirestoreEmulator``, ``PubSubEmulator``, ``running_emulators`` and the CLI. It also
re-exports, unchanged, the names that live in the modules it is built from, so every caller
keeps importing from ``infra.local.emulators``:

- ``infra.local.emulator_tools``: errors, ``DEFAULT_PROJECT``/``LOOPBACK``, finding gcloud and
  Java, free ports, process-group members, log tails;
- ``infra.local.firestore_admin``: ``reset_firestore``, ``export_firestore``,
  ``count_documents``;
- ``infra.local.pubsub_admin``: the Pub/Sub REST admin client (topics, subscriptions,
  publish/pull/ack).

``free_port`` and ``port_is_free`` are looked up in this module's namespace when an emulator
starts, so tests can monkeypatch them here.

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
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, ClassVar, Self

from infra.local.emulator_tools import (
    DEFAULT_PROJECT,
    LOOPBACK,
    LOOPBACK_OPENER,
    EmulatorError,
    EmulatorNotReadyError,
    EmulatorPortInUseError,
    MissingToolError,
    component_launcher,
    find_gcloud,
    find_java,
    free_port,
    live_group_members,
    log_tail,
    port_is_free,
    sdk_root,
)
from infra.local.firestore_admin import count_documents, export_firestore, reset_firestore
from infra.local.pubsub_admin import (
    PubSubAdminError,
    ReceivedMessage,
    ack,
    create_pull_subscription,
    create_push_subscription,
    create_topic,
    delete_subscription,
    delete_topic,
    list_subscriptions,
    list_topics,
    publish,
    pull,
    validate_resource_id,
)

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
    "count_documents",
    "create_pull_subscription",
    "create_push_subscription",
    "create_topic",
    "delete_subscription",
    "delete_topic",
    "export_firestore",
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

_BIND_FAILURE = re.compile(r"BindException|Address already in use")


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
        return self._proc is not None and bool(live_group_members(self._proc.pid))

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
            self.direct_command(sdk_root(gcloud), port)
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
            with LOOPBACK_OPENER.open(f"{self.url}/", timeout=1.0) as resp:
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
            f"--- last lines of {self.log_path} ---\n{log_tail(self.log_path)}"
        )

    @staticmethod
    def _signal_group_and_wait(pgid: int, sig: signal.Signals, timeout: float) -> list[int]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + timeout
        while True:
            survivors = live_group_members(pgid)
            if not survivors or time.monotonic() >= deadline:
                return survivors
            time.sleep(0.05)

    def _stop_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.stop(timeout=5.0)


class FirestoreEmulator(Emulator):
    """``gcloud emulators firestore start`` (native mode). Any project id works.

    ``import_data``: an export's ``.overall_export_metadata`` file (``export()`` returns one)
    to load at start; both launchers take it as ``--import-data``. A path that is not such a
    file makes the emulator exit before ready. ``--export-on-exit`` is not used: it runs only
    on a clean exit of the emulator, and nothing would tell whether it did.
    """

    name = "firestore"
    env_var = "FIRESTORE_EMULATOR_HOST"

    def __init__(
        self,
        log_path: str | os.PathLike[str],
        *,
        project: str = DEFAULT_PROJECT,
        port: int | None = None,
        gcloud: str | None = None,
        direct: bool = False,
        extra_args: Sequence[str] = (),
        import_data: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(
            log_path,
            project=project,
            port=port,
            gcloud=gcloud,
            direct=direct,
            extra_args=extra_args,
        )
        self.import_data = Path(import_data).resolve() if import_data is not None else None

    def command(self, gcloud: str, port: int) -> list[str]:
        start = [gcloud, "emulators", "firestore", "start", f"--host-port={LOOPBACK}:{port}"]
        return start + self._import_args()

    def direct_command(self, sdk_root: Path, port: int) -> list[str]:
        launcher = component_launcher(
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
            *self._import_args(),
        ]

    def ready_marker(self, port: int) -> str:
        return f"API endpoint: http://{LOOPBACK}:{port}"

    def env(self) -> dict[str, str]:
        return {self.env_var: self.host, "GOOGLE_CLOUD_PROJECT": self.project}

    def export(self, directory: str | os.PathLike[str], name: str) -> Path:
        """Export every document now to ``directory/name/``; the metadata file to import."""
        return export_firestore(self.host, directory, name, self.project)

    def count(self, collection_id: str) -> int:
        """Documents in every collection named ``collection_id`` (``events``: all events)."""
        return count_documents(self.host, collection_id, self.project)

    def _import_args(self) -> list[str]:
        if self.import_data is None:
            return []
        if not self.import_data.is_file():
            raise EmulatorError(f"firestore emulator: no export to import at {self.import_data}")
        return [f"--import-data={self.import_data}"]


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
        launcher = component_launcher(
            sdk_root, "pubsub-emulator/bin/cloud-pubsub-emulator", "pubsub-emulator"
        )
        return [launcher, f"--host={LOOPBACK}", f"--port={port}"]

    def ready_marker(self, port: int) -> str:
        return f"Server started, listening on {port}"

    def env(self) -> dict[str, str]:
        return {self.env_var: self.host, "PUBSUB_PROJECT_ID": self.project}


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
