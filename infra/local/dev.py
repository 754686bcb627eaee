"""`make dev`: run the whole bot locally and chat with it in the terminal.

Starts `LocalStack` (Firestore and Pub/Sub emulators, fake Telegram, fake M-Pesa,
NOWPayments and Pakasir, every function of the topology, the scheduler), then the chat
console, whose payer commands (/approve, /scan, /paycrypto) pay on the fake providers.
Leaving the console (/quit, Ctrl-D), Ctrl-C, SIGTERM or SIGHUP stops everything; nothing is
left running. Nothing is kept either (the emulators hold their data in memory), unless
`--keep-data [DIR]` (`make dev KEEP=1`) says where to keep it: see `infra.local.kept_data`.

SOKO_* variables exported in the environment override the stack's defaults for the functions
(`SOKO_RESERVATION_MINUTES=2 make dev`), except the ones the stack sets itself (its wiring,
the provider fakes' credentials and its secrets: `infra.local.stack.STACK_SETTINGS`), which
are ignored and named. `--secrets-from-env` takes SOKO_BOT_TOKEN, SOKO_WEBHOOK_SECRET,
SOKO_SCHEDULER_SECRET and SOKO_REFERRALS_SECRET from the environment where set, instead of
random ones.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import httpx

from infra.local.console import Console, InProcessBackend, banner, run_console
from infra.local.payer import Payer
from infra.local.stack import (
    DEFAULT_LOG_DIR,
    ROOT,
    SECRET_SETTINGS,
    LocalStack,
    LocalStackError,
    Secrets,
    settings_from_environ,
)

# The children run in their own sessions (so that their groups can be stopped as a whole),
# so a closed terminal or a `kill` reaches only this process: it must stop them itself.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
DEFAULT_DATA_DIR = ROOT / ".dev" / "data"  # `--keep-data` without a DIR, `make dev KEEP=1`


class Stop(Exception):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C so the stack stops."""


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    raise Stop


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """A second Ctrl-C must not interrupt the clean-up that makes sure nothing is left."""
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, *STOP_SIGNALS)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def describe(stack: LocalStack) -> str:
    """What is running and where to look; never the secrets."""
    logs = _shown(stack.log_dir)
    functions = "\n".join(f"  {name:<18} {url}" for name, url in stack.urls.items())
    jobs = ", ".join(f"{s.job} ({s.cron})" for s in stack.topology.schedules) or "none"
    providers = stack.providers.urls
    fakes = ", ".join(f"{rail} {url}" for rail, url in providers.items())
    payer_args = "".join(f" --{rail}-url {url}" for rail, url in providers.items())
    return (
        f"Soko is running locally (ready in {stack.started_in or 0:.1f} s).\n"
        f"Functions (functions-framework):\n{functions}\n"
        f"Emulators: Firestore {stack.firestore_host}, Pub/Sub {stack.pubsub_host} "
        f"(project {stack.project})\n"
        f"Fake Telegram: {stack.telegram.url}\n"
        f"Fake payment providers: {fakes}\n"
        f"Another terminal can chat (and pay) too: python -m infra.local.console "
        f"--fake-url {stack.telegram.url}{payer_args}\n"
        f"Scheduled jobs: {jobs}\n"
        f"Settings from your environment: {', '.join(stack.settings) or 'none'}\n"
        f"Logs: {logs}/<name>.log, all merged in {logs}/all.log (`make logs` follows it)\n"
        f"{data_notice(stack)}\n"
    )


def data_notice(stack: LocalStack) -> str:
    """Whether the data outlives this run, and whether an earlier run's came back."""
    if stack.kept_data is None:
        return "Data lives in the emulators' memory only: it is gone when the stack stops."
    where = _shown(stack.kept_data.directory)
    found = f"{stack.kept.events} events loaded" if stack.kept else "nothing kept there yet"
    return f"Data is kept in {where} ({found}); a clean stop saves it there again."


def ignored_notice(ignored: list[str], secrets_from_env: bool) -> str | None:
    """Which exported SOKO_* the stack does not take (names only, never values)."""
    if secrets_from_env:
        ignored = [name for name in ignored if name not in SECRET_SETTINGS]
    if not ignored:
        return None
    secrets = [name for name in ignored if name in SECRET_SETTINGS]
    hint = " (--secrets-from-env takes the secrets)" if secrets else ""
    names = ", ".join(ignored)
    return f"Ignoring {names} from your environment: the local stack sets these itself{hint}."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Soko locally and chat with the bot.")
    parser.add_argument("--log-dir", type=Path, default=DEFAULT_LOG_DIR)
    parser.add_argument(
        "--no-console", action="store_true", help="only run the stack, until Ctrl-C"
    )
    parser.add_argument(
        "--secrets-from-env",
        action="store_true",
        help=f"take {', '.join(SECRET_SETTINGS)} from the environment instead of random ones",
    )
    parser.add_argument(
        "--keep-data",
        nargs="?",
        const=DEFAULT_DATA_DIR,
        type=Path,
        metavar="DIR",
        help="load the data kept in DIR at start and keep it there at a clean stop "
        f"(DIR: {_shown(DEFAULT_DATA_DIR)} unless given)",
    )
    args = parser.parse_args(argv)
    keep_data = args.keep_data.resolve() if args.keep_data else None  # before the chdir
    os.chdir(ROOT)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _on_stop_signal)
    settings, ignored = settings_from_environ(os.environ)
    notice = ignored_notice(ignored, args.secrets_from_env)
    if notice:
        print(notice, flush=True)
    print(
        "Starting Soko: Firestore and Pub/Sub emulators, fake Telegram, fake payment providers, "
        "functions…",
        flush=True,
    )
    secrets = Secrets.from_environ(os.environ) if args.secrets_from_env else None
    stack = LocalStack(
        log_dir=args.log_dir, settings=settings, secrets=secrets, keep_data=keep_data
    )
    try:
        code = _run(stack, args.no_console)
    finally:
        stopped = _stop(stack)
    return code if stopped else 1


def _run(stack: LocalStack, no_console: bool) -> int:
    try:
        stack.start()
        threading.Thread(target=_warm_up, args=(stack,), name="warm-up", daemon=True).start()
        print(describe(stack), flush=True)
        if no_console:
            print("Ctrl-C stops everything.", flush=True)
            threading.Event().wait()
        else:
            chat(stack)
    except (KeyboardInterrupt, Stop):
        print()
    except LocalStackError as error:
        print(f"The local stack failed: {error}", file=sys.stderr)
        return 1
    return 0


def _warm_up(stack: LocalStack) -> None:
    # In the background: the banner shows at once, and a message typed meanwhile just waits.
    with contextlib.suppress(httpx.HTTPError):  # the stack may be stopping already
        stack.warm_up()


def _stop(stack: LocalStack) -> bool:
    _tell("Stopping everything…")
    with _signals_ignored():
        try:
            stack.stop()
        except LocalStackError as error:
            _tell(f"Could not stop everything cleanly: {error}")
            return False
    _tell("Stopped; nothing is left running.")
    return True


def _tell(text: str) -> None:
    # After SIGHUP the terminal is gone: failing to say so must not stop the clean-up.
    with contextlib.suppress(OSError):
        print(text, flush=True)


def _later(stack: LocalStack) -> Callable[[float], str]:
    """/later: the functions' clock moves on, then end-subscriptions runs at the new time."""

    def move(seconds: float) -> str:
        offset = stack.clock.advance(seconds)
        ran = stack.run_job("end-subscriptions")
        return f"now {offset} ahead; end-subscriptions: {ran.text.strip()}"

    return move


def chat(stack: LocalStack) -> None:
    hint = f" (see {_shown(stack.log_dir)}/telegram_webhook.log)"
    payer = Payer(stack.providers.urls)
    console = Console(
        InProcessBackend(stack.telegram),
        log_hint=hint,
        payer=payer,
        run_job=stack.run_job,
        later=_later(stack),
    )
    console.say(banner(console))
    try:
        run_console(console)
    finally:
        payer.close()


if __name__ == "__main__":
    raise SystemExit(main())
