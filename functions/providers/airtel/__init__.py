"""Airtel Money Collections (USSD push): the rail's spec and settings, nothing that connects.

One deployment collects in one Airtel market (`country` and `currency`: X-Country and
X-Currency on every call). The adapter is in `rail.py`; the registry imports it only when
this rail is built (functions/providers/spec.py says why).
"""

from __future__ import annotations

from typing import Final

from pydantic import SecretStr

from functions.providers.spec import Limits, PacedRailSettings, RailSpec
from functions.runtime.env_settings import EnvConfig

ENV_PREFIX: Final = "SOKO_AIRTEL_"


class AirtelSettings(PacedRailSettings):
    model_config = EnvConfig(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    base_url: str = "https://openapi.airtel.africa"  # UAT: https://openapiuat.airtel.africa
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    country: str = "UG"  # X-Country, ISO-2
    currency: str = "UGX"  # X-Currency
    # Our callback URL's last path segment: Airtel calls one URL per app, set in its portal.
    webhook_secret: SecretStr = SecretStr("")
    # The portal's private key when callback authentication is on: callbacks must then carry
    # its `hash`. Empty: callbacks carry none (they are confirmed by an enquiry either way).
    callback_hash_key: SecretStr = SecretStr("")

    def configured(self) -> bool:
        """True when every value this rail needs is set (the bot offers only these rails)."""
        return all(
            value.strip()
            for value in (
                self.base_url,
                self.client_id,
                self.client_secret.get_secret_value(),
                self.country,
                self.currency,
                self.webhook_secret.get_secret_value(),
            )
        )


SPEC = RailSpec(
    name="airtel",
    label="Airtel Money",
    currencies=("UGX", "KES", "TZS", "RWF", "ZMW", "MWK", "NGN"),
    example="/deposit airtel 5000 0752123456",
    payer_gives="phone",  # the USSD push prompts this phone
    pays_orders=True,
    limits=Limits(minimum=1, whole_units=True),
    settings=AirtelSettings,
    adapter="functions.providers.airtel.rail:build",
    local_fake="tests.fakes.airtel:FakeAirtel",
    configured_currency=lambda rt: AirtelSettings.from_env().currency,
)
