"""Only rails whose settings are complete are offered, each with its callback URL."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from functions.payments.callbacks import callback_url
from functions.providers.registry import configured_rails
from functions.runtime import bootstrap
from tests.builders import settings

pytestmark = pytest.mark.unit
PAKASIR = {
    "SOKO_PAKASIR_PROJECT": "soko",
    "SOKO_PAKASIR_API_KEY": "key-for-tests",
    "SOKO_PAKASIR_WEBHOOK_SECRET": "hook-secret-for-tests",
}


MPESA = {
    "SOKO_MPESA_CONSUMER_KEY": "ck", "SOKO_MPESA_CONSUMER_SECRET": "cs",
    "SOKO_MPESA_PASSKEY": "pk", "SOKO_MPESA_SHORTCODE": "174379",
    "SOKO_MPESA_CALLBACK_SECRET": "cb-secret-for-tests",
}  # fmt: skip
NOWPAYMENTS = {"SOKO_NOWPAYMENTS_API_KEY": "k-for-tests", "SOKO_NOWPAYMENTS_IPN_SECRET": "s-t"}


def test_no_rail_is_offered_without_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*PAKASIR, *NOWPAYMENTS, *MPESA]:
        monkeypatch.delenv(name, raising=False)
    assert configured_rails(bootstrap.build(settings())) == {}


def token(key: str, rail: str, payment_id: str) -> str:
    message = f"soko-callback:{rail}:{payment_id}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def test_a_configured_rail_is_offered_with_its_callback_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {**PAKASIR, **NOWPAYMENTS, **MPESA}.items():
        monkeypatch.setenv(name, value)
    rails = configured_rails(bootstrap.build(settings()))
    assert sorted(rails) == ["mpesa", "nowpayments", "pakasir"]
    scopes = {name: (rail.callback_scope, rail.signed) for name, rail in rails.items()}
    assert scopes == {
        "mpesa": ("payment", False),
        "nowpayments": ("payment", True),
        "pakasir": ("rail", False),
    }
    base = "https://soko.example"
    urls = {name: callback_url(base, rail, "p1") for name, rail in rails.items()}
    assert urls == {
        # A token per payment, keyed by the rail's callback secret (never the secret itself).
        "mpesa": f"{base}/payments/mpesa/p1/{token('cb-secret-for-tests', 'mpesa', 'p1')}",
        "nowpayments": f"{base}/payments/nowpayments/p1/{token('s-t', 'nowpayments', 'p1')}",
        # Pakasir calls one URL per project, set in its dashboard: the secret is the path.
        "pakasir": f"{base}/payments/pakasir/hook-secret-for-tests",
    }
    assert "cb-secret-for-tests" not in urls["mpesa"]
    for payment_scoped in ("mpesa", "nowpayments"):
        with pytest.raises(NotImplementedError):
            rails[payment_scoped].callback_path("p1")


def test_an_incomplete_rail_is_not_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PAKASIR.items():
        monkeypatch.setenv(name, value)
    for name in [*NOWPAYMENTS, *MPESA]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SOKO_PAKASIR_API_KEY")
    assert configured_rails(bootstrap.build(settings())) == {}
