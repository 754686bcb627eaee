"""One local stack (emulators, fake Telegram, every function served over HTTP) per session."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from infra.local.stack import LocalStack, TelegramLimits

T = TypeVar("T")

# The whole e2e tier shares one stack, and warm functions cache what they have read: two
# files with the same user would see each other's wallets. Ids from here are never reused.
_fresh_users = itertools.count(100_001)


def new_user() -> int:
    """A Telegram user id no other e2e test of this session has used."""
    return next(_fresh_users)


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # Schedules off: tests run jobs themselves, so a relay never runs behind their back.
    limits = TelegramLimits(per_chat_per_second=None, global_per_second=None)
    # With the fake M-Pesa, NOWPayments and Pakasir every rail is configured against
    # (`stack.providers`): tests/e2e/test_rails*.py pay through them.
    stack = LocalStack(
        log_dir=tmp_path_factory.mktemp("e2e") / "logs",
        telegram_limits=limits,
        run_schedules=False,
        providers=True,
    )
    with stack, pytest.MonkeyPatch.context() as patch:
        patch.setenv("FIRESTORE_EMULATOR_HOST", stack.firestore_host)
        patch.setenv("PUBSUB_EMULATOR_HOST", stack.pubsub_host)
        yield stack


def eventually(probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll until `probe` returns something truthy: delivery through push is asynchronous."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s: {probe.__doc__ or probe}")
        time.sleep(0.1)
