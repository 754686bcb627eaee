"""The chat console as a person uses it: in this process on the e2e stack (`chat_as`), or
standalone (`python -m infra.local.console`) as in a second terminal, its input piped, its
output captured, and a clean exit required."""

from __future__ import annotations

import io
import subprocess
import sys

from infra.local.console import Console, InProcessBackend
from infra.local.payer import Payer
from infra.local.stack import ROOT, LocalStack


def chat_as(
    stack: LocalStack, user_id: int, name: str, *, paying: bool = False
) -> tuple[Console, io.StringIO]:
    """A console chatting as `user_id` after /start; `paying`: it also acts as the payer at
    the stack's fake providers (/approve, /scan, …)."""
    out = io.StringIO()
    payer = Payer(stack.providers.urls) if paying else None
    console = Console(InProcessBackend(stack.telegram), out=out, pace=0.0,
                      users={user_id: name}, user_id=user_id, news_wait=0.0,
                      payer=payer)  # fmt: skip
    console.run(iter(["/start"]))
    return console, out


def run_console(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [sys.executable, "-m", "infra.local.console", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return run
