"""The console payer's choice of payment: the newest one the user's chat mentions."""

from __future__ import annotations

import pytest

from infra.local.payer import Payer, PayerError, _newest, refs_in

pytestmark = pytest.mark.unit


def test_refs_are_read_from_the_bots_messages_in_the_order_last_mentioned() -> None:
    texts = [
        "Deposit of KES 15.00 started (ref aaa111).",
        "Welcome!",
        "Deposit of IDR 500.00 started (ref bbb222).\nScan this QRIS code",
        "Reminder: pay (ref aaa111) soon",
    ]
    assert refs_in(texts) == ["bbb222", "aaa111"]
    assert refs_in(["no reference here", "ref ccc333 without brackets"]) == []


def test_the_newest_mentioned_payment_wins_and_strangers_are_ignored() -> None:
    items = [{"ref": "aaa111", "n": 1}, {"ref": "other", "n": 2}, {"ref": "bbb222", "n": 3}]
    assert _newest(items, ["bbb222", "aaa111"], lambda i: i["ref"]) == {"ref": "aaa111", "n": 1}
    assert _newest(items, ["zzz"], lambda i: i["ref"]) is None


def test_a_rail_without_a_fake_is_a_clear_message() -> None:
    with pytest.raises(PayerError, match="no fake mpesa in this stack"):
        Payer({}).answer_mpesa(["aaa111"])


def test_the_coin_address_the_bot_showed_last_is_the_one_paid() -> None:
    from infra.local.payer import addresses_in

    texts = [
        "Send BTC to your own deposit address:\nbc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu\n…",
        "Send LTC to your own deposit address:\nltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh",
    ]
    assert addresses_in(texts, "btc") == ["bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"]
    assert addresses_in(texts, "ltc") == ["ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh"]


def test_sending_coins_takes_the_amount_in_coins_and_pays_the_fake_chain() -> None:
    from tests.fakes.esplora import FakeEsplora

    with FakeEsplora("btc") as chain:
        payer = Payer({"esplora-btc": chain.base_url})
        said = payer.send_coin("btc", "0.001", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu")
        assert said.startswith("BTC: sent 100,000 to bc1qcr8te4kr")
        assert payer.mine("btc", 2) == f"BTC: mined 2 block(s), tip {chain.chain.tip.height:,}"
        with pytest.raises(PayerError, match="decimal places"):
            payer.send_coin("btc", "0.000000001", "bc1q")
        payer.close()
    (tx,) = chain.chain.txs.values()
    assert tx.outputs == [("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", 100_000)]
