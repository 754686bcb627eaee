"""Configuration, read once from the environment and validated.

In the cloud, Secret Manager secrets are mounted into these same variables by the
deployment; locally they are plain environment variables. A value may also be an
`sm://projects/P/secrets/NAME/versions/V` reference (functions/runtime/secrets.py).
Nothing here is logged, and every revealed secret is redacted from log lines.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from functions.runtime import secrets
from functions.runtime.env_settings import EnvConfig, EnvSettings

ENV_PREFIX = "SOKO_"


class MissingSetting(RuntimeError):
    """A setting this entry point needs is not configured."""


class Settings(EnvSettings):
    model_config = EnvConfig(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    # No default on purpose: silently running on memory storage in the cloud would lose money.
    backend: Literal["memory", "firestore"]
    # Which Firestore adapter the ports use: REST over httpx (functions/runtime/firestore_rest.py,
    # ~0.2 s less cold start: it never imports google.cloud.firestore), or the library's gRPC
    # client (~0.7 ms less per call on the emulator). docs/firestore-rest.md has the figures.
    firestore_client: Literal["library", "rest"] = "rest"
    gcp_project: str | None = None
    bot_token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    scheduler_secret: SecretStr | None = None
    # Set by `gcloud beta emulators pubsub env-init` locally; absent in the cloud.
    pubsub_emulator_host: str | None = Field(default=None, validation_alias="PUBSUB_EMULATOR_HOST")
    # Regional endpoint: ordered delivery needs every publish of a key to reach one region.
    pubsub_endpoint: str = "https://pubsub.googleapis.com"
    telegram_api_base: str = "https://api.telegram.org/bot"
    # The payment_webhook function's public URL; callbacks go to <it>/payments/<rail>/….
    public_base_url: str | None = None
    default_currency: str = "KES"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    relay_batch: int = Field(default=200, ge=1, le=500)
    # The relay republishes events left unmarked this long: a function marks what it
    # published in its next append, so a younger unmarked event is normally on the bus.
    relay_grace_s: int = Field(default=60, ge=0)
    # The reconcile job asks providers about payments pending longer than this.
    reconcile_after_s: int = Field(default=120, ge=0)
    payments_batch: int = Field(default=100, ge=1, le=500)
    # Telegram user ids allowed to approve transfers, refund, and run the shop: a JSON list.
    admin_ids: frozenset[int] = frozenset()
    # The bot's @name for the t.me links it hands out (referrals, circles, channels); unset,
    # the bot's own getMe answer names it (functions/telegram/bot_names.py).
    bot_username: str | None = None
    # Manual transfers (bank, BLIK): offered when these details (shown to the user: account,
    # IBAN, BLIK phone) are set and there is an admin to approve them.
    manual_transfer_details: str | None = Field(default=None, max_length=1000)
    manual_transfer_currency: str = "PLN"
    # How long "Buy" holds units for the buyer before expire-reservations releases them.
    reservation_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Offer Telegram Stars (XTR) deposits: no provider account needed, only the bot.
    stars_enabled: bool = False
    # Per-user rate limit on what users type and tap (functions/telegram/throttle.py):
    # commands a minute and the burst allowed; unset: no limit.
    rate_per_minute: float | None = Field(default=None, gt=0)
    rate_burst: int = Field(default=20, ge=1)
    # The local stack only (functions/runtime/offset_clock.py): a file of seconds the clock
    # runs ahead, which the console's /later moves; never set in a deployment.
    clock_offset_file: str | None = None

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    def secret(self, name: Literal["bot_token", "webhook_secret", "scheduler_secret"]) -> str:
        """The secret's value (an `sm://` reference is read once), or a failure naming it."""
        value: SecretStr | None = getattr(self, name)
        if value is None or not value.get_secret_value():
            raise MissingSetting(f"{ENV_PREFIX}{name.upper()} is not set")
        try:
            return secrets.reveal(value.get_secret_value())
        except secrets.SecretUnavailable as err:
            raise MissingSetting(f"{ENV_PREFIX}{name.upper()} {err}") from err

    def project(self) -> str:
        """The Google Cloud project id, required by the Firestore and Pub/Sub adapters."""
        if not self.gcp_project:
            raise MissingSetting(f"{ENV_PREFIX}GCP_PROJECT is not set")
        return self.gcp_project

    def bot_id(self) -> str:
        """The bot's numeric id: the part of the token before the colon."""
        return self.secret("bot_token").split(":", 1)[0]
