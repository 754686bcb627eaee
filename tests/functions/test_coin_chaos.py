"""Random chains: payments, blocks, reorgs and replaced transactions in any order, with the
watcher running now and then. Whatever happened, the ledger audit holds, nothing is credited
twice, and every output the chain finally buries deep enough is credited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import Money
from functions.domain import coinaddress, payments
from functions.ops.ledger import audit
from functions.runtime import bootstrap
from functions.runtime.memory import FixedClock
from tests import builders
from tests.fakes.esplora import FakeEsplora
from tests.fakes.rates import FakeRates
from tests.fakes.recording_bot import RecordingBot
from tests.functions.coin_helpers import CoinStack

pytestmark = pytest.mark.functions

STEP = st.one_of(
    st.tuples(st.just("send"), st.sampled_from([5_000, 20_000, 100_000])),
    st.tuples(st.just("mine"), st.integers(1, 3)),
    st.tuples(st.just("disconnect"), st.integers(1, 2)),
    st.tuples(st.just("drop"), st.just(0)),
    st.tuples(st.just("watch"), st.just(0)),
)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeEsplora, FakeRates]]:
    with FakeEsplora("btc") as chain, FakeRates() as rates:
        yield chain, rates


def fresh_stack(chain: FakeEsplora, rates: FakeRates) -> CoinStack:
    chain.reset()
    rt = bootstrap.build(builders.settings())
    rt.clock = FixedClock()
    rt.bot_override = RecordingBot()
    stack = CoinStack(rt, chain, rates)
    stack.configure()
    from functions.jobs.coins import update_rates

    update_rates(rt)
    return stack


def play(stack: CoinStack, address: str, step: tuple[str, int]) -> None:
    chain = stack.chain
    match step:
        case ("send", sats):
            chain.send(address, sats)
        case ("mine", blocks):
            chain.mine(blocks)
        case ("disconnect", blocks) if len(chain.chain.blocks) > blocks:
            chain.disconnect(blocks)
        case ("drop", _) if chain.chain.mempool:
            chain.drop(chain.chain.mempool[-1])
        case ("watch", _):
            stack.watch()


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(STEP, max_size=14))
def test_any_history_balances_and_credits_what_is_buried(
    servers: tuple[FakeEsplora, FakeRates], steps: list[tuple[str, int]]
) -> None:
    stack = fresh_stack(*servers)
    user = stack.user(42)
    for step in steps:
        play(stack, user.address, step)
    stack.chain.mine(3)
    stack.watch(times=2)
    assert audit(stack.rt.store, stack.rt.read_models) == []
    buried = _buried_outputs(stack, user.address)
    state = stack.address(user)
    for key in buried:
        txid, vout = key.split(":")
        assert state.outputs[key].state == "credited"
        paid = stack.rt.pipeline.current(
            payments.payments,
            payments.stream_of(coinaddress.payment_id_of("BTC", txid, int(vout))),
        )
        assert paid.state == "succeeded"
    credited = [o.value for o in state.outputs.values() if o.state in {"credited", "vanished"}]
    assert stack.balance(42) == sum(credited, Money.zero("PLN"))


def _buried_outputs(stack: CoinStack, address: str) -> set[str]:
    """Non-dust outputs to the address in blocks with at least 2 confirmations now."""
    chain: Any = stack.chain.chain
    tip = chain.tip.height
    found = set()
    for block in chain.blocks:
        if tip - block.height + 1 < 2:
            continue
        for txid in block.txids:
            for vout, (to, sats) in enumerate(chain.txs[txid].outputs):
                if to == address and sats >= 10_000:
                    found.add(f"{txid}:{vout}")
    return found
