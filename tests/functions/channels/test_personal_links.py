"""One-person links, where the owner chose them (/access … personal): each buyer's link
admits one member and is revoked once anyone joined through it; someone else than its buyer
is removed and the buyer gets a new link. The fake counts member_limit as Telegram does,
members still in through the link, so a link left alive would admit a second person."""

from __future__ import annotations

from typing import Any

import pytest

from functions.domain import subscriptions
from tests.fakes.telegram.chats import Link, open_link
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
from tests.functions.conftest import everything_written, post_update

pytestmark = pytest.mark.functions


def sells_personal_links(world: World) -> None:
    owner_sells(world)
    answer = world.say(OWNER, f"/access ch_{KEY} personal")
    assert "one person" in answer["text"]


def link_in(answer: dict[str, Any]) -> str:
    [[button]] = answer["reply_markup"]["inline_keyboard"]
    return str(button["url"])


def link_shown(buttons: tuple[str, ...]) -> str:
    """The URL of a message's one button, as the fake's transcript shows it."""
    [button] = buttons
    return button.rpartition("<")[2].rstrip(">")


def link(world: World, url: str) -> Link:
    return world.fake.state.chats.group(CHAT).links[url]


def bought(world: World) -> str:
    world.top_up(BUYER, 50_000)
    return link_in(buy_from_wallet(world, BUYER))


def subscription(world: World, user_id: int) -> subscriptions.Subscription:
    stream = subscriptions.stream_of(CHAT, user_id)
    return world.rt.pipeline.current(subscriptions.subscriptions, stream)


def test_a_buyer_forwards_their_link_nobody_else_gets_in(world: World) -> None:
    sells_personal_links(world)
    forwarded = bought(world)
    made = link(world, forwarded)
    assert (made.member_limit, made.name, made.creates_join_request) == (1, f"buyer {BUYER}", False)
    ends = subscription(world, BUYER).ends_at
    assert ends is not None
    assert made.expire_date == int(ends.timestamp())

    assert world.open(FRIEND, forwarded) is None  # Telegram lets them in: the link had room
    assert world.members() == set()  # ... and the bot took them out again
    assert link(world, forwarded).revoked
    assert FRIEND not in world.fake.state.chats.group(CHAT).banned  # free to buy
    told = world.fake.transcript(BUYER)[-1]
    assert "Someone else opened your link" in told.text
    fresh = link_shown(told.buttons)
    assert fresh != forwarded
    assert world.open(FRIEND, forwarded) == "INVITE_HASH_EXPIRED"
    assert world.open(BUYER, forwarded) == "INVITE_HASH_EXPIRED"
    assert world.open(BUYER, fresh) is None
    assert world.members() == {BUYER}
    assert world.open(FRIEND, fresh) == "INVITE_HASH_EXPIRED"  # dead once the buyer is in
    assert world.members() == {BUYER}
    state = subscription(world, BUYER)
    assert (state.joined, state.link, state.links_issued) == (True, None, 2)


def test_the_link_stays_dead_after_the_buyer_joined_even_once_they_leave(world: World) -> None:
    sells_personal_links(world)
    own = bought(world)
    assert world.open(BUYER, own) is None
    assert "You are in" in world.fake.transcript(BUYER)[-1].text
    assert world.open(FRIEND, own) == "INVITE_HASH_EXPIRED"
    with world.fake.state.lock:  # the buyer leaves: a live member_limit=1 link had room again
        group = world.fake.state.chats.group(CHAT)
        world.fake.state.chats.leave(group, BUYER, world.fake.state.users[BUYER], banned=False)
    world.flush()
    assert world.open(FRIEND, own) == "INVITE_HASH_EXPIRED"
    assert world.members() == set()


def test_a_redelivered_join_update_removes_and_replaces_once(world: World) -> None:
    sells_personal_links(world)
    forwarded = bought(world)
    with world.fake.state.lock:
        open_link(world.fake.state, human_user(FRIEND, "F", "en", None), forwarded)
        [joined] = world.fake.state.chats.queued
        world.fake.state.chats.queued.clear()
    update = {"update_id": 4242, **joined}
    for _ in range(2):
        assert post_update(world.webhook, update).status_code == 200
    assert len(world.fake.calls("createChatInviteLink")) == 3  # join-request, first, fresh
    # Telegram's calls are made again (each is idempotent); the removal happened once.
    assert len([c for c in world.fake.calls("banChatMember") if c.ok]) == 1
    assert subscription(world, BUYER).links_issued == 2
    assert world.members() == set()


def test_asking_again_hands_out_the_same_link_until_it_is_used(world: World) -> None:
    sells_personal_links(world)
    first = bought(world)
    again = link_in(world.tap(BUYER, f"ch:join:{KEY}:"))
    assert again == first
    assert len(world.fake.calls("createChatInviteLink")) == 2  # the join-request link, this


def test_a_subscriber_through_someone_elses_link_stays_and_the_buyer_gets_a_new_one(
    world: World,
) -> None:
    sells_personal_links(world)
    forwarded = bought(world)
    world.top_up(FRIEND, 50_000)
    buy_from_wallet(world, FRIEND)
    assert world.open(FRIEND, forwarded) is None
    assert world.members() == {FRIEND}
    assert subscription(world, FRIEND).joined
    assert subscription(world, BUYER).live_link(world.rt.clock.now()) not in (None, forwarded)


def test_only_the_owner_chooses_how_buyers_get_in_and_requests_stay_the_default(
    world: World,
) -> None:
    owner_sells(world)
    before = everything_written(world.rt)
    refused = world.say(BUYER, f"/access ch_{KEY} personal")
    assert "Only the channel's owner" in refused["text"]
    assert everything_written(world.rt) == before
    world.top_up(BUYER, 50_000)
    assert link_in(buy_from_wallet(world, BUYER)) == world.join_link()
