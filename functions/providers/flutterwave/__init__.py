"""Flutterwave (v3): mobile-money charges across Africa, and a hosted payment link where
mobile money is not offered. The rail's spec and settings, nothing that connects; the
adapter is in `rail.py` and the wire format in `wire.py`.
"""

from __future__ import annotations

from typing import Final

from pydantic import SecretStr

from functions.providers.spec import Limits, PacedRailSettings, RailSpec
from functions.runtime.env_settings import EnvConfig

ENV_PREFIX: Final = "SOKO_FLUTTERWAVE_"


class FlutterwaveSettings(PacedRailSettings):
    model_config = EnvConfig(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    base_url: str = "https://api.flutterwave.com"
    secret_key: SecretStr = SecretStr("")  # FLWSECK-…
    # The dashboard's "secret hash": sent verbatim as `verif-hash`, or the key of the
    # `flutterwave-signature` HMAC, on every webhook.
    secret_hash: SecretStr = SecretStr("")
    # Our webhook URL's last path segment: the dashboard holds one webhook URL per account.
    webhook_secret: SecretStr = SecretStr("")
    # Flutterwave requires a customer email; payers give none, so each gets
    # `user<telegram id>@<email_domain>` (a domain of the merchant's).
    email_domain: str = ""
    redirect_url: str = ""  # where a hosted payment sends the payer back (optional)

    def configured(self) -> bool:
        """True when every value this rail needs is set (the bot offers only these rails)."""
        return all(
            value.strip()
            for value in (
                self.base_url,
                self.secret_key.get_secret_value(),
                self.secret_hash.get_secret_value(),
                self.webhook_secret.get_secret_value(),
                self.email_domain,
            )
        )


SPEC = RailSpec(
    name="flutterwave",
    label="Flutterwave",
    # The first is what a typed amount is in unless the payer's phone says otherwise.
    currencies=("KES", "UGX", "GHS", "RWF", "ZMW", "TZS", "XAF", "XOF", "NGN"),
    example="/deposit flutterwave 1500 0712345678",
    payer_gives="phone",
    pays_orders=True,
    limits=Limits(minimum=1),
    settings=FlutterwaveSettings,
    adapter="functions.providers.flutterwave.rail:build",
    local_fake="tests.fakes.flutterwave:FakeFlutterwave",
)
