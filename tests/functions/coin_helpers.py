"""A memory runtime taking BTC (the BIP84 vector key) against a fake Esplora and rates API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from events import Money
from functions.crypto.addresses import Handed, address_for
from functions.crypto.coins import CryptoSettings
from functions.domain import coinaddress, payments, wallet
from functions.jobs import coins as jobs
from functions.projections.balances import balance_of
from functions.runtime.bootstrap import Runtime
from tests.fakes.esplora import FakeEsplora
from tests.fakes.rates import FakeRates
from tests.unit.test_coin_keys import BTC_ZPUB


@dataclass
class CoinStack:
    rt: Runtime
    chain: FakeEsplora
    rates: FakeRates

    def configure(self, **values: Any) -> CryptoSettings:
        defaults = {"btc_xpub": BTC_ZPUB, "btc_esplora_url": self.chain.base_url,
                    "rates_url": self.rates.base_url}  # fmt: skip
        settings = CryptoSettings(**(defaults | values))
        self.rt.context_settings[CryptoSettings] = settings
        return settings

    def user(self, user_id: int) -> Handed:
        """A user with an open wallet and their BTC address (shown, so it is watched)."""
        stream = wallet.stream_of(user_id)
        self.rt.pipeline.execute(wallet.wallets, stream, wallet.Open(user_id))
        coin = self.rt.settings_of(CryptoSettings).coin("BTC")
        assert coin is not None
        return address_for(self.rt, coin, user_id)

    def watch(self, times: int = 1) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _ in range(times):
            counts = jobs.watch(self.rt)
        return counts

    def balance(self, user_id: int) -> Money:
        found = balance_of(self.rt.read_models, user_id).amounts
        return next((m for m in found if m.currency == "PLN"), Money.zero("PLN"))

    def address(self, handed: Handed) -> coinaddress.Address:
        return self.rt.pipeline.current(coinaddress.addresses, handed.stream)

    def payment(self, txid: str, vout: int = 0) -> payments.Payment:
        payment_id = coinaddress.payment_id_of("BTC", txid, vout)
        return self.rt.pipeline.current(payments.payments, payments.stream_of(payment_id))


@pytest.fixture
def coin_stack(memory_runtime: Runtime) -> Iterator[CoinStack]:
    with FakeEsplora("btc") as chain, FakeRates() as rates:
        stack = CoinStack(memory_runtime, chain, rates)
        stack.configure()
        jobs.update_rates(memory_runtime)
        yield stack
