"""The watch-chain job against a fake Esplora: seen at 0 confirmations, credited once at N,
dropped on a reorg before N, flagged after; two outputs of one transaction; paging."""

from __future__ import annotations

import pytest

from events import Money
from events.coins import CreditedOutputVanished, OutputCredited, OutputSeen
from functions.domain import coinaddress
from tests.functions.coin_helpers import CoinStack, coin_stack

pytestmark = pytest.mark.functions
__all__ = ["coin_stack"]
# The fake's rate: PLN 412,345.67 per BTC = 41,234,567 grosze; 100,000 sats: PLN 412.34(567).
SATS, VALUE = 100_000, Money(amount=41234, currency="PLN")


def events_of(stack: CoinStack, stream: str) -> list[object]:
    from events import decode

    return [decode(e) for e in stack.rt.store.load(stream)]


def test_an_unconfirmed_payment_is_seen_and_never_credited(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    txid = coin_stack.chain.send(user.address, SATS)
    coin_stack.watch(times=3)
    output = coin_stack.address(user).outputs[f"{txid}:0"]
    assert (output.state, output.value, output.block_height) == ("seen", VALUE, None)
    assert coin_stack.payment(txid).state == "pending"
    assert coin_stack.balance(42) == Money.zero("PLN")


def test_two_confirmations_credit_once_however_often_the_job_runs(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    txid = coin_stack.chain.send(user.address, SATS)
    coin_stack.chain.mine()
    coin_stack.watch()
    assert coin_stack.balance(42) == Money.zero("PLN")  # one confirmation: not yet
    coin_stack.chain.mine()
    coin_stack.watch(times=4)
    assert coin_stack.balance(42) == VALUE
    paid = coin_stack.payment(txid)
    assert (paid.state, paid.paid, paid.rail, paid.provider_ref) == (
        "succeeded", VALUE, "btc", f"{txid}:0",
    )  # fmt: skip
    coin_stack.chain.mine(10)
    coin_stack.watch(times=2)
    assert coin_stack.balance(42) == VALUE


def test_a_payment_confirmed_before_the_first_run_is_credited_at_once(
    coin_stack: CoinStack,
) -> None:
    user = coin_stack.user(42)
    coin_stack.chain.send(user.address, SATS)
    coin_stack.chain.mine(3)
    coin_stack.watch()
    assert coin_stack.balance(42) == VALUE


def test_a_reorg_that_drops_the_transaction_before_n_credits_nothing(
    coin_stack: CoinStack,
) -> None:
    user = coin_stack.user(42)
    txid = coin_stack.chain.send(user.address, SATS)
    coin_stack.chain.mine()
    coin_stack.watch()
    coin_stack.chain.disconnect(1)  # back to the mempool...
    coin_stack.watch()
    assert coin_stack.address(user).outputs[f"{txid}:0"].block_height is None
    coin_stack.chain.drop(txid)  # ...and replaced
    coin_stack.chain.mine(5)
    coin_stack.watch(times=2)
    assert coin_stack.address(user).outputs[f"{txid}:0"].state == "dropped"
    assert coin_stack.payment(txid).state == "failed"
    assert coin_stack.balance(42) == Money.zero("PLN")


def test_a_reorg_that_re_mines_the_transaction_credits_it_once(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    coin_stack.chain.send(user.address, SATS)
    coin_stack.chain.mine()
    coin_stack.watch()
    coin_stack.chain.disconnect(1)
    coin_stack.chain.mine(2)  # the other branch, with our transaction in its first block
    coin_stack.watch(times=2)
    assert coin_stack.balance(42) == VALUE


def test_a_credited_transaction_that_vanishes_is_flagged_and_not_taken_back(
    coin_stack: CoinStack,
) -> None:
    user = coin_stack.user(42)
    txid = coin_stack.chain.send(user.address, SATS)
    coin_stack.chain.mine(2)
    coin_stack.watch()
    coin_stack.chain.disconnect(2)
    coin_stack.chain.drop(txid)
    coin_stack.watch(times=2)
    flagged = [
        e for e in events_of(coin_stack, user.stream) if isinstance(e, CreditedOutputVanished)
    ]
    assert len(flagged) == 1
    assert coin_stack.balance(42) == VALUE  # an admin decides; the payment stays succeeded


def test_two_outputs_of_one_transaction_are_two_credits(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    txid = coin_stack.chain.send(
        user.address,
        SATS,
        ("bc1qsomeoneelse0000000000000000000000000", 5),
        (user.address, 2 * SATS),
    )
    coin_stack.chain.mine(2)
    coin_stack.watch()
    assert set(coin_stack.address(user).outputs) == {f"{txid}:0", f"{txid}:2"}
    assert coin_stack.balance(42) == Money(amount=41234 + 82469, currency="PLN")  # each floored


def test_a_history_longer_than_one_page_is_read_to_the_end(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    for _ in range(30):  # 25 confirmed transactions per page
        coin_stack.chain.send(user.address, SATS)
        coin_stack.chain.mine()
    coin_stack.chain.mine()
    coin_stack.watch()
    assert len(coin_stack.address(user).outputs) == 30
    assert coin_stack.balance(42) == VALUE * 30
    assert any("/txs/chain/" in path for path in coin_stack.chain.requests)


def test_dust_is_recorded_and_never_credited(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    txid = coin_stack.chain.send(user.address, 9_999)  # BTC minimum: 10,000 sats
    coin_stack.chain.mine(3)
    coin_stack.watch()
    seen = [e for e in events_of(coin_stack, user.stream) if isinstance(e, OutputSeen)]
    assert [(e.txid, e.dust) for e in seen] == [(txid, True)]
    assert coin_stack.payment(txid).state == "new"  # no payment at all
    assert coin_stack.balance(42) == Money.zero("PLN")


def test_the_rate_at_detection_is_the_one_credited(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    txid = coin_stack.chain.send(user.address, SATS)
    coin_stack.watch()  # seen at PLN 412,345.67
    coin_stack.rates.set_price("bitcoin", "pln", "500000.00")
    coin_stack.rt.clock.advance(minutes=10)  # type: ignore[attr-defined]
    from functions.jobs.coins import update_rates

    assert update_rates(coin_stack.rt) == {"recorded": 1}
    coin_stack.chain.mine(2)
    coin_stack.watch()
    assert coin_stack.balance(42) == VALUE
    seen = coin_stack.address(user).outputs[f"{txid}:0"]
    assert seen.value == VALUE
    (credit,) = [e for e in events_of(coin_stack, user.stream) if isinstance(e, OutputCredited)]
    assert credit.rate is not None
    assert credit.rate.minor_per_coin == 41_234_567  # not the PLN 500,000.00 recorded since


def test_without_a_fresh_rate_a_new_output_waits_unrecorded(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    coin_stack.rt.clock.advance(hours=1)  # type: ignore[attr-defined]  # the rate is stale
    txid = coin_stack.chain.send(user.address, SATS)
    coin_stack.watch()
    assert coin_stack.address(user).outputs == {}
    from functions.jobs.coins import update_rates

    update_rates(coin_stack.rt)
    coin_stack.watch()
    assert f"{txid}:0" in coin_stack.address(user).outputs


def test_an_address_nobody_expects_any_more_stops_being_asked(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    coin_stack.chain.send(user.address, SATS)
    coin_stack.chain.mine(8)  # 2 to credit + 6 settle depth
    coin_stack.watch()
    coin_stack.rt.clock.advance(hours=25)  # type: ignore[attr-defined]
    coin_stack.watch()
    assert not coin_stack.address(user).watching
    assert coin_stack.watch() == {"addresses": 0, "changed": 0, "unavailable": 0}
    assert coinaddress.payment_id_of("BTC", "ab" * 32, 0)  # ids are stable text


def test_an_esplora_outage_skips_the_address_and_changes_nothing(coin_stack: CoinStack) -> None:
    user = coin_stack.user(42)
    coin_stack.chain.send(user.address, SATS)
    coin_stack.chain.outage_mode = "500"
    assert coin_stack.watch()["unavailable"] == 1
    assert coin_stack.address(user).outputs == {}


def test_litecoin_needs_six_confirmations_and_credits_at_its_own_rate(
    coin_stack: CoinStack,
) -> None:
    from functions.crypto.addresses import address_for
    from functions.domain import wallet
    from functions.jobs.coins import update_rates
    from tests.fakes.esplora import FakeEsplora
    from tests.unit.test_coin_keys import LTC_RECEIVE_0, LTC_ZPUB

    with FakeEsplora("ltc") as ltc_chain:
        settings = coin_stack.configure(ltc_xpub=LTC_ZPUB, ltc_esplora_url=ltc_chain.base_url)
        update_rates(coin_stack.rt)
        coin_stack.rt.pipeline.execute(wallet.wallets, wallet.stream_of(9), wallet.Open(9))
        ltc = settings.coin("LTC")
        assert ltc is not None
        handed = address_for(coin_stack.rt, ltc, 9)
        assert handed.address == LTC_RECEIVE_0
        ltc_chain.send(handed.address, 10**8)  # 1 LTC at PLN 345.12
        ltc_chain.mine(5)
        coin_stack.watch()
        assert coin_stack.balance(9) == Money.zero("PLN")
        ltc_chain.mine()
        coin_stack.watch(times=2)
    assert coin_stack.balance(9) == Money(amount=34_512, currency="PLN")
