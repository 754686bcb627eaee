"""The local stack runs the fake each rail's spec names, and configures every such rail."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from functions.crypto.coins import CryptoSettings
from functions.providers import registry
from infra.local.providers import CRYPTO_FAKES, RAILS, ProviderFakes

pytestmark = pytest.mark.unit


@pytest.fixture
def fakes() -> Iterator[ProviderFakes]:
    with ProviderFakes() as running:  # on loopback ports, as make dev runs them
        yield running.start("http://127.0.0.1:9")


def named_class(path: str) -> object:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def test_the_local_stack_runs_the_fake_every_rail_spec_names(fakes: ProviderFakes) -> None:
    named = {s.name: named_class(s.local_fake) for s in registry.specs() if s.local_fake}
    assert {rail: type(fake) for rail, fake in fakes.by_rail.items()} == named
    assert set(RAILS) == set(named) == set(fakes.urls) - set(CRYPTO_FAKES)


def test_the_local_settings_configure_every_faked_rail_and_name_only_real_settings(
    fakes: ProviderFakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = fakes.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    faked = [spec for spec in registry.specs() if spec.name in RAILS]
    assert [spec.name for spec in faked if not spec.configured()] == []
    known = {name for spec in faked for name in spec.setting_names()}
    crypto = {f"SOKO_CRYPTO_{name}".upper() for name in CryptoSettings.model_fields}
    assert set(env) - known - crypto == {"SOKO_PUBLIC_BASE_URL"}
