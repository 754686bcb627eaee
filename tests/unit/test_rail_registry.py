"""Only rails whose settings are complete are offered."""

from __future__ import annotations

import pytest

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


def test_a_configured_rail_is_offered_with_its_callback_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {**PAKASIR, **NOWPAYMENTS, **MPESA}.items():
        monkeypatch.setenv(name, value)
    rails = configured_rails(bootstrap.build(settings()))
    assert sorted(rails) == ["mpesa", "nowpayments", "pakasir"]
    assert rails["mpesa"].callback_path("p1") == "cb-secret-for-tests/p1"
    assert rails["pakasir"].callback_path("p1") == "hook-secret-for-tests"


def test_an_incomplete_rail_is_not_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PAKASIR.items():
        monkeypatch.setenv(name, value)
    for name in [*NOWPAYMENTS, *MPESA]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SOKO_PAKASIR_API_KEY")
    assert configured_rails(bootstrap.build(settings())) == {}
