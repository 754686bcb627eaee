"""A subscription's life: buy, join, warnings, removal, buying and joining again;
renewal; dry run; the job twice with a refusal mid-batch; a forwarded link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.domain import subscriptions
from functions.jobs.subscriptions import end
from functions.ops.ledger import audit
from functions.projections.channels import revenue_of
from tests.fakes.telegram.chats import make_admin
from tests.fakes.telegram.objects import human_user
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


def test_buy_join_warned_removed_buy_again_join_again(world: World) -> None:
    owner_sells(world)
    world.say(BUYER, "/start")
    world.top_up(BUYER, 100_000)
    bought = buy_from_wallet(world, BUYER)
    assert bought["reply_markup"]["inline_keyboard"][0][0]["url"] == world.join_link()
    world.ask_to_join(BUYER)
    assert world.members() == {BUYER}

    world.later(days=27, hours=1)
    assert end(world.rt)["warned"] == 1
    world.later(days=2)
    assert end(world.rt)["warned"] == 1
    world.later(days=1)
    assert end(world.rt)["removed"] == 1
    assert world.members() == set()
    assert BUYER not in world.fake.state.chats.group(CHAT).banned  # out, free to come back

    buy_from_wallet(world, BUYER)
    world.ask_to_join(BUYER)
    assert world.members() == {BUYER}
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.fee.amount, line.net.amount, line.count) == (
        100_000,
        5_000,
        95_000,
        2,
    )  # 5% of 2 x KES 500.00
    # The test's own top-up is no payment; the subscription debits raise no problem.
    problems = audit(world.rt.store, world.rt.read_models)
    assert [p for p in problems if "test-top-up" not in p.what] == []


def test_a_forwarded_link_lets_nobody_else_in(world: World) -> None:
    owner_sells(world)
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)
    world.ask_to_join(FRIEND)  # the buyer shared the link
    assert world.members() == set()
    declined = world.fake.calls("declineChatJoinRequest")
    assert [c.ok for c in declined] == [True]
    told = world.fake.calls("sendMessage", FRIEND)
    assert "start=ch_" + KEY in told[-1].params["text"]
    world.ask_to_join(BUYER)
    assert world.members() == {BUYER}


def test_a_renewal_before_the_end_extends_it_and_the_job_removes_nobody(world: World) -> None:
    owner_sells(world)
    world.top_up(BUYER, 100_000)
    buy_from_wallet(world, BUYER)
    world.ask_to_join(BUYER)
    world.later(days=29)
    buy_from_wallet(world, BUYER)
    world.later(days=2)
    assert end(world.rt)["removed"] == 0
    assert world.members() == {BUYER}
    state = world.rt.pipeline.current(
        subscriptions.subscriptions, subscriptions.stream_of(CHAT, BUYER)
    )
    assert state.status == "active"
    first_paid = state.payments[0].paid_at
    assert state.ends_at == first_paid + timedelta(days=60)


def test_the_job_twice_and_one_failure_mid_batch_stops_nothing(world: World) -> None:
    owner_sells(world)
    for user_id in (BUYER, FRIEND, 10):
        world.say(user_id, "/start")
        world.top_up(user_id, 50_000)
        buy_from_wallet(world, user_id)
        world.ask_to_join(user_id)
    # The chat's owner made FRIEND an admin meanwhile: Telegram refuses to ban them.
    world.fake.state.chats.group(CHAT).owner = human_user(FRIEND, "F", "en", None)
    world.later(days=31)
    first = end(world.rt)
    assert (first["removed"], first["failed"]) == (2, 1)
    assert world.members() == {FRIEND}
    again = end(world.rt)
    assert (again["removed"], again["failed"]) == (0, 1)  # retried, still refused


def test_dry_run_warns_and_expires_but_removes_nobody(world: World) -> None:
    owner_sells(world)
    world.say(OWNER, f"/dryrun ch_{KEY} on")
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)
    world.ask_to_join(BUYER)
    world.later(days=31)
    assert end(world.rt)["dry_run"] == 1
    assert world.members() == {BUYER}
    assert world.fake.calls("banChatMember") == []


def test_a_channel_where_the_bot_may_no_longer_ban_is_not_asked_and_stays_due(
    world: World,
) -> None:
    owner_sells(world)
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)
    world.ask_to_join(BUYER)
    owner = human_user(OWNER, "Olga", "en", None)
    with world.fake.state.lock:  # the owner takes the bot's right to ban away
        demoted = make_admin(world.fake.state, CHAT, "Deep dives", owner, "channel",
                             {"can_invite_users": True})  # fmt: skip
    world.post(demoted)
    world.later(days=31)
    assert end(world.rt)["failed"] == 1
    assert world.fake.calls("banChatMember") == []
    assert world.members() == {BUYER}
