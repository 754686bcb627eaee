"""What the emulator processes need from the machine, beneath process management.

Holds the emulator errors, the loopback host and default project, finding ``gcloud``, Java and
the Cloud SDK's own emulator launchers, picking and probing loopback ports, listing the live
members of a process group (``/proc``), and reading a log's tail. ``infra.local.emulators``
builds the emulator processes on these and re-exports the public names, so callers keep
importing from there.
"""

from __future__ import annotations

import os
import shutil
import socket
import urllib.request
from collections.abc import Collection
from contextlib import ExitStack
from pathlib import Path

__all__ = [
    "DEFAULT_PROJECT",
    "LOOPBACK",
    "LOOPBACK_OPENER",
    "EmulatorError",
    "EmulatorNotReadyError",
    "EmulatorPortInUseError",
    "MissingToolError",
    "component_launcher",
    "find_gcloud",
    "find_java",
    "free_port",
    "free_ports",
    "live_group_members",
    "log_tail",
    "port_is_free",
    "sdk_root",
]

DEFAULT_PROJECT = "demo-soko"
LOOPBACK = "127.0.0.1"

_LOG_TAIL_LINES = 40
# Emulators listen on loopback: never route these calls through an HTTP(S)_PROXY.
LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


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
    return free_ports(1, host=host)[0]


def free_ports(count: int, avoid: Collection[int] = (), host: str = LOOPBACK) -> list[int]:
    """`count` distinct ports free right now, none of them in `avoid`.

    Calling `free_port` once per server can hand out one port twice: each is released before
    the next is chosen, and the kernel may choose it again (two functions of one local stack
    were once given the same port; the second to bind died). Here every socket stays bound
    until all are chosen, so they differ.
    """
    with ExitStack() as held:
        found: list[int] = []
        while len(found) < count:
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
            if port not in avoid:
                found.append(port)
        return found


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


def live_group_members(pgid: int) -> list[int]:
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


def log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return f"<log {path} unreadable: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def sdk_root(gcloud: str) -> Path:
    """Cloud SDK root: ``gcloud`` resolves to ``<root>/bin/gcloud``."""
    root = Path(os.path.realpath(gcloud)).parent.parent
    if not (root / "platform").is_dir():
        raise MissingToolError(
            f"cannot locate the Cloud SDK platform/ directory from {gcloud!r} (looked in {root})"
        )
    return root


def component_launcher(sdk_root: Path, relative: str, component: str) -> str:
    launcher = sdk_root / "platform" / relative
    if not os.access(launcher, os.X_OK):
        raise MissingToolError(
            f"{launcher} not found: install it with `gcloud components install {component}` "
            "(or the google-cloud-cli-" + component + " package)"
        )
    return str(launcher)
