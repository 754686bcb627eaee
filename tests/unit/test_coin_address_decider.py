"""The address decider on plain values: what one watch run records, and that a rerun on the
same chain records nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events import Event, Money
from events.coins import CoinAddressOpened, OutputCredited, OutputSeen, Rate
from functions.domain.coinaddress import ChainOutput, Expect, Observe, Policy, addresses

pytestmark = pytest.mark.unit
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RATE = Rate(coin="BTC", currency="PLN", minor_per_coin=41_234_567, at=NOW, source="t")
POLICY = Policy(confirmations=2, minimum=10_000, settle_depth=6)
OPENED = CoinAddressOpened(coin="BTC", account="acct", index=0, user_id=7, address="bc1qx")
TXID = "ab" * 32


def run(history: list[Event], outputs: tuple[ChainOutput, ...], tip: int) -> list[Event]:
    state = addresses.fold(history)
    return list(addresses.decide(state, Observe(outputs, frozenset(), tip, NOW, RATE, POLICY)))


def test_a_mempool_output_is_seen_with_its_value_and_a_rerun_adds_nothing() -> None:
    listed = (ChainOutput(TXID, 1, 100_000),)
    first = run([OPENED], listed, tip=100)
    assert [type(e) for e in first] == [OutputSeen]
    assert first[0].value == Money(amount=41_234, currency="PLN")  # type: ignore[attr-defined]
    assert run([OPENED, *first], listed, tip=100) == []


def test_at_n_confirmations_the_output_is_credited_once() -> None:
    listed = (ChainOutput(TXID, 0, 100_000, 99, "00" * 32),)
    one = run([OPENED], listed, tip=99)  # one confirmation
    assert [type(e) for e in one] == [OutputSeen]
    two = run([OPENED, *one], listed, tip=100)
    assert [type(e) for e in two] == [OutputCredited]
    credit = two[0]
    assert isinstance(credit, OutputCredited)
    # The credit keeps what was seen: the amount, the rate of detection and its value.
    assert (credit.amount, credit.rate, credit.value, credit.confirmations) == (
        Money(amount=100_000, currency="BTC"), RATE, Money(amount=41_234, currency="PLN"), 2,
    )  # fmt: skip
    assert run([OPENED, *one, *two], listed, tip=105) == []


def test_asking_for_the_address_again_within_the_hour_writes_nothing() -> None:
    first = list(addresses.decide(addresses.fold([OPENED]), Expect(NOW + timedelta(hours=24))))
    state = addresses.fold([OPENED, *first])
    assert addresses.decide(state, Expect(NOW + timedelta(hours=24, minutes=30))) == []
    assert len(addresses.decide(state, Expect(NOW + timedelta(hours=26)))) == 1
