"""The coins we take and their settings, read once per instance: light, no key code."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from functions.runtime.env_settings import EnvConfig, EnvSettings

if TYPE_CHECKING:  # the events module is not needed to read the settings
    from events.coins import Coin

# SLIP-44 coin types for m/84'/coin'/0'; the bech32 prefix each coin's addresses start with.
COIN_TYPES: dict[Coin, int] = {"BTC": 0, "LTC": 2}
HRP: dict[Coin, str] = {"BTC": "bc", "LTC": "ltc"}
NAMES: dict[str, Coin] = {"btc": "BTC", "ltc": "LTC"}


class CryptoSettings(EnvSettings):
    """SOKO_CRYPTO_*: which coins are offered (those with an account key) and how.

    btc_xpub / ltc_xpub: the account-level extended public key (depth 3, m/84'/coin'/0'),
    exported as xpub or zpub (BTC), Ltub, Mtub or zpub (LTC). Public, but it reveals every
    address of the account: a deployment sets it, nothing commits a production one.
    *_confirmations: blocks before a deposit is credited. *_minimum: smallest output credited,
    in satoshis / litoshis; smaller ones are recorded as dust. currency: what wallets are
    credited in. max_rate_age_s: an output is priced only with a rate this fresh.
    """

    model_config = EnvConfig(env_prefix="SOKO_CRYPTO_", frozen=True, extra="ignore")
    btc_xpub: str = ""
    ltc_xpub: str = ""
    btc_esplora_url: str = "https://blockstream.info/api"
    ltc_esplora_url: str = "https://litecoinspace.org/api"
    btc_confirmations: int = 2
    ltc_confirmations: int = 6
    btc_minimum: int = 10_000  # 0.0001 BTC
    ltc_minimum: int = 100_000  # 0.001 LTC
    currency: str = "PLN"
    rates_url: str = "https://api.coingecko.com/api/v3"
    max_rate_age_s: int = 1800
    expect_hours: int = 24  # how long an address is watched after it was shown
    settle_depth: int = 6  # further blocks a credited output is watched for vanishing
    watch_batch: int = 500
    max_pages: int = 20  # of 25 confirmed transactions per address and run

    def coin(self, code: Coin) -> CoinConfig | None:
        """The coin as configured, or None when no account key is set (not offered)."""
        key = self.btc_xpub if code == "BTC" else self.ltc_xpub
        if not key.strip():
            return None
        low = code.lower()
        return CoinConfig(
            code=code,
            xpub=key.strip(),
            esplora_url=str(getattr(self, f"{low}_esplora_url")).rstrip("/"),
            confirmations=int(getattr(self, f"{low}_confirmations")),
            minimum=int(getattr(self, f"{low}_minimum")),
        )

    def coins(self) -> tuple[CoinConfig, ...]:
        found = (self.coin("BTC"), self.coin("LTC"))
        return tuple(c for c in found if c is not None)


@dataclass(frozen=True)
class CoinConfig:
    code: Coin
    xpub: str  # as exported; keys.account_key() normalises it
    esplora_url: str
    confirmations: int
    minimum: int

    @property
    def name(self) -> str:
        """What the user types: `/deposit btc`."""
        return self.code.lower()


def account_of(zpub: str) -> str:
    """The account's short name in stream ids (8 hex of SHA-256 of the normalised key)."""
    return hashlib.sha256(zpub.encode()).hexdigest()[:8]
