"""What owners do and see: only their channels, broadcasts to running subscribers, and
an audit that names forged time and miscounted revenue."""

from __future__ import annotations

import pytest

from events import Money
from functions.domain import revenue, subscriptions
from functions.domain.subscriptions import Purchase
from functions.notifications.dispatch import notices_for
from functions.ops.ledger import audit
from tests.functions.channels.conftest import (
    BUYER,
    CHAT,
    FRIEND,
    KEY,
    OWNER,
    World,
    buy_from_wallet,
    owner_sells,
)  # fmt: skip

pytestmark = pytest.mark.functions


def test_only_the_owner_changes_the_channel_and_sees_its_revenue(world: World) -> None:
    owner_sells(world)
    refused = world.say(FRIEND, f"/plan ch_{KEY} 7 100 KES")
    assert "owner" in refused["text"]
    assert "Deep dives" not in world.say(FRIEND, "/channels")["text"]
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)
    mine = world.say(OWNER, "/channels")["text"]
    assert "Deep dives" in mine
    assert "Running subscriptions: 1" in mine


def test_an_owner_broadcasts_to_running_subscribers_only_in_batches(world: World) -> None:
    owner_sells(world)
    buyers = list(range(100, 160))  # 60 subscribers: two batches
    for user_id in buyers:
        world.top_up(user_id, 50_000)
        buy_from_wallet(world, user_id)
    world.later(days=31)
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)  # the only one still running, with the 60 expired...
    for user_id in buyers[:59]:  # ...but 59 renew
        world.top_up(user_id, 50_000)
        buy_from_wallet(world, user_id)
    assert "owner" in world.say(FRIEND, f"/broadcast ch_{KEY} hi")["text"]
    answer = world.say(OWNER, f"/broadcast ch_{KEY} New <post> today")
    assert "60 subscriber" in answer["text"]
    batches = [
        e for s in ("channel-" + KEY,) for e in world.rt.store.load(s)
        if e.type == "channel.broadcast.v1"
    ]  # fmt: skip
    assert [len(e.data["recipients"]) for e in batches] == [50, 10]
    told = [n for e in batches for n in notices_for(world.rt, e, {})]
    assert {n.chat_id for n in told} == {BUYER, *buyers[:59]}
    assert "New &lt;post&gt; today" in told[0].text  # the owner's words, escaped


def test_the_audit_finds_time_no_money_bought_and_revenue_counted_wrong(world: World) -> None:
    rt = world.rt
    bought = Purchase(CHAT, OWNER, "p1", 30)
    pay = subscriptions.Pay(BUYER, bought, Money(amount=250, currency="XTR"), "payment:forged",
                            "payment", rt.clock.now())  # fmt: skip
    rt.pipeline.execute(subscriptions.subscriptions, subscriptions.stream_of(CHAT, BUYER), pay)
    wrong = revenue.Earn(OWNER, CHAT, BUYER, "payment:other", "subscription",
                         Money(amount=100, currency="XTR"), fee_bp=500)  # fmt: skip
    rt.pipeline.execute(revenue.revenues, revenue.stream_of(OWNER), wrong)
    found = {p.what for p in audit(rt.store, rt.read_models)}
    assert "time bought by payment:forged, which moved no money" in found
    assert "revenue payment:other matches no payment of theirs" in found
