"""Configuration fails fast by name; importing the entry points connects to nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from functions.runtime.settings import MissingSetting, Settings
from tests.builders import settings

pytestmark = pytest.mark.unit
ROOT = Path(__file__).parents[2]


def test_the_backend_must_be_chosen_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOKO_BACKEND", raising=False)
    with pytest.raises(ValidationError, match="backend"):
        Settings.from_env()


def test_a_missing_secret_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOKO_BACKEND", "memory")
    monkeypatch.delenv("SOKO_WEBHOOK_SECRET", raising=False)
    with pytest.raises(MissingSetting, match="SOKO_WEBHOOK_SECRET"):
        Settings.from_env().secret("webhook_secret")
    with pytest.raises(MissingSetting, match="SOKO_GCP_PROJECT"):
        Settings.from_env().project()


def test_secrets_do_not_show_in_reprs() -> None:
    configured = settings()
    assert "webhook-secret-for-tests" not in repr(configured)
    assert "TEST-token" not in str(configured.model_dump())
    assert configured.bot_id() == "123456"


def test_importing_main_reads_no_settings_and_loads_no_clients() -> None:
    probe = (
        "import sys; import main; "
        "loaded = [m for m in sys.modules if m.startswith(('google.cloud.firestore', "
        "'google.cloud.pubsub', 'telegram', 'httpx', 'functions.runtime.bootstrap'))]; "
        "print(','.join(loaded))"
    )
    env = {"PATH": "/usr/bin:/bin"}  # no SOKO_* variables at all
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


SHARED_STATE_PROBE = """
import sys
from functions.runtime.bootstrap import build
from functions.runtime.settings import Settings
rt = build(Settings.from_env())
shared, board = rt.providers(), rt.health().board
loaded = [m for m in sys.modules if m.startswith(("google.cloud.firestore", "google.api_core"))]
print(type(shared.tokens).__name__, type(shared.quotas).__name__, type(board).__name__)
print(",".join(loaded))
"""


@pytest.mark.parametrize(
    ("client", "adapters"),
    [
        ("rest", "RestTokenCache RestQuotaStore RestBoard"),
        ("library", "FirestoreTokenCache FirestoreQuotaStore FirestoreBoard"),
    ],
)
def test_the_rails_shared_state_follows_the_stores_firestore_client(
    client: str, adapters: str
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SOKO_BACKEND": "firestore",
        "SOKO_FIRESTORE_CLIENT": client,
        "SOKO_GCP_PROJECT": "demo-soko",
        # Nothing listens here: building connects to nothing, and the library's client
        # needs no credentials on an emulator.
        "FIRESTORE_EMULATOR_HOST": "127.0.0.1:9",
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:9",
    }
    result = subprocess.run(
        [sys.executable, "-c", SHARED_STATE_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    names, loaded = [*result.stdout.splitlines(), ""][:2]
    assert names == adapters
    if client == "rest":
        assert loaded == ""  # ~0.25 s of cold start a payment function no longer pays
    else:
        assert "google.cloud.firestore" in loaded.split(",")
