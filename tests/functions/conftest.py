"""Entry points served by functions-framework from the deployable `main.py`, over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from functions.providers import registry
from functions.runtime.bootstrap import Runtime
from tests.builders import WEBHOOK_SECRET

MAIN = str(Path(__file__).parents[2] / "main.py")


def client_for(target: str, signature_type: str = "http") -> FlaskClient:
    return create_app(target, MAIN, signature_type).test_client()


@pytest.fixture
def webhook(memory_runtime: Runtime) -> FlaskClient:
    return client_for("telegram_webhook")


def post_update(client: FlaskClient, update: Any, secret: str | None = WEBHOOK_SECRET) -> Any:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/", json=update, headers=headers)


def everything_written(rt: Runtime) -> list[Any]:
    """All events in every stream, all idempotency records and read models (memory adapters)."""
    store: Any = rt.store
    return [store.load(s) for s in store.streams()] + [rt.read_models.all("balances")]


@pytest.fixture(autouse=True)
def fake_rail_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example rail (tests/functions/fake_rail.py) registered the way any rail is: one
    line in the registry. It is offered only where a test installs it (rail_overrides) or
    sets its settings."""
    monkeypatch.setattr(registry, "RAILS", (*registry.RAILS, "tests.functions.fake_rail"))
