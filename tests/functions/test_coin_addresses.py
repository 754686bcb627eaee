"""Each user gets their own deposit address from the coin's pool, the same one every time,
and concurrent requests never hand one index to two users."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from functions.crypto.addresses import address_for
from functions.crypto.coins import CryptoSettings
from functions.domain import coinaddress
from functions.runtime.bootstrap import Runtime
from tests.unit.test_coin_keys import BTC_RECEIVE, BTC_ZPUB, LTC_RECEIVE_0, LTC_ZPUB

pytestmark = pytest.mark.functions


def crypto(rt: Runtime, **values: object) -> CryptoSettings:
    found = CryptoSettings(btc_xpub=BTC_ZPUB, ltc_xpub=LTC_ZPUB, **values)  # type: ignore[arg-type]
    rt.context_settings[CryptoSettings] = found
    return found


def test_first_users_get_the_vector_addresses_in_order_and_keep_them(
    memory_runtime: Runtime,
) -> None:
    btc = crypto(memory_runtime).coin("BTC")
    assert btc is not None
    first = address_for(memory_runtime, btc, 101)
    second = address_for(memory_runtime, btc, 102)
    again = address_for(memory_runtime, btc, 101)
    assert [first.address, second.address] == BTC_RECEIVE
    assert again == first
    state = memory_runtime.pipeline.current(coinaddress.addresses, first.stream)
    assert (state.user_id, state.index, state.address) == (101, 0, BTC_RECEIVE[0])
    assert state.expect_until is not None
    assert state.watching


def test_each_coin_has_its_own_pool(memory_runtime: Runtime) -> None:
    settings = crypto(memory_runtime)
    btc, ltc = settings.coin("BTC"), settings.coin("LTC")
    assert btc is not None
    assert ltc is not None
    address_for(memory_runtime, btc, 7)
    assert address_for(memory_runtime, ltc, 8).address == LTC_RECEIVE_0


def test_concurrent_requests_hand_out_distinct_indexes(memory_runtime: Runtime) -> None:
    btc = crypto(memory_runtime).coin("BTC")
    assert btc is not None
    users = list(range(500, 516)) * 2  # every user asks twice, all at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        handed = list(pool.map(lambda user: address_for(memory_runtime, btc, user), users))
    by_user = {user: h.index for user, h in zip(users, handed, strict=True)}
    assert sorted(by_user.values()) == list(range(16))  # distinct, no gap, none twice
    for user, h in zip(users, handed, strict=True):
        assert h.index == by_user[user]  # both requests of a user got the same address
