"""The local stack's payment providers: fake M-Pesa, NOWPayments, Pakasir, MTN MoMo, Airtel
Money and Flutterwave on loopback, and for crypto deposits a fake Esplora per coin (BTC, LTC)
and a fake rates API.

`ProviderFakes` runs the fakes of `tests/fakes/` in this process (threads, like the
fake Telegram), with credentials generated per run, and gives the functions' environment
that points every rail at its fake. Callbacks reach the served `payment_webhook` through
`SOKO_PUBLIC_BASE_URL`; Pakasir's webhook URL is a project setting, so it is set on the fake.

Each fake has a control API under `/_fake/` (see the fakes' docstrings) that the chat
console's payer commands (`infra/local/payer.py`) and the end-to-end tests call.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from types import TracebackType
from typing import Self

from functions.providers import registry
from tests.fakes.airtel import FakeAirtel
from tests.fakes.esplora import FakeEsplora
from tests.fakes.flutterwave import FakeFlutterwave
from tests.fakes.mpesa import FakeMpesa
from tests.fakes.mtnmomo import FakeMtnMomo
from tests.fakes.nowpayments import FakeNowPayments
from tests.fakes.pakasir import FakePakasir
from tests.fakes.rates import FakeRates

__all__ = [
    "CRYPTO_FAKES",
    "LOCAL_BTC_XPUB",
    "LOCAL_LTC_XPUB",
    "MPESA_SHORTCODE",
    "PAKASIR_PROJECT",
    "PROVIDER_SETTINGS",
    "RAILS",
    "ProviderFakes",
    "ProviderSecrets",
]

# The rails whose spec names a local fake; ProviderFakes runs exactly those (a unit test,
# tests/unit/test_local_rails.py, fails when a registered rail's fake is not run here).
RAILS = tuple(spec.name for spec in registry.specs() if spec.local_fake)
MPESA_SHORTCODE = "174379"  # Daraja's sandbox paybill
PAKASIR_PROJECT = "soko-local"
MTN_API_USER = "0c1f5a2e-5b1d-4c8e-9f4a-3d2b1a0c9e8f"  # an API user is a UUID
MTN_TARGET = "mtnuganda"  # the local market: Uganda, UGX
AIRTEL_CLIENT_ID = "soko-local-airtel"
# Airtel's local market is Zambia (ZMW), so numbers of three countries land on three rails.
AIRTEL_COUNTRY, AIRTEL_CURRENCY = "ZM", "ZMW"
# Every setting `ProviderFakes.env()` gives: the local stack sets these itself, never from a
# developer's environment (the fakes check these credentials; a real URL would leave loopback).
PROVIDER_SETTINGS = (
    "SOKO_PUBLIC_BASE_URL",
    "SOKO_MPESA_BASE_URL",
    "SOKO_MPESA_CONSUMER_KEY",
    "SOKO_MPESA_CONSUMER_SECRET",
    "SOKO_MPESA_PASSKEY",
    "SOKO_MPESA_SHORTCODE",
    "SOKO_MPESA_CALLBACK_SECRET",
    "SOKO_NOWPAYMENTS_BASE_URL",
    "SOKO_NOWPAYMENTS_API_KEY",
    "SOKO_NOWPAYMENTS_IPN_SECRET",
    "SOKO_PAKASIR_BASE_URL",
    "SOKO_PAKASIR_PROJECT",
    "SOKO_PAKASIR_API_KEY",
    "SOKO_PAKASIR_WEBHOOK_SECRET",
    "SOKO_CRYPTO_BTC_ESPLORA_URL",
    "SOKO_CRYPTO_LTC_ESPLORA_URL",
    "SOKO_CRYPTO_RATES_URL",
    "SOKO_MTNMOMO_BASE_URL",
    "SOKO_MTNMOMO_SUBSCRIPTION_KEY",
    "SOKO_MTNMOMO_API_USER",
    "SOKO_MTNMOMO_API_KEY",
    "SOKO_MTNMOMO_TARGET_ENVIRONMENT",
    "SOKO_MTNMOMO_CURRENCY",
    "SOKO_MTNMOMO_COUNTRY",
    "SOKO_MTNMOMO_CALLBACK_SECRET",
    "SOKO_AIRTEL_BASE_URL",
    "SOKO_AIRTEL_CLIENT_ID",
    "SOKO_AIRTEL_CLIENT_SECRET",
    "SOKO_AIRTEL_COUNTRY",
    "SOKO_AIRTEL_CURRENCY",
    "SOKO_AIRTEL_WEBHOOK_SECRET",
    "SOKO_AIRTEL_CALLBACK_HASH_KEY",
    "SOKO_FLUTTERWAVE_BASE_URL",
    "SOKO_FLUTTERWAVE_SECRET_KEY",
    "SOKO_FLUTTERWAVE_SECRET_HASH",
    "SOKO_FLUTTERWAVE_WEBHOOK_SECRET",
    "SOKO_FLUTTERWAVE_EMAIL_DOMAIN",
)
# The fakes for crypto deposits, which are no rails: a chain per coin and the rates API.
CRYPTO_FAKES = ("esplora-btc", "esplora-ltc", "rates")
# The account keys of BIP84's test vector ("abandon x11 about"): public, and every private
# key of them is public too, so nothing sent to them is anyone's. Local stack only.
LOCAL_BTC_XPUB = (
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDK"
    "f31mGDtKsAYz2oz2AGutZYs"
)
LOCAL_LTC_XPUB = (
    "zpub6rPo5mF47z5coVm5rvWv7fv181awb7Vckn5Cf3xQXBVKu18kuBHDhNi1Jrb4br6vVD3ZbrnXemEsWJoR18mZ"
    "wkUdzwD8TQnHDUCGxqZ6swA"
)


@dataclass(frozen=True, repr=False)
class ProviderSecrets:
    """Random per run: every provider credential and callback secret."""

    mpesa_consumer_key: str
    mpesa_consumer_secret: str
    mpesa_passkey: str
    mpesa_callback_secret: str
    nowpayments_api_key: str
    nowpayments_ipn_secret: str
    pakasir_api_key: str
    pakasir_webhook_secret: str
    mtnmomo_subscription_key: str
    mtnmomo_api_key: str
    mtnmomo_callback_secret: str
    airtel_client_secret: str
    airtel_webhook_secret: str
    airtel_callback_hash_key: str
    flutterwave_secret_key: str
    flutterwave_secret_hash: str
    flutterwave_webhook_secret: str

    @classmethod
    def generate(cls) -> ProviderSecrets:
        # URL-safe: the callback and webhook secrets are path segments.
        return cls(*(secrets.token_urlsafe(24) for _ in fields(cls)))

    def values(self) -> tuple[str, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def __repr__(self) -> str:  # secrets must not end up in a log or a test report
        return "ProviderSecrets(<hidden>)"


class ProviderFakes:
    """The three fake providers, started against one public base URL (payment_webhook's)."""

    def __init__(self, provider_secrets: ProviderSecrets | None = None) -> None:
        self.secrets = provider_secrets or ProviderSecrets.generate()
        s = self.secrets
        self.mpesa = FakeMpesa(
            s.mpesa_consumer_key, s.mpesa_consumer_secret, s.mpesa_passkey, MPESA_SHORTCODE
        )
        self.nowpayments = FakeNowPayments(s.nowpayments_api_key, s.nowpayments_ipn_secret)
        self.pakasir = FakePakasir(PAKASIR_PROJECT, s.pakasir_api_key)
        self.esplora_btc = FakeEsplora("btc")
        self.esplora_ltc = FakeEsplora("ltc")
        self.rates = FakeRates()
        self.mtnmomo = FakeMtnMomo(
            s.mtnmomo_subscription_key, MTN_API_USER, s.mtnmomo_api_key, MTN_TARGET, "UGX"
        )
        self.airtel = FakeAirtel(
            AIRTEL_CLIENT_ID, s.airtel_client_secret, AIRTEL_COUNTRY, AIRTEL_CURRENCY,
            hash_key=s.airtel_callback_hash_key,
        )  # fmt: skip
        self.flutterwave = FakeFlutterwave(s.flutterwave_secret_key, s.flutterwave_secret_hash)
        self.public_base_url = ""
        self._started = False

    def __repr__(self) -> str:
        return f"<ProviderFakes {'started' if self._started else 'idle'}>"

    def start(self, public_base_url: str) -> Self:
        """Serve the fakes; callbacks go to `<public_base_url>/payments/<rail>/...`."""
        self.public_base_url = public_base_url.rstrip("/")
        self._started = True
        self.pakasir.set_webhook(
            f"{self.public_base_url}/payments/pakasir/{self.secrets.pakasir_webhook_secret}"
        )
        self.mpesa.start()
        self.nowpayments.start()
        self.pakasir.start()
        for fake in (self.esplora_btc, self.esplora_ltc, self.rates):
            fake.start()
        self.airtel.callback_url = (
            f"{self.public_base_url}/payments/airtel/{self.secrets.airtel_webhook_secret}"
        )
        self.flutterwave.webhook_url = (
            f"{self.public_base_url}/payments/flutterwave/{self.secrets.flutterwave_webhook_secret}"
        )
        self.mtnmomo.start()
        self.airtel.start()
        self.flutterwave.start()
        return self

    def stop(self) -> None:
        """Stop every fake (started or not: NOWPayments' binds at construction); idempotent."""
        self._started = False
        self.mpesa.stop()
        self.nowpayments.stop()
        self.pakasir.stop()
        for fake in (self.esplora_btc, self.esplora_ltc, self.rates):
            fake.stop()
        self.mtnmomo.stop()
        self.airtel.stop()
        self.flutterwave.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def by_rail(self) -> dict[str, object]:
        """Each fake by the rail it stands in for."""
        return {
            "mpesa": self.mpesa,
            "nowpayments": self.nowpayments,
            "pakasir": self.pakasir,
            "mtnmomo": self.mtnmomo,
            "airtel": self.airtel,
            "flutterwave": self.flutterwave,
        }

    @property
    def urls(self) -> dict[str, str]:
        """Each fake's root URL: its control API is under `<url>/_fake/`."""
        return {
            "mpesa": self.mpesa.base_url,
            "nowpayments": self.nowpayments.base_url.removesuffix("/v1"),
            "pakasir": self.pakasir.base_url,
            "esplora-btc": self.esplora_btc.base_url,
            "esplora-ltc": self.esplora_ltc.base_url,
            "rates": self.rates.base_url,
            "mtnmomo": self.mtnmomo.base_url,
            "airtel": self.airtel.base_url,
            "flutterwave": self.flutterwave.base_url,
        }

    @property
    def ports(self) -> dict[str, int]:
        return {rail: int(url.rsplit(":", 1)[1]) for rail, url in self.urls.items()}

    def env(self) -> dict[str, str]:
        """The functions' settings that configure every rail against its fake (exactly
        `PROVIDER_SETTINGS`)."""
        s = self.secrets
        env = {
            "SOKO_PUBLIC_BASE_URL": self.public_base_url,
            "SOKO_MPESA_BASE_URL": self.mpesa.base_url,
            "SOKO_MPESA_CONSUMER_KEY": s.mpesa_consumer_key,
            "SOKO_MPESA_CONSUMER_SECRET": s.mpesa_consumer_secret,
            "SOKO_MPESA_PASSKEY": s.mpesa_passkey,
            "SOKO_MPESA_SHORTCODE": MPESA_SHORTCODE,
            "SOKO_MPESA_CALLBACK_SECRET": s.mpesa_callback_secret,
            "SOKO_NOWPAYMENTS_BASE_URL": self.nowpayments.base_url,
            "SOKO_NOWPAYMENTS_API_KEY": s.nowpayments_api_key,
            "SOKO_NOWPAYMENTS_IPN_SECRET": s.nowpayments_ipn_secret,
            "SOKO_PAKASIR_BASE_URL": self.pakasir.base_url,
            "SOKO_PAKASIR_PROJECT": PAKASIR_PROJECT,
            "SOKO_PAKASIR_API_KEY": s.pakasir_api_key,
            "SOKO_PAKASIR_WEBHOOK_SECRET": s.pakasir_webhook_secret,
            "SOKO_CRYPTO_BTC_ESPLORA_URL": self.esplora_btc.base_url,
            "SOKO_CRYPTO_LTC_ESPLORA_URL": self.esplora_ltc.base_url,
            "SOKO_CRYPTO_RATES_URL": self.rates.base_url,
            "SOKO_MTNMOMO_BASE_URL": self.mtnmomo.base_url,
            "SOKO_MTNMOMO_SUBSCRIPTION_KEY": s.mtnmomo_subscription_key,
            "SOKO_MTNMOMO_API_USER": MTN_API_USER,
            "SOKO_MTNMOMO_API_KEY": s.mtnmomo_api_key,
            "SOKO_MTNMOMO_TARGET_ENVIRONMENT": MTN_TARGET,
            "SOKO_MTNMOMO_CURRENCY": "UGX",
            "SOKO_MTNMOMO_COUNTRY": "UG",
            "SOKO_MTNMOMO_CALLBACK_SECRET": s.mtnmomo_callback_secret,
            "SOKO_AIRTEL_BASE_URL": self.airtel.base_url,
            "SOKO_AIRTEL_CLIENT_ID": AIRTEL_CLIENT_ID,
            "SOKO_AIRTEL_CLIENT_SECRET": s.airtel_client_secret,
            "SOKO_AIRTEL_COUNTRY": AIRTEL_COUNTRY,
            "SOKO_AIRTEL_CURRENCY": AIRTEL_CURRENCY,
            "SOKO_AIRTEL_WEBHOOK_SECRET": s.airtel_webhook_secret,
            "SOKO_AIRTEL_CALLBACK_HASH_KEY": s.airtel_callback_hash_key,
            "SOKO_FLUTTERWAVE_BASE_URL": self.flutterwave.base_url,
            "SOKO_FLUTTERWAVE_SECRET_KEY": s.flutterwave_secret_key,
            "SOKO_FLUTTERWAVE_SECRET_HASH": s.flutterwave_secret_hash,
            "SOKO_FLUTTERWAVE_WEBHOOK_SECRET": s.flutterwave_webhook_secret,
            "SOKO_FLUTTERWAVE_EMAIL_DOMAIN": "soko.local",
        }
        assert tuple(env) == PROVIDER_SETTINGS, "PROVIDER_SETTINGS must name every setting"
        return env
