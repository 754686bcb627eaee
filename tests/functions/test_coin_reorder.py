"""The crypto payments come out the same whatever order Pub/Sub delivers the address's
events in, and however often: one payment per output, credited once or not at all."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from events import Event, Money
from events.coins import OutputCredited, OutputDropped, OutputSeen, Rate
from functions.domain import coinaddress, payments
from functions.projections.balances import balance_of
from functions.reactors.coin_deposits import coin_deposits
from functions.runtime.bootstrap import Runtime
from functions.runtime.reacting import react_to
from tests.builders import envelope

pytestmark = pytest.mark.functions
STREAM = "coinaddress-btc-acct-0"
TXID = "ab" * 32
RATE = Rate(coin="BTC", currency="PLN", minor_per_coin=41_234_567,
            at=datetime(2026, 1, 1, tzinfo=UTC), source="t")  # fmt: skip
VALUE = Money(amount=41_234, currency="PLN")
PAYMENT = coinaddress.payment_id_of("BTC", TXID, 0)
SEEN = OutputSeen(txid=TXID, vout=0, user_id=7, amount=Money(amount=100_000, currency="BTC"),
                  rate=RATE, value=VALUE)  # fmt: skip
CREDITED = OutputCredited(txid=TXID, vout=0, payment_id=PAYMENT, user_id=7, value=VALUE,
                          confirmations=2)  # fmt: skip
DROPPED = OutputDropped(txid=TXID, vout=0, payment_id=PAYMENT, user_id=7, value=VALUE,
                        reason="left the chain")  # fmt: skip


def deliver(rt: Runtime, history: list[Event], order: tuple[int, ...]) -> None:
    """The address's events, as stored, handed to the reactor in `order` (repeats allowed)."""
    stored = [envelope(STREAM, n, e, event_id=f"e{n}") for n, e in enumerate(history, start=1)]
    for index in order:
        react_to(rt.pipeline, coin_deposits, stored[index])


def fresh(rt: Runtime) -> Runtime:
    from functions.domain import wallet

    rt.pipeline.execute(wallet.wallets, wallet.stream_of(7), wallet.Open(7))
    return rt


def state(rt: Runtime) -> payments.Payment:
    return rt.pipeline.current(payments.payments, payments.stream_of(PAYMENT))


def balance(rt: Runtime) -> list[Money]:
    return list(balance_of(rt.read_models, 7).amounts)


@pytest.mark.parametrize("order", [*itertools.permutations(range(2)), (1, 0, 1, 0)])
def test_seen_and_credited_in_any_order_credit_once(
    memory_runtime: Runtime, order: tuple[int, ...]
) -> None:
    rt = fresh(memory_runtime)
    deliver(rt, [SEEN, CREDITED], order)
    assert (state(rt).state, state(rt).paid) == ("succeeded", VALUE)
    assert balance(rt) == [VALUE]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_dropped_then_re_mined_and_credited_ends_credited_in_any_order(
    memory_runtime: Runtime, order: tuple[int, ...]
) -> None:
    rt = fresh(memory_runtime)
    deliver(rt, [SEEN, DROPPED, CREDITED], order)
    assert state(rt).state == "succeeded"
    assert balance(rt) == [VALUE]


@pytest.mark.parametrize("order", list(itertools.permutations(range(2))))
def test_a_drop_in_any_order_with_the_sighting_credits_nothing(
    memory_runtime: Runtime, order: tuple[int, ...]
) -> None:
    rt = fresh(memory_runtime)
    deliver(rt, [SEEN, DROPPED], order)
    assert state(rt).state == "failed"
    assert balance(rt) == []


def test_dust_opens_no_payment(memory_runtime: Runtime) -> None:
    rt = fresh(memory_runtime)
    dust = SEEN.model_copy(update={"dust": True, "amount": Money(amount=5, currency="BTC")})
    deliver(rt, [dust], (0, 0))
    assert state(rt).state == "new"
