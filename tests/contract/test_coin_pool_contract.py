"""Handing out deposit addresses under concurrency, on every store adapter: the pool stream's
optimistic concurrency gives each user their own index, and a user asking twice the same."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from functions.crypto.addresses import address_for
from functions.crypto.coins import CryptoSettings
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock
from tests import builders
from tests.contract.conftest import Adapters
from tests.unit.test_coin_keys import BTC_ZPUB

pytestmark = pytest.mark.contract


def test_concurrent_users_get_distinct_indexes_and_each_keeps_theirs(adapters: Adapters) -> None:
    rt = Runtime(builders.settings(), adapters.store, adapters.publisher, adapters.read_models)
    rt.clock = FixedClock()
    rt.context_settings[CryptoSettings] = CryptoSettings(btc_xpub=BTC_ZPUB)
    coin = rt.settings_of(CryptoSettings).coin("BTC")
    assert coin is not None
    users = [201, 202, 203, 204, 205, 206] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        handed = list(pool.map(lambda user: address_for(rt, coin, user), users))
    index = {user: h.index for user, h in zip(users, handed, strict=True)}
    assert sorted(index.values()) == list(range(6))
    assert all(h.index == index[u] for u, h in zip(users, handed, strict=True))
    assert len({h.address for h in handed}) == 6
