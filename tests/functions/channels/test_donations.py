"""Donations: typed on a keypad, paid from the wallet or in Stars, counted once."""

from __future__ import annotations

from typing import Any

import pytest

from functions.ops.ledger import audit
from functions.projections.channels import revenue_of
from tests.builders import button_update, pre_checkout_update
from tests.functions.channels.conftest import (
    BUYER,
    KEY,
    OWNER,
    World,
    owner_sells,
    star_charge,
)  # fmt: skip
from tests.functions.conftest import everything_written, post_update

pytestmark = pytest.mark.functions


def keypad_taps(world: World, user_id: int, taps: list[str]) -> Any:
    """Tap keypad keys in turn, each on the message the previous answer drew."""
    answer: Any = None
    data = f"ch:don:{KEY}:"
    for label in ["open", *taps]:
        if answer is not None:
            keys = {b["text"]: b["callback_data"]
                    for row in answer["reply_markup"]["inline_keyboard"] for b in row}  # fmt: skip
            data = keys[label]
        answer = world.tap(user_id, data)
    return answer


def test_a_donation_typed_on_the_keypad_goes_to_the_owner_once(world: World) -> None:
    owner_sells(world)
    world.top_up(BUYER, 100_000)
    typed = keypad_taps(world, BUYER, ["1", "2", "0", "⌫", "5"])
    assert typed["method"] == "editMessageText"
    assert "125 KES" in typed["text"]
    confirm = keypad_taps(world, BUYER, ["1", "2", "5", "✅"])
    assert "KES 125.00" in confirm["text"]
    pay = button_update(f"ch:gw:{KEY}:125", user_id=BUYER, update_id=900)
    for _ in range(2):  # a redelivered tap gives once
        assert post_update(world.webhook, pay).status_code == 200
    balance = world.rt.read_models.get("balances", str(BUYER))
    assert balance is not None
    assert balance["balances"]["KES"] == 100_000 - 12_500
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.fee.amount, line.net.amount) == (12_500, 625, 11_875)
    problems = audit(world.rt.store, world.rt.read_models)
    assert [p for p in problems if "test-top-up" not in p.what] == []


@pytest.mark.parametrize("digits", ["0", "", "1000000", "12a", "-5", "٣"])
def test_a_donation_outside_its_limits_is_refused_and_writes_nothing(
    world: World, digits: str
) -> None:
    owner_sells(world)
    world.top_up(BUYER, 100_000)
    before = everything_written(world.rt)
    for action in ("give", "gw"):
        refused = world.tap(BUYER, f"ch:{action}:{KEY}:{digits}")
        assert refused["method"] == "answerCallbackQuery"
        assert refused["show_alert"] is True
    assert everything_written(world.rt) == before


def test_a_donation_in_stars_is_paid_by_invoice(world: World) -> None:
    world.say(OWNER, "/start")
    world.connect()
    world.say(OWNER, f"/plan ch_{KEY} 30 250 XTR")
    sent = world.tap(BUYER, f"ch:gs:{KEY}:20000")
    assert sent["show_alert"] is True  # more Stars than one payment may be
    sent = world.tap(BUYER, f"ch:gs:{KEY}:50")
    assert (sent["method"], sent["prices"][0]["amount"]) == ("sendInvoice", 50)
    world.post(pre_checkout_update(sent["payload"], 50, user_id=BUYER))
    paid = star_charge(world, sent["payload"], "stx-gift", first=False)
    paid["message"]["successful_payment"]["total_amount"] = 50
    for flag in ("is_recurring", "is_first_recurring", "subscription_expiration_date"):
        paid["message"]["successful_payment"].pop(flag)
    assert "Thank you" in world.post(paid)["text"]  # not "to your wallet"
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.fee.amount, line.net.amount) == (50, 2, 48)
    assert audit(world.rt.store, world.rt.read_models) == []
