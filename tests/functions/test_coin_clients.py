"""The Esplora and rates clients read their APIs strictly: junk is an error, never a guess."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from functions.crypto.esplora import ChainError, Esplora
from functions.crypto.rates import RatesError, fetch
from tests.fakes.esplora import FakeEsplora
from tests.fakes.rates import FakeRates

pytestmark = pytest.mark.functions
ADDRESS = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def answering(status: int, body: Any) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    return httpx.Client(transport=httpx.MockTransport(handle))


def tx(value: Any, *, confirmed: bool = True) -> dict[str, Any]:
    status = (
        {"confirmed": True, "block_height": 5, "block_hash": "00" * 32}
        if confirmed
        else {"confirmed": False}
    )
    vout = [{"scriptpubkey_address": ADDRESS, "value": value}]
    return {"txid": "ab" * 32, "vout": vout, "status": status}


def test_outputs_to_the_address_are_read_with_their_block() -> None:
    with FakeEsplora() as fake:
        txid = fake.send(ADDRESS, 5_000, ("bc1qother", 7))
        fake.mine()
        listing = Esplora(fake.base_url).outputs_to(ADDRESS, max_pages=3)
        assert Esplora(fake.base_url).tip_height() == fake.chain.tip.height
        assert Esplora(fake.base_url).exists(txid)
        assert not Esplora(fake.base_url).exists("cd" * 32)
    [output] = listing.outputs
    assert (output.txid, output.vout, output.amount) == (txid, 0, 5_000)
    assert output.block_height == fake.chain.tip.height
    assert listing.complete


def test_a_spend_from_the_address_credits_nothing() -> None:
    with FakeEsplora() as fake:
        fake.chain.send([("bc1qmerchant", 9_000)], payer=ADDRESS)
        listing = Esplora(fake.base_url).outputs_to(ADDRESS, max_pages=3)
    assert listing.outputs == ()
    assert len(listing.txids) == 1  # listed under the address, as Esplora lists spends


@pytest.mark.parametrize(
    "body",
    [
        "<html>oops</html>",
        {"not": "a list"},
        [tx(True)],  # a bool is no amount
        [tx(1.5)],
        [tx(-1)],
        [{"txid": "short", "vout": [], "status": {}}],
        [{**tx(1), "status": {"confirmed": True}}],  # confirmed without a block
    ],
)
def test_a_listing_of_another_shape_is_a_chain_error(body: Any) -> None:
    with pytest.raises(ChainError):
        Esplora("http://esplora", answering(200, body)).outputs_to(ADDRESS, 3)


def test_a_tip_that_is_not_a_number_is_a_chain_error() -> None:
    with pytest.raises(ChainError):
        Esplora("http://esplora", answering(200, "{}")).tip_height()


def test_rates_are_read_as_decimals_and_floored() -> None:
    with FakeRates() as fake:
        fake.set_price("bitcoin", "pln", "412345.679")
        rates = fetch(fake.base_url, ("BTC", "LTC"), "PLN", NOW)
    assert [(r.coin, r.minor_per_coin) for r in rates] == [("BTC", 41_234_567), ("LTC", 34_512)]


def test_a_coin_the_api_leaves_out_gets_no_rate() -> None:
    client = answering(200, {"bitcoin": {"pln": 1.5}, "litecoin": {"usd": 80}})
    assert [r.coin for r in fetch("http://rates", ("BTC", "LTC"), "PLN", NOW, client)] == ["BTC"]


@pytest.mark.parametrize(("status", "body"), [(500, {}), (200, "nope"), (200, [1, 2])])
def test_a_rates_answer_of_another_shape_is_a_rates_error(status: int, body: Any) -> None:
    with pytest.raises(RatesError):
        fetch("http://rates", ("BTC",), "PLN", NOW, answering(status, body))
