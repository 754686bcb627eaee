"""The standalone chat console (`python -m infra.local.console`) as a person runs it in a
second terminal: its input piped, its output captured, and a clean exit required."""

from __future__ import annotations

import subprocess
import sys

from infra.local.stack import ROOT


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
