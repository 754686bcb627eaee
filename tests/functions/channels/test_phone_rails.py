"""Paying a plan or a donation on a rail that prompts the payer's phone (M-Pesa here): the
number set with /phone is used, else the buyer is asked once; only the rail's verified
success buys time or reaches the owner's ledger."""

from __future__ import annotations

from typing import Any

import pytest

from functions.domain import payments, subscriptions
from functions.ops.ledger import audit
from functions.projections.channels import revenue_of
from tests.builders import answer_to, settings
from tests.functions.channels.conftest import BUYER, CHAT, KEY, OWNER, RAIL_BASE, World, owner_sells
from tests.functions.conftest import client_for, everything_written, post_update
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback

pytestmark = pytest.mark.functions


@pytest.fixture
def mpesa(world: World) -> FakeRail:
    """M-Pesa's spec (KES, the payer gives a phone) over the in-memory rail."""
    rail = FakeRail()
    rail.name = "mpesa"
    world.rt.rail_overrides = {"mpesa": rail}
    world.rt.settings = settings(public_base_url=RAIL_BASE)
    return rail


def labels(answer: dict[str, Any]) -> list[str]:
    return [row[0]["text"] for row in answer["reply_markup"]["inline_keyboard"]]


def paid(world: World, rail: FakeRail, payment_id: str) -> None:
    """The payer enters their PIN: M-Pesa's status says so, and its callback arrives."""
    rail.truth[payment_id] = "succeeded"
    hook = client_for("payment_webhook")
    claim = callback(payment_id, "succeeded")
    assert hook.post(f"/payments/mpesa/{PATH_SECRET}", json=claim).status_code == 200


def payment(world: World, payment_id: str) -> payments.Payment:
    return world.rt.pipeline.current(payments.payments, payments.stream_of(payment_id))


def test_a_plan_is_paid_with_mpesa_from_the_phone_set_with_slash_phone_then_the_buyer_joins(
    world: World, mpesa: FakeRail
) -> None:
    owner_sells(world)
    world.say(BUYER, "/start")
    world.say(BUYER, "/phone 0712345678")
    world.say(BUYER, f"/start ch_{KEY}")
    assert labels(world.tap(BUYER, f"ch:buy:{KEY}:p1")) == ["Pay from wallet", "M-Pesa"]
    started = world.tap(BUYER, f"ch:rail:{KEY}:p1:mpesa")
    [request] = mpesa.started
    assert request.phone == "+254712345678"
    assert request.payment_id in started["text"]
    bought = payment(world, request.payment_id)
    assert (bought.purpose, bought.amount) == ("subscription", request.amount)
    stream = subscriptions.stream_of(CHAT, BUYER)
    assert world.rt.pipeline.current(subscriptions.subscriptions, stream).status == "none"
    paid(world, mpesa, request.payment_id)
    assert world.rt.pipeline.current(subscriptions.subscriptions, stream).status == "active"
    world.ask_to_join(BUYER)
    assert world.members() == {BUYER}
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.net.amount) == (50_000, 47_500)
    assert audit(world.rt.store, world.rt.read_models) == []


def test_a_buyer_without_a_phone_is_asked_once_and_the_answer_starts_one_payment(
    world: World, mpesa: FakeRail
) -> None:
    owner_sells(world)
    world.say(BUYER, "/start")
    before = everything_written(world.rt)
    question = world.tap(BUYER, f"ch:rail:{KEY}:p1:mpesa")
    assert question["reply_markup"]["force_reply"] is True
    assert "M-Pesa phone number to pay KES 500.00 for Deep dives" in question["text"]
    assert (mpesa.started, everything_written(world.rt)) == ([], before)
    answer = answer_to(question, "0712345678", user_id=BUYER, update_id=880_001)
    for _ in range(2):  # Telegram delivers the answer again: one STK push
        assert post_update(world.webhook, answer).status_code == 200
    [request] = mpesa.started
    assert request.phone == "0712345678"
    assert payment(world, request.payment_id).purpose == "subscription"


def test_a_rail_not_collecting_the_plans_currency_is_not_offered_and_a_forged_tap_starts_nothing(
    world: World, mpesa: FakeRail
) -> None:
    world.rt.rail_overrides = {"mpesa": mpesa, "mtnmomo": FakeRail()}  # MoMo collects UGX
    owner_sells(world)
    world.say(BUYER, "/start")
    world.say(BUYER, "/phone +256772123456")
    assert "MTN MoMo" not in labels(world.tap(BUYER, f"ch:buy:{KEY}:p1"))
    before = everything_written(world.rt)
    world.tap(BUYER, f"ch:rail:{KEY}:p1:mtnmomo")
    assert everything_written(world.rt) == before


def test_a_donation_is_paid_with_mpesa_and_reaches_the_owners_ledger_once(
    world: World, mpesa: FakeRail
) -> None:
    owner_sells(world)
    world.say(BUYER, "/start")
    world.say(BUYER, "/phone 0712345678")
    assert labels(world.tap(BUYER, f"ch:give:{KEY}:300")) == ["Pay from wallet", "M-Pesa"]
    world.tap(BUYER, f"ch:grail:{KEY}:300:mpesa")
    [request] = mpesa.started
    gift = payment(world, request.payment_id)
    assert (gift.purpose, gift.amount) == ("donation", request.amount)
    assert request.amount.amount == 30_000
    paid(world, mpesa, request.payment_id)
    paid(world, mpesa, request.payment_id)  # the callback again: counted once
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.fee.amount, line.count) == (30_000, 1_500, 1)
    assert audit(world.rt.store, world.rt.read_models) == []
