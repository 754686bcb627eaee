"""Rails are declared by their specs: the registry, the menus, the deployment's secrets and
the local stack read them, and reading them loads no rail's provider code."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

from functions.providers import registry
from functions.providers.spec import RailSettings, RailSpec
from functions.runtime import bootstrap
from functions.telegram.deposits import NATIVE, offered, options
from infra.deployment import env_var
from tests.builders import settings
from tests.functions.fake_rail import FakeRail
from tests.unit.test_rail_registry import MPESA, NOWPAYMENTS, PAKASIR

pytestmark = pytest.mark.unit
EXAMPLE = "tests.functions.fake_rail"


def resolve(path: str) -> object:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("spec", registry.specs(), ids=lambda s: s.name)
def test_a_registered_rail_names_code_that_exists(spec: RailSpec) -> None:
    assert spec.adapter is not None
    assert callable(resolve(spec.adapter))
    assert spec.settings is not None
    assert issubclass(spec.settings, RailSettings)
    assert spec.settings.model_config.get("env_prefix") == f"SOKO_{spec.name.upper()}_"
    assert spec.local_fake is not None
    assert isinstance(resolve(spec.local_fake), type)
    assert spec.currencies
    assert spec.example.startswith(f"/deposit {spec.name} ")


@pytest.mark.parametrize("spec", NATIVE, ids=lambda s: s.name)
def test_stars_and_manual_transfers_name_a_starter_and_no_provider(spec: RailSpec) -> None:
    assert spec.starter is not None
    assert callable(resolve(spec.starter))
    assert (spec.adapter, spec.settings, spec.offered_when is not None) == (None, None, True)


def test_deposit_options_are_the_registered_rails_then_stars_and_bank() -> None:
    names = [o.name for o in options()]
    assert names == [
        "mpesa",
        "pakasir",
        "nowpayments",
        "mtnmomo",
        "airtel",
        "flutterwave",
        "stars",
        "bank",
    ]
    assert "fake" not in [o.name for o in options()]  # the test rail is not in functions/


def test_what_a_rail_needs_from_the_payer_and_whether_it_pays_orders_are_declared() -> None:
    declared = {o.name: (o.payer_gives, o.pays_orders) for o in options()}
    assert declared == {
        "mpesa": ("phone", True),
        "pakasir": (None, True),
        "nowpayments": (None, True),
        "mtnmomo": ("phone", True),
        "airtel": ("phone", True),
        "flutterwave": ("phone", True),
        "stars": (None, True),
        "bank": ("reference", False),
    }


def test_the_deployment_mounts_each_rails_secrets_by_their_settings_names() -> None:
    assert registry.deployed_secrets() == (
        "mpesa_consumer_secret",
        "mpesa_passkey",
        "mpesa_callback_secret",
        "pakasir_api_key",
        "pakasir_webhook_secret",
        "nowpayments_api_key",
        "nowpayments_ipn_secret",
        "mtnmomo_subscription_key",
        "mtnmomo_api_key",
        "mtnmomo_callback_secret",
        "airtel_client_secret",
        "airtel_webhook_secret",
        "airtel_callback_hash_key",
        "flutterwave_secret_key",
        "flutterwave_secret_hash",
        "flutterwave_webhook_secret",
    )
    for spec in registry.specs():
        # Each is mounted where the rail's settings read it.
        assert {env_var(s) for s in spec.secret_names()} <= set(spec.setting_names())


def test_the_example_rail_is_one_module_and_one_registration_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "RAILS", (*registry.RAILS, EXAMPLE))
    for name in [*MPESA, *PAKASIR, *NOWPAYMENTS]:
        monkeypatch.delenv(name, raising=False)
    rt = bootstrap.build(settings())
    assert offered(rt) == []  # registered, but its settings are not set
    assert registry.deployed_secrets()[-1] == "fake_path_secret"

    monkeypatch.setenv("SOKO_FAKE_PATH_SECRET", "from-the-environment")
    rt = bootstrap.build(settings())
    assert [o.name for o in offered(rt)] == ["fake"]
    rail = rt.rails()["fake"]
    assert isinstance(rail, FakeRail)
    assert rail.path_secret == "from-the-environment"
    assert rt.rails()["fake"] is rail  # built once per runtime


def test_two_rails_may_not_share_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "RAILS", (*registry.RAILS, "functions.providers.mpesa"))
    with pytest.raises(ValueError, match="share a name"):
        registry.specs()


def test_a_module_without_a_provider_spec_cannot_be_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "RAILS", ("functions.providers.base",))
    with pytest.raises(TypeError, match="not a provider RailSpec"):
        registry.specs()


# Drawing /deposit, a rail's amount question and an order's Pay buttons, with every rail
# configured, then looking up a configured rail by name: none of it may load provider code.
PROBE = """
import sys
from events import Money
from functions.runtime import bootstrap
from functions.runtime.pipeline import Trace
from functions.telegram import deposits, shop
from functions.telegram.chat import Context
from functions.telegram.types import parse_update
from tests.builders import settings, text_update

rt = bootstrap.build(settings(stars_enabled=True))
update = parse_update(text_update("/deposit", user_id=7))
ctx = Context(rt, update, update.effective_user, 7, Trace(), "en", update.message)
menu = deposits.deposit_menu(ctx)
deposits.on_option_button(ctx, "mpesa")
for currency in ("KES", "IDR", "USD", "XTR"):
    shop.pay_buttons(ctx, "o1", Money(amount=100_000, currency=currency))
assert "mpesa" in rt.rails() and len(rt.rails()) == 3
print(len(menu["reply_markup"]["inline_keyboard"]))
print("\\n".join(sorted(sys.modules)))
{then}
"""
RAIL_CODE = (
    "functions.providers.http",
    "functions.providers.token_cache",
    *(f"functions.providers.{rail}." for rail in ("mpesa", "pakasir", "nowpayments")),
    "segno",
)  # not httpx: the Bot API client (functions/telegram/bot_api.py) uses it


def loaded(then: str = "") -> list[str]:
    env = {**os.environ, **MPESA, **PAKASIR, **NOWPAYMENTS}
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(then=then)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    buttons, *modules = result.stdout.split()
    assert buttons == "4"  # M-Pesa, QRIS, Crypto, Stars: every rail was really offered
    return modules


def test_drawing_deposit_and_the_pay_buttons_loads_no_rail_implementation() -> None:
    modules = loaded()
    assert "functions.providers.mpesa" in modules  # the specs themselves were read
    assert [m for m in modules if m.startswith(RAIL_CODE)] == []


def test_the_probe_sees_a_rail_implementation_once_a_rail_is_used() -> None:
    modules = loaded(
        then="rt.rails()['mpesa']; print('functions.providers.mpesa.rail' in sys.modules)"
    )
    assert modules[-1] == "True"


def test_crypto_amounts_are_typed_in_the_currency_invoices_are_priced_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (crypto,) = [o for o in options() if o.name == "nowpayments"]
    rt = bootstrap.build(settings())
    monkeypatch.setenv("SOKO_NOWPAYMENTS_PRICE_CURRENCY", "eur")
    assert crypto.currency_in(rt) == "EUR"
    assert crypto.takes(rt, "EUR")
    assert not crypto.takes(rt, "USD")  # its invoices would refuse a USD order
