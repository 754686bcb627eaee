"""MTN MoMo Collections (request to pay): the rail's spec and settings, nothing that connects.

One deployment collects in one MTN market (`target_environment`, e.g. `mtnuganda`, and its
currency; the sandbox is `sandbox` in EUR). The adapter is in `rail.py` (HTTP, token) and
`wire.py` (MTN's formats); the registry imports them only when this rail is built.
"""

from __future__ import annotations

from typing import Final

from pydantic import SecretStr

from functions.providers.spec import Limits, PacedRailSettings, RailSpec
from functions.runtime.env_settings import EnvConfig

ENV_PREFIX: Final = "SOKO_MTNMOMO_"


class MtnMomoSettings(PacedRailSettings):
    model_config = EnvConfig(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    base_url: str = "https://proxy.momoapi.mtn.com"  # sandbox.momodeveloper.mtn.com
    subscription_key: SecretStr = SecretStr("")  # Ocp-Apim-Subscription-Key (Collections)
    api_user: str = ""  # the API user's UUID
    api_key: SecretStr = SecretStr("")
    target_environment: str = ""  # X-Target-Environment: mtnuganda, mtnzambia, sandbox…
    currency: str = "UGX"  # the market's currency (EUR in the sandbox)
    country: str = "UG"  # ISO-2 of the market: a national phone number is dialled here
    callback_secret: SecretStr = SecretStr("")  # the key of the per-payment callback tokens

    def configured(self) -> bool:
        """True when every value this rail needs is set (the bot offers only these rails)."""
        return all(
            value.strip()
            for value in (
                self.base_url,
                self.subscription_key.get_secret_value(),
                self.api_user,
                self.api_key.get_secret_value(),
                self.target_environment,
                self.currency,
                self.callback_secret.get_secret_value(),
            )
        )


SPEC = RailSpec(
    name="mtnmomo",
    label="MTN MoMo",
    currencies=("UGX", "GHS", "RWF", "ZMW", "XAF", "XOF", "EUR"),
    example="/deposit mtnmomo 5000 0772123456",
    payer_gives="phone",  # the request to pay prompts this phone
    pays_orders=True,
    limits=Limits(minimum=1),
    settings=MtnMomoSettings,
    adapter="functions.providers.mtnmomo.rail:build",
    local_fake="tests.fakes.mtnmomo:FakeMtnMomo",
    configured_currency=lambda rt: MtnMomoSettings.from_env().currency,
)
