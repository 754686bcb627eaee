"""make audit traces every crypto credit to exactly one output at a recorded rate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events import Money
from events.coins import OutputCredited, OutputSeen, Rate
from functions.domain import coinaddress, coinrates
from functions.ops.ledger import audit
from tests.builders import envelope
from tests.functions.coin_helpers import CoinStack, coin_stack

pytestmark = pytest.mark.functions
__all__ = ["coin_stack"]


def credited_deposit(stack: CoinStack) -> tuple[str, str]:
    user = stack.user(42)
    txid = stack.chain.send(user.address, 100_000, (user.address, 50_000))
    stack.chain.send(user.address, 500)  # dust
    stack.chain.mine(2)
    stack.watch()
    return user.stream, txid


def append(stack: CoinStack, stream: str, event: object) -> None:
    version = len(stack.rt.store.load(stream)) + 1
    stack.rt.store.append(stream, version - 1, [envelope(stream, version, event)])  # type: ignore[arg-type]


def test_crypto_credits_pass_the_audit(coin_stack: CoinStack) -> None:
    credited_deposit(coin_stack)
    assert coin_stack.balance(42) == Money(amount=41_234 + 20_617, currency="PLN")
    assert audit(coin_stack.rt.store, coin_stack.rt.read_models) == []


def test_an_output_priced_at_a_rate_never_recorded_is_found(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    made_up = Rate(
        coin="BTC",
        currency="PLN",
        minor_per_coin=99_000_000,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        source="nobody",
    )
    seen = OutputSeen(
        txid="ab" * 32,
        vout=0,
        user_id=42,
        amount=Money(amount=10**8, currency="BTC"),
        rate=made_up,
        value=Money(amount=99_000_000, currency="PLN"),
    )
    append(coin_stack, user.stream, seen)
    found = [p.what for p in audit(coin_stack.rt.store, coin_stack.rt.read_models)]
    assert f"output BTC:{'ab' * 32}:0 is priced at a rate never recorded" in found


def test_an_output_credited_twice_is_found(coin_stack: CoinStack) -> None:
    stream, txid = credited_deposit(coin_stack)
    again = OutputCredited(
        txid=txid,
        vout=0,
        payment_id=coinaddress.payment_id_of("BTC", txid, 0),
        user_id=42,
        value=Money(amount=41_234, currency="PLN"),
        confirmations=3,
    )
    append(coin_stack, stream, again)
    found = [p.what for p in audit(coin_stack.rt.store, coin_stack.rt.read_models)]
    assert "credited 2 times" in found


def test_a_credit_that_is_not_floor_of_amount_times_rate_is_found(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    rate = coin_stack.rt.pipeline.current(coinrates.rates, "coinrate-btc-pln").latest
    assert rate is not None
    seen = OutputSeen(
        txid="cd" * 32,
        vout=1,
        user_id=42,
        amount=Money(amount=100_000, currency="BTC"),
        rate=rate,
        value=Money(amount=41_235, currency="PLN"),
    )
    append(coin_stack, user.stream, seen)
    found = [p.what for p in audit(coin_stack.rt.store, coin_stack.rt.read_models)]
    assert f"output BTC:{'cd' * 32}:1 is not worth floor(amount x rate)" in found


def test_the_credit_keeps_the_rate_of_detection_and_one_naming_another_is_found(
    coin_stack: CoinStack,
) -> None:
    stream, txid = credited_deposit(coin_stack)
    from events import decode

    stored = [decode(e) for e in coin_stack.rt.store.load(stream)]
    seen = {(e.txid, e.vout): e for e in stored if isinstance(e, OutputSeen)}
    credits = [e for e in stored if isinstance(e, OutputCredited)]
    assert len(credits) == 2  # the dust is not credited
    for credit in credits:
        first = seen[(credit.txid, credit.vout)]
        assert (credit.amount, credit.rate, credit.value) == (first.amount, first.rate, first.value)
    other = credits[0].rate.model_copy(update={"minor_per_coin": 1})  # type: ignore[union-attr]
    forged = credits[0].model_copy(update={"rate": other})
    append(coin_stack, stream, forged)
    found = [p.what for p in audit(coin_stack.rt.store, coin_stack.rt.read_models)]
    key = f"BTC:{forged.txid}:{forged.vout}"
    assert forged.txid == txid
    assert f"credit of {key} names another amount or rate than the output seen" in found
