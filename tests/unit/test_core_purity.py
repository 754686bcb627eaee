"""The pure core imports no I/O: deciders, projections, reactors and notification rules.

Each module is imported in a fresh interpreter, so what it pulls in is what it really
needs; the entry points (`endpoint.py`) are the adapters that sit beside them."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import functions.domain
import functions.projections
import functions.reactors
from tests.unit.test_events import FORBIDDEN as EVENTS_FORBIDDEN

pytestmark = pytest.mark.unit

# I/O and platforms, as `events` may not load them either, and the adapter layers: none of
# it may load with a core module.
FORBIDDEN = (
    *(name for name in EVENTS_FORBIDDEN if name != "functions"),
    "functions.runtime",
    "functions.providers",
    "functions.telegram",
    "functions.payments",
    "functions.jobs",
    "functions.ops",
)
PACKAGES = (functions.domain, functions.projections, functions.reactors)
CORE = [
    *sorted(
        f"{package.__name__}.{info.name}"
        for package in PACKAGES
        for info in pkgutil.iter_modules(package.__path__)
        if info.name != "endpoint"
    ),
    "functions.notifications.rules",
]

PROBE = """
import sys
before = set(sys.modules)
import {module}
print("\\n".join(sorted(set(sys.modules) - before)))
"""


def test_the_probe_sees_every_core_module() -> None:
    assert "functions.domain.payments" in CORE
    assert "functions.domain.reports" in CORE
    assert "functions.reactors.checkout" in CORE
    assert not any(name.endswith(".endpoint") for name in CORE)


@pytest.mark.parametrize("module", CORE)
def test_a_core_module_imports_no_io(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    )
    added = result.stdout.split()
    assert module in added  # the probe really imported it
    offenders = [m for m in added if m.startswith(FORBIDDEN)]
    assert offenders == []
