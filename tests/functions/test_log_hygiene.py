"""No secret value ever reaches a log line: not while serving, not when settings fail."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from functions.runtime import bootstrap, logs, secrets
from functions.runtime.bootstrap import Runtime
from functions.runtime.ports import StoreUnavailable
from tests.builders import BOT_TOKEN, SCHEDULER_SECRET, WEBHOOK_SECRET, settings, text_update
from tests.functions.conftest import client_for, post_update

pytestmark = pytest.mark.functions
SECRETS = (BOT_TOKEN, WEBHOOK_SECRET, SCHEDULER_SECRET, BOT_TOKEN.split(":", 1)[1])


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Every record at DEBUG and above, as the cloud would print it."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    logs.configure(buffer, force=True)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    monkeypatch.setattr(logs, "_configured", False)


def assert_clean(buffer: io.StringIO) -> None:
    text = buffer.getvalue()
    assert text, "nothing was logged: the test would prove nothing"
    for secret in SECRETS:
        assert secret not in text


def test_serving_updates_logs_no_secret(
    memory_runtime: Runtime, captured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    webhook = client_for("telegram_webhook")
    assert post_update(webhook, text_update("/start")).status_code == 200
    assert post_update(webhook, text_update("/start"), secret="wrong").status_code == 401
    webhook.post("/", data=b"garbage", headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})

    def down(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable(f"store down while handling a token {BOT_TOKEN}")

    monkeypatch.setattr(memory_runtime.store, "load", down)
    assert post_update(webhook, text_update("/start", update_id=2)).status_code == 503
    assert_clean(captured)


def test_failing_settings_log_the_variable_but_no_secret(
    captured: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    bootstrap.install(None)
    monkeypatch.delenv("SOKO_BACKEND", raising=False)  # invalid: no backend chosen
    monkeypatch.setenv("SOKO_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SOKO_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("SOKO_SCHEDULER_SECRET", SCHEDULER_SECRET)

    response = post_update(client_for("telegram_webhook"), text_update("/start"))

    assert response.status_code == 500
    assert "backend" in captured.getvalue()
    assert_clean(captured)


def test_an_unreadable_secret_reference_is_logged_by_name_only(
    memory_runtime: Runtime, captured: io.StringIO
) -> None:
    def refused(name: str) -> str:
        raise PermissionError(f"403 Permission denied on {name}")

    secrets.use_resolver(refused)
    try:
        memory_runtime.settings = settings(
            scheduler_secret="sm://projects/demo/secrets/soko-scheduler/versions/1"
        )
        response = client_for("scheduled_job").post(
            "/", json={"job": "relay"}, headers={"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
        )
    finally:
        secrets.use_resolver(None)
    assert response.status_code == 500
    assert "SOKO_SCHEDULER_SECRET cannot read" in captured.getvalue()
    assert_clean(captured)
