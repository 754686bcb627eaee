"""M-Pesa Daraja STK Push (Kenya, KES): the rail's spec and settings, nothing that connects.

The adapter is in `rail.py` (HTTP, OAuth token) and `wire.py` (Daraja's formats); the
registry imports them only when this rail is built (functions/providers/spec.py says why).
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import SecretStr

from functions.providers.spec import Limits, PacedRailSettings, RailSpec
from functions.runtime.env_settings import EnvConfig

ENV_PREFIX: Final = "SOKO_MPESA_"
MIN_SHILLINGS: Final = 1
MAX_SHILLINGS: Final = 250_000  # Daraja's limit for one STK push


class MpesaSettings(PacedRailSettings):
    model_config = EnvConfig(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    base_url: str = "https://api.safaricom.co.ke"  # sandbox: https://sandbox.safaricom.co.ke
    consumer_key: str = ""
    consumer_secret: SecretStr = SecretStr("")
    passkey: SecretStr = SecretStr("")
    shortcode: str = ""  # BusinessShortCode (paybill, or the store number of a till)
    party_b: str = ""  # who receives: the till for CustomerBuyGoodsOnline; default shortcode
    transaction_type: Literal["CustomerPayBillOnline", "CustomerBuyGoodsOnline"] = (
        "CustomerPayBillOnline"
    )
    callback_secret: SecretStr = SecretStr("")  # the key of the per-payment callback tokens

    def configured(self) -> bool:
        """True when every value this rail needs is set (the bot offers only these rails)."""
        return all(
            value.strip()
            for value in (
                self.base_url,
                self.consumer_key,
                self.consumer_secret.get_secret_value(),
                self.passkey.get_secret_value(),
                self.shortcode,
                self.callback_secret.get_secret_value(),
            )
        )


SPEC = RailSpec(
    name="mpesa",
    label="M-Pesa",
    currencies=("KES",),
    example="/deposit mpesa 1500 0712345678",
    payer_gives="phone",  # the STK push prompts this phone
    pays_orders=True,
    limits=Limits(MIN_SHILLINGS, MAX_SHILLINGS, whole_units=True),
    settings=MpesaSettings,
    adapter="functions.providers.mpesa.rail:build",
    local_fake="tests.fakes.mpesa:FakeMpesa",
)
