"""A paid channel on the emulator stack, through the console as its users do it: an owner
makes the bot an admin and sets a plan in Stars, a buyer pays, asks to join and is let in,
a friend with the same link is not, and moved past the end the buyer is removed."""

from __future__ import annotations

import random

import pytest

from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually, new_user
from tests.e2e.console_process import chat_as

pytestmark = pytest.mark.e2e
OWNER, BUYER, FRIEND = new_user(), new_user(), new_user()
DAY = 86_400


def test_owner_sells_buyer_joins_friend_is_declined_and_the_end_removes_the_buyer(
    e2e_stack: LocalStack,
) -> None:
    chat_id = -1009_000_000_000 - random.randrange(10**6)  # a fresh chat per run
    code = f"ch_n{-chat_id}"
    owner, owner_out = chat_as(e2e_stack, OWNER, "Olga")
    owner.run(iter([f"/makeadmin {chat_id} Deep dives", f"/plan {code} 30 250 XTR"]))
    assert "Plan p1 added" in owner_out.getvalue(), owner_out.getvalue()

    buyer, out = chat_as(e2e_stack, BUYER, "Baraka")
    buyer.run(iter([f"/start {code}", "/tap 30 days — XTR 250", "/tap Pay with Stars", "/stars"]))
    assert "for your subscription" in out.getvalue(), out.getvalue()

    def let_in() -> bool:
        buyer.run(iter([f"/join {chat_id}"]))
        return BUYER in e2e_stack.telegram.members(chat_id)

    eventually(let_in, timeout=60)  # the subscription follows the payment through Pub/Sub
    friend, friend_out = chat_as(e2e_stack, FRIEND, "Friend")
    friend.run(iter([f"/join {chat_id}"]))
    assert "needs a subscription" in friend_out.getvalue(), friend_out.getvalue()
    assert e2e_stack.telegram.members(chat_id) == {BUYER}

    def removed() -> bool:
        e2e_stack.run_job("end-subscriptions")
        return e2e_stack.telegram.members(chat_id) == set()

    e2e_stack.clock.advance(31 * DAY)
    try:
        eventually(removed, timeout=60)  # the due time reaches the read model asynchronously
    finally:
        e2e_stack.clock.advance(-31 * DAY)  # the session's other tests run at the real time
