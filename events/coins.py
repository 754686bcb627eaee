"""Events of crypto deposits to per-user addresses (BTC, LTC), in three kinds of stream.

- `coinpool-<coin>-<account>`: hands out address indexes of one account key, one per user;
  its version serialises allocation, so two users never get the same index.
- `coinaddress-<coin>-<account>-<index>`: one handed-out address and every output to it we
  saw on chain, from first sight to credit (or drop); the money itself moves on a payment
  opened for each output (functions/reactors/coin_deposits.py), so the wallet's and the
  ledger's rules hold as for every rail.
- `coinrate-<coin>-<currency>`: the rates the update-rates job recorded.

`account` is the first 8 hex digits of SHA-256 of the account key (in zpub form): a new key
starts new indexes instead of handing out another key's addresses under old numbers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from events.base import Event
from events.catalog import event
from events.money import Money, currency

Coin = Literal["BTC", "LTC"]


class Rate(BaseModel):
    """What one whole coin was worth: `minor_per_coin` minor units of `currency` (PLN
    grosze per BTC), quoted by `source` at `at`; the quote was rounded down to the unit."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    coin: Coin
    currency: str = Field(min_length=3, max_length=3)
    minor_per_coin: int = Field(gt=0)
    # Not strict: a snapshot's JSON gives the time as text (the model stays strict otherwise).
    at: AwareDatetime = Field(strict=False)
    source: str = Field(max_length=64)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, code: str) -> str:
        return currency(code).code


@event("coinpool.address_handed_out.v1")
class AddressHandedOut(Event):
    """`user_id` owns index `index` of this account from now on; nobody else ever will."""

    coin: Coin
    account: str
    index: int = Field(ge=0)
    user_id: int


@event("coinaddress.opened.v1")
class CoinAddressOpened(Event):
    """The address derived for a handed-out index (m/84'/coin'/0'/0/index)."""

    coin: Coin
    account: str
    index: int = Field(ge=0)
    user_id: int
    address: str = Field(max_length=100)


@event("coinaddress.expected.v1")
class DepositExpected(Event):
    """The user was shown the address: watch it until `until` even if nothing arrives."""

    until: AwareDatetime


@event("coinaddress.output_seen.v1")
class OutputSeen(Event):
    """An output `txid:vout` paying this address, first seen (in the mempool or a block).

    Its value is fixed here, at detection: `floor(amount * rate / 10^8)` in the rate's
    currency; `dust` (below the minimum, or worth nothing) is recorded and never credited."""

    txid: str = Field(min_length=64, max_length=64)
    vout: int = Field(ge=0)
    user_id: int
    amount: Money  # satoshis or litoshis
    rate: Rate
    value: Money  # what it credits, in the shop's currency
    dust: bool = False
    block_height: int | None = None
    block_hash: str | None = None


@event("coinaddress.output_mined.v1")
class OutputMined(Event):
    """The output's transaction is now in block `block_height` (or, with None, back in the
    mempool after a reorg); confirmations count from this block."""

    txid: str
    vout: int
    block_height: int | None = None
    block_hash: str | None = None


@event("coinaddress.output_credited.v1")
class OutputCredited(Event):
    """The output reached the confirmations needed: its payment succeeds with `value`, worth
    `amount` at `rate`, both as recorded when it was seen (None only in credits written
    before the credit named them)."""

    txid: str
    vout: int
    payment_id: str
    user_id: int
    value: Money
    confirmations: int
    amount: Money | None = None
    rate: Rate | None = None


@event("coinaddress.output_dropped.v1")
class OutputDropped(Event):
    """The transaction vanished before the output was credited (reorg, replaced): nothing
    is credited; if it comes back, it is seen again under the same id."""

    txid: str
    vout: int
    payment_id: str
    user_id: int  # who and how much, so its payment can be opened from this event alone
    value: Money
    reason: str = Field(max_length=200)


@event("coinaddress.credited_output_vanished.v1")
class CreditedOutputVanished(Event):
    """A credited output's transaction left the chain: the admins are told; the money is
    not taken back automatically (the user may have spent it), an admin decides."""

    txid: str
    vout: int
    payment_id: str
    user_id: int
    value: Money


@event("coinaddress.watch_ended.v1")
class WatchEnded(Event):
    """Nothing is expected and every output is settled deep enough: stop asking the chain."""


@event("coinrate.recorded.v1")
class RateRecorded(Event):
    rate: Rate
