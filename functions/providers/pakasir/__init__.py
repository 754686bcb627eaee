"""Pakasir (Indonesia, QRIS, IDR): the rail's spec and settings, nothing that connects.
The adapter is in `rail.py` and the QR image in `qr.py`; the registry imports them only
when this rail is built (functions/providers/spec.py says why).
"""

from __future__ import annotations

from typing import Final

from pydantic import SecretStr

from functions.providers.spec import Limits, PacedRailSettings, RailSpec
from functions.runtime.env_settings import EnvConfig

ENV_PREFIX: Final = "SOKO_PAKASIR_"
MIN_AMOUNT_IDR: Final = 500  # whole rupiah; from an unofficial SDK, unconfirmed by Pakasir


class PakasirSettings(PacedRailSettings):
    model_config = EnvConfig(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    base_url: str = "https://app.pakasir.com"
    project: str = ""  # the project's slug
    api_key: SecretStr = SecretStr("")
    webhook_secret: SecretStr = SecretStr("")  # our webhook URL's last path segment
    method: str = "qris"

    def configured(self) -> bool:
        """True when every credential this rail needs is set."""
        return bool(
            self.project
            and self.api_key.get_secret_value().strip()
            and self.webhook_secret.get_secret_value().strip()
        )


SPEC = RailSpec(
    name="pakasir",
    label="QRIS",
    currencies=("IDR",),
    example="/deposit pakasir 50000",
    pays_orders=True,
    limits=Limits(minimum=MIN_AMOUNT_IDR, whole_units=True),
    settings=PakasirSettings,
    adapter="functions.providers.pakasir.rail:build",
    local_fake="tests.fakes.pakasir:FakePakasir",
)
