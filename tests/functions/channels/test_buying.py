"""Paying for a plan: the wallet once per tap, Stars once per charge, Star subscriptions
renewing per charge, provider rails on their verified success; bad input writes nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from functions.domain import subscriptions
from functions.jobs.subscriptions import end
from functions.ops.ledger import audit
from functions.projections.channels import revenue_of
from tests.builders import button_update, pre_checkout_update, settings, text_update
from tests.functions.channels.conftest import (
    BUYER,
    CHAT,
    KEY,
    OWNER,
    RAIL_BASE,
    World,
    owner_sells,
    star_charge,
)  # fmt: skip
from tests.functions.conftest import client_for, everything_written, post_update
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback

pytestmark = pytest.mark.functions


def test_a_redelivered_pay_tap_debits_once(world: World) -> None:
    owner_sells(world)
    world.top_up(BUYER, 50_000)
    world.say(BUYER, f"/start ch_{KEY}")
    tap = button_update(f"ch:wallet:{KEY}:p1", user_id=BUYER, update_id=777)
    for _ in range(2):
        assert post_update(world.webhook, tap).status_code == 200
    doc = world.rt.read_models.get("balances", str(BUYER))
    assert doc is not None
    assert doc["balances"]["KES"] == 0


@pytest.mark.parametrize(
    "update",
    [
        {"my_chat_member": {"chat": {"id": "x"}, "from": {}, "date": 1}},
        {"my_chat_member": {"chat": {"id": 1, "type": "channel"}, "from": {"id": 1,
         "first_name": "A", "is_bot": False}, "date": 1, "old_chat_member": {"status": 1},
         "new_chat_member": {"status": "administrator"}}},
        {"chat_join_request": {"chat": {"id": -1}, "from": {"id": 2, "first_name": "B",
         "is_bot": False}, "date": 1, "user_chat_id": "2"}},
        {"chat_join_request": {"chat": {"id": -1}, "from": {"id": 2, "first_name": "B",
         "is_bot": False}, "date": 1, "user_chat_id": 2, "invite_link": "x"}},
        {"chat_member": []},
    ],
)  # fmt: skip
def test_malformed_chat_updates_are_400_and_write_nothing(
    world: World, update: dict[str, Any]
) -> None:
    before = everything_written(world.rt)
    response = post_update(world.webhook, {"update_id": 5, **update})
    assert response.status_code == 400
    assert everything_written(world.rt) == before


def test_a_forged_button_and_a_join_request_for_an_unknown_chat_change_nothing(
    world: World,
) -> None:
    owner_sells(world)
    before = everything_written(world.rt)
    for data in (f"ch:wallet:{KEY}:p9", "ch:wallet:n0012:p1", "ch:nope:x", f"ch:stars:{KEY}:p1"):
        assert world.tap(BUYER, data)["method"] in ("answerCallbackQuery", "sendMessage")
    request = {"chat_join_request": {
        "chat": {"id": -100999, "type": "channel", "title": "Other"},
        "from": {"id": BUYER, "first_name": "B", "is_bot": False}, "date": 1,
        "user_chat_id": BUYER,
    }}  # fmt: skip
    assert world.post(request) == {}
    assert everything_written(world.rt) == before


def test_a_plan_in_stars_is_paid_by_invoice_and_its_charge_counts_once(world: World) -> None:
    world.say(OWNER, "/start")
    world.connect()
    world.say(OWNER, f"/plan ch_{KEY} 30 250 XTR")
    world.say(BUYER, f"/start ch_{KEY}")
    sent = world.tap(BUYER, f"ch:stars:{KEY}:p1")
    assert (sent["method"], sent["currency"], sent["prices"][0]["amount"]) == (
        "sendInvoice", "XTR", 250,
    )  # fmt: skip
    checkout = pre_checkout_update(sent["payload"], 250, user_id=BUYER)
    assert world.post(checkout)["ok"] is True
    paid = text_update("", user_id=BUYER)
    paid["message"].pop("text")
    paid["message"].pop("entities")
    paid["message"]["successful_payment"] = {
        "currency": "XTR", "total_amount": 250, "invoice_payload": sent["payload"],
        "telegram_payment_charge_id": "stx-1", "provider_payment_charge_id": "p-1",
    }  # fmt: skip
    world.post(paid)
    world.post(paid)  # Telegram redelivers under a new update id: one charge, one month
    state = world.rt.pipeline.current(
        subscriptions.subscriptions, subscriptions.stream_of(CHAT, BUYER)
    )
    assert (state.status, len(state.payments)) == ("active", 1)
    world.ask_to_join(BUYER)
    assert world.members() == {BUYER}
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.fee.amount, line.net.amount) == (250, 12, 238)  # 12.5 -> 12
    assert audit(world.rt.store, world.rt.read_models) == []


def test_a_star_subscription_renews_on_each_charge_and_a_cancelled_one_ends_when_paid_up(
    world: World,
) -> None:
    world.say(OWNER, "/start")
    world.connect()
    world.say(OWNER, f"/plan ch_{KEY} 30 250 XTR")
    offer = world.tap(BUYER, f"ch:monthly:{KEY}:p1")
    link = offer["reply_markup"]["inline_keyboard"][0][0]["url"]
    [made] = world.fake.calls("createInvoiceLink")
    assert made.params["subscription_period"] == 2_592_000
    assert link.startswith("https://t.me/$")
    payload = made.params["payload"]
    assert world.post(pre_checkout_update(payload, 250, user_id=BUYER))["ok"] is True
    world.post(star_charge(world, payload, "stx-first", first=True))
    world.ask_to_join(BUYER)
    world.later(days=30)  # Telegram renews: a new charge for the same invoice
    renewal = star_charge(world, payload, "stx-second", first=False)
    world.post(renewal)
    world.post(copy.deepcopy(renewal))  # delivered again: one charge, one month
    state = world.rt.pipeline.current(
        subscriptions.subscriptions, subscriptions.stream_of(CHAT, BUYER)
    )
    assert [b.days for b in state.payments] == [30, 30]
    assert end(world.rt)["removed"] == 0
    world.later(days=30, minutes=1)  # cancelled: no third charge comes
    assert end(world.rt)["removed"] == 1
    assert world.members() == set()
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.count) == (500, 2)
    held = [e for s in world.rt.store.streams("payment") for e in world.rt.store.load(s)
            if e.type == "payment.held_for_review.v1"]  # fmt: skip
    assert held == []
    assert audit(world.rt.store, world.rt.read_models) == []


def test_a_star_subscription_is_offered_only_for_a_thirty_day_plan_in_stars(world: World) -> None:
    world.say(OWNER, "/start")
    world.connect()
    world.say(OWNER, f"/plan ch_{KEY} 7 100 XTR")
    refused = world.tap(BUYER, f"ch:monthly:{KEY}:p1")
    assert refused["method"] == "answerCallbackQuery"
    assert "30-day" in refused["text"]
    assert world.fake.calls("createInvoiceLink") == []


def test_a_plan_is_paid_on_a_provider_rail_and_only_its_verified_success_buys_time(
    world: World,
) -> None:
    rail = FakeRail()
    world.rt.rail_overrides = {"fake": rail}
    world.rt.settings = settings(public_base_url=RAIL_BASE)
    owner_sells(world)
    world.say(BUYER, f"/start ch_{KEY}")
    offered = world.tap(BUYER, f"ch:buy:{KEY}:p1")
    labels = [row[0]["text"] for row in offered["reply_markup"]["inline_keyboard"]]
    assert labels == ["Pay from wallet", "Test rail"]
    world.tap(BUYER, f"ch:rail:{KEY}:p1:fake")
    [started] = rail.started
    hook = client_for("payment_webhook")
    claim = callback(started.payment_id, "succeeded")  # a claim: the status query says pending
    assert hook.post(f"/payments/fake/{PATH_SECRET}", json=claim).status_code == 200
    stream = subscriptions.stream_of(CHAT, BUYER)
    assert world.rt.pipeline.current(subscriptions.subscriptions, stream).status == "none"
    rail.truth[started.payment_id] = "succeeded"
    assert hook.post(f"/payments/fake/{PATH_SECRET}", json=claim).status_code == 200
    assert world.rt.pipeline.current(subscriptions.subscriptions, stream).status == "active"
    assert audit(world.rt.store, world.rt.read_models) == []
