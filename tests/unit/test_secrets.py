"""Secrets: plain environment values, or `sm://` references read once through a resolver."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.runtime import secrets
from functions.runtime.settings import MissingSetting
from tests.builders import settings

pytestmark = pytest.mark.unit
ROOT = Path(__file__).parents[2]
REFERENCE = "sm://projects/demo/secrets/soko-bot-token/versions/latest"
VERSION = "projects/demo/secrets/soko-bot-token/versions/latest"


class FakeSecretManager:
    """A resolver that counts reads; no network."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.reads: list[str] = []

    def __call__(self, name: str) -> str:
        self.reads.append(name)
        return self.values[name]


@pytest.fixture
def secret_manager() -> Iterator[FakeSecretManager]:
    fake = FakeSecretManager({VERSION: "777:from-secret-manager-0123456789abcdefghij\n"})
    secrets.use_resolver(fake)
    yield fake
    secrets.use_resolver(None)


def test_a_plain_value_is_the_secret() -> None:
    assert settings(webhook_secret="plain-value-123").secret("webhook_secret") == "plain-value-123"


def test_a_reference_is_read_once_per_instance_and_cached(
    secret_manager: FakeSecretManager,
) -> None:
    for _ in range(3):
        assert settings(bot_token=REFERENCE).secret("bot_token") == (
            "777:from-secret-manager-0123456789abcdefghij"
        )
    assert settings(bot_token=REFERENCE).bot_id() == "777"
    assert secret_manager.reads == [VERSION]


def test_an_unreadable_reference_fails_naming_the_variable_and_is_retried(
    secret_manager: FakeSecretManager,
) -> None:
    configured = settings(bot_token="sm://projects/demo/secrets/missing/versions/1")
    for _ in range(2):
        with pytest.raises(MissingSetting, match=r"SOKO_BOT_TOKEN cannot read .*missing.*KeyError"):
            configured.secret("bot_token")
    assert len(secret_manager.reads) == 2  # a failure is not cached: the next request retries


@pytest.mark.parametrize("value", ["sm://soko-bot-token", "sm://projects/p/secrets/s", "sm://"])
def test_a_malformed_reference_fails_naming_the_variable(value: str) -> None:
    with pytest.raises(MissingSetting, match="SOKO_BOT_TOKEN is not a Secret Manager reference"):
        settings(bot_token=value).secret("bot_token")


def test_a_blank_secret_is_missing() -> None:
    with pytest.raises(MissingSetting, match="SOKO_WEBHOOK_SECRET is empty"):
        settings(webhook_secret=" \n").secret("webhook_secret")


def test_mounted_secrets_do_not_import_the_secret_manager_client() -> None:
    probe = (
        "import sys; from tests.builders import settings; "
        "s = settings(); s.secret('bot_token'); s.secret('webhook_secret'); "
        "print('google.cloud.secretmanager' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
