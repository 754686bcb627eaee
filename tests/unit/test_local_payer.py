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
