"""Handing a user their deposit address: the next index of the coin's pool, derived once.

Three idempotent decisions, each safe to repeat after a crash between them: the pool hands
out an index (or finds the user's), the address stream records the derived address, and it
records that a deposit is expected (so the watch-chain job asks the chain about it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from functions.crypto import keys
from functions.crypto.coins import CoinConfig, CryptoSettings, account_of
from functions.domain import coinaddress, coinpool
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace


@dataclass(frozen=True)
class Handed:
    coin: CoinConfig
    index: int
    address: str
    stream: str


def address_for(rt: Runtime, coin: CoinConfig, user_id: int) -> Handed:
    """The user's address for this coin (the same one every time), watched from now on."""
    zpub = keys.account_key(coin.xpub, coin.code)
    account = account_of(zpub)
    pool = coinpool.stream_of(coin.code, account)
    hand_out = coinpool.HandOut(coin.code, account, user_id)
    rt.pipeline.execute(coinpool.pools, pool, hand_out, Trace(None, None, pool))
    index = rt.pipeline.current(coinpool.pools, pool).index_of(user_id)
    assert index is not None  # handed out above, or before
    address = keys.receive_address(zpub, coin.code, index)
    stream = coinaddress.stream_of(coin.code, account, index)
    why = Trace(None, None, stream)
    opened = coinaddress.Open(coin.code, account, index, user_id, address)
    rt.pipeline.execute(coinaddress.addresses, stream, opened, why)
    hours = rt.settings_of(CryptoSettings).expect_hours
    expect = coinaddress.Expect(until=rt.clock.now() + timedelta(hours=hours))
    rt.pipeline.execute(coinaddress.addresses, stream, expect, why)
    return Handed(coin, index, address, stream)
