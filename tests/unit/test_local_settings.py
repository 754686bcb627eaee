"""Which settings `make dev` takes from the developer's environment, and which never."""

from __future__ import annotations

import pytest

from infra.local.dev import ignored_notice
from infra.local.providers import PROVIDER_SETTINGS
from infra.local.stack import (
    LOCAL_BANK_DETAILS,
    LOCAL_DEFAULTS,
    SECRET_SETTINGS,
    STACK_SETTINGS,
    LocalStack,
    LocalStackError,
    Secrets,
    settings_from_environ,
)

pytestmark = pytest.mark.unit

EXPORTED = {
    "PATH": "/usr/bin",
    "GOOGLE_APPLICATION_CREDENTIALS": "/home/dev/key.json",
    "SOKO_MANUAL_TRANSFER_DETAILS": "My test bank",
    "SOKO_RESERVATION_MINUTES": "2",
    "SOKO_ADMIN_IDS": "[42]",
    "SOKO_BOT_TOKEN": "123456789:a-real-token-from-deploying-aaaaaaaaaa",
    "SOKO_WEBHOOK_SECRET": "exported-webhook-secret",
    "SOKO_BACKEND": "memory",
    "SOKO_TELEGRAM_API_BASE": "https://api.telegram.org/bot",
    "SOKO_MPESA_CONSUMER_KEY": "a-real-daraja-key",
    "SOKO_PUBLIC_BASE_URL": "https://example.com",
}


def test_exported_soko_settings_override_defaults_but_not_the_stacks_own() -> None:
    taken, ignored = settings_from_environ(EXPORTED)
    assert taken == {
        "SOKO_ADMIN_IDS": "[42]",
        "SOKO_MANUAL_TRANSFER_DETAILS": "My test bank",
        "SOKO_RESERVATION_MINUTES": "2",
    }
    assert ignored == [
        "SOKO_BACKEND",
        "SOKO_BOT_TOKEN",
        "SOKO_MPESA_CONSUMER_KEY",
        "SOKO_PUBLIC_BASE_URL",
        "SOKO_TELEGRAM_API_BASE",
        "SOKO_WEBHOOK_SECRET",
    ]


def test_the_stack_owns_its_wiring_secrets_and_every_provider_setting() -> None:
    assert set(SECRET_SETTINGS) | set(PROVIDER_SETTINGS) <= STACK_SETTINGS
    assert {"SOKO_BACKEND", "SOKO_GCP_PROJECT", "SOKO_TELEGRAM_API_BASE"} <= STACK_SETTINGS
    assert not set(LOCAL_DEFAULTS) & STACK_SETTINGS  # defaults are what settings override


def test_a_manual_bank_transfer_is_configured_by_default_with_a_fake_iban() -> None:
    assert LOCAL_DEFAULTS["SOKO_MANUAL_TRANSFER_DETAILS"] == LOCAL_BANK_DETAILS
    assert "IBAN PL00 0000 0000 0000 0000 0000 0000" in LOCAL_BANK_DETAILS
    assert "fake" in LOCAL_BANK_DETAILS


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SOKO_BOT_TOKEN": "1:x"}, "SOKO_BOT_TOKEN"),
        ({"SOKO_MPESA_BASE_URL": "https://sandbox.safaricom.co.ke"}, "SOKO_MPESA_BASE_URL"),
        ({"GOOGLE_APPLICATION_CREDENTIALS": "/key.json"}, "GOOGLE_APPLICATION_CREDENTIALS"),
    ],
)
def test_a_stack_refuses_settings_it_sets_itself(settings: dict[str, str], named: str) -> None:
    with pytest.raises(LocalStackError, match=named):
        LocalStack(settings=settings)


def test_secrets_are_random_unless_given_explicitly() -> None:
    stack = LocalStack(settings={"SOKO_RESERVATION_MINUTES": "2"})
    assert stack.settings == {"SOKO_RESERVATION_MINUTES": "2"}
    assert stack.secrets.bot_token != EXPORTED["SOKO_BOT_TOKEN"]
    given = Secrets.from_environ(EXPORTED)
    assert given.bot_token == EXPORTED["SOKO_BOT_TOKEN"]
    assert given.webhook_secret == "exported-webhook-secret"
    assert given.scheduler_secret not in ("", Secrets.from_environ(EXPORTED).scheduler_secret)
    assert LocalStack(secrets=given).secrets is given


def test_make_dev_names_what_it_ignores_never_the_values() -> None:
    _, ignored = settings_from_environ(EXPORTED)
    notice = ignored_notice(ignored, secrets_from_env=False)
    assert notice is not None
    assert "SOKO_BOT_TOKEN" in notice
    assert "--secrets-from-env" in notice
    assert not any(value in notice for value in EXPORTED.values())
    with_secrets = ignored_notice(ignored, secrets_from_env=True)
    assert with_secrets is not None
    assert "SOKO_BOT_TOKEN" not in with_secrets
    assert "SOKO_BACKEND" in with_secrets
    assert ignored_notice([], secrets_from_env=False) is None
