"""NOWPayments (crypto invoices priced in fiat): the rail's spec and settings, nothing that
connects. The adapter is in `rail.py`, its IPN parsing in `ipn.py` and `sig.py`; the
registry imports them only when this rail is built (functions/providers/spec.py says why).
"""

from __future__ import annotations

from pydantic import SecretStr

from functions.providers.spec import PacedRailSettings, RailSpec
from functions.runtime.env_settings import EnvConfig


class NowPaymentsSettings(PacedRailSettings):
    model_config = EnvConfig(env_prefix="SOKO_NOWPAYMENTS_", frozen=True, extra="ignore")

    base_url: str = "https://api.nowpayments.io/v1"
    api_key: SecretStr = SecretStr("")
    ipn_secret: SecretStr = SecretStr("")
    price_currency: str = "usd"  # the fiat currency invoices are priced in

    def configured(self) -> bool:
        """True when both the API key and the IPN secret are set."""
        return bool(self.api_key.get_secret_value().strip()) and bool(
            self.ipn_secret.get_secret_value().strip()
        )


SPEC = RailSpec(
    name="nowpayments",
    label="Crypto",
    currencies=("USD",),
    # Amounts are typed in the currency invoices are priced in, whatever it is set to.
    configured_currency=lambda rt: NowPaymentsSettings.from_env().price_currency.upper(),
    example="/deposit nowpayments 25.00",
    pays_orders=True,  # a partial payment an admin approves goes to the wallet
    settings=NowPaymentsSettings,
    adapter="functions.providers.nowpayments.rail:build",
    local_fake="tests.fakes.nowpayments:FakeNowPayments",
)
