"""Fixtures shared by every tier. Adapters are chosen per test through `bootstrap`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from functions.runtime import bootstrap
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock
from tests import builders
from tests.fakes.recording_bot import RecordingBot

EMULATOR_PROJECT = "demo-soko"
# The referral codes' key has no default (a deployment mounts its own): the tests set one,
# before any test reads the settings (they are read once per process).
os.environ.setdefault("SOKO_REFERRALS_SECRET", builders.REFERRALS_SECRET)


EMULATOR_FIXTURES = frozenset({"emulators", "e2e_stack"})


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (`--dist loadgroup`)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything on the emulators runs on one worker, one test after another; the other
    workers share the rest a file at a time (so a module's fixtures start once). Two local
    stacks of ~30 functions each on a 2-core machine miss their push deadlines."""
    for item in items:
        # Contract tests too: some start emulators of their own, not through a fixture.
        tier = {"e2e", "contract"} & {mark.name for mark in item.iter_markers()}
        on_emulators = bool(tier or EMULATOR_FIXTURES & set(getattr(item, "fixturenames", ())))
        group = "emulators" if on_emulators else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def memory_runtime() -> Iterator[Runtime]:
    """A memory-backed runtime installed as the process's runtime for the test."""
    rt = bootstrap.build(builders.settings())
    rt.clock = FixedClock()
    # Hermetic: out-of-band Bot API calls (a button's spinner, notices) are recorded.
    rt.bot_override = RecordingBot()
    bootstrap.install(rt)
    yield rt
    bootstrap.install(None)


@dataclass(frozen=True)
class Emulators:
    firestore_host: str
    pubsub_host: str
    project: str


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulators]:
    """Both Google emulators, started once per test session (they take seconds to boot)."""
    from infra.local.emulators import running_emulators

    logs = tmp_path_factory.mktemp("emulator-logs")
    with running_emulators(logs, EMULATOR_PROJECT, direct=True) as (firestore, pubsub):
        patch = pytest.MonkeyPatch()
        # The Google clients read these when they are constructed.
        patch.setenv("FIRESTORE_EMULATOR_HOST", firestore.host)
        patch.setenv("PUBSUB_EMULATOR_HOST", pubsub.host)
        try:
            yield Emulators(firestore.host, pubsub.host, EMULATOR_PROJECT)
        finally:
            patch.undo()
