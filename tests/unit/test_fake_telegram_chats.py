"""The fake Bot API's chat membership behaves as Telegram documents it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram.chats import make_admin, open_link
from tests.fakes.telegram.objects import human_user
from tests.fakes.telegram.wire import ApiRequest

pytestmark = pytest.mark.unit
CHAT, OWNER = -100500, 7


@pytest.fixture
def fake() -> FakeTelegram:
    fake = FakeTelegram()  # never started: calls go straight to its Bot API
    rights = {"can_invite_users": True, "can_restrict_members": True}
    make_admin(fake.state, CHAT, "Club", human_user(OWNER, "O", "en", None), "channel", rights)
    return fake


def call(fake: FakeTelegram, method: str, **params: Any) -> tuple[int, Any]:
    status, body = fake.api.call(fake.token, method, ApiRequest(params))
    return status, body.get("result", body.get("description"))


def user(user_id: int) -> dict[str, Any]:
    return human_user(user_id, "U", "en", None)


def test_member_limit_counts_members_still_in_not_uses(fake: FakeTelegram) -> None:
    _, link = call(fake, "createChatInviteLink", chat_id=CHAT, member_limit=1)
    open_link(fake.state, user(1), link["invite_link"])
    with pytest.raises(LookupError, match="USERS_TOO_MUCH"):
        open_link(fake.state, user(2), link["invite_link"])
    fake.state.chats.leave(fake.state.chats.group(CHAT), 1, user(1), banned=False)
    open_link(fake.state, user(2), link["invite_link"])  # the buyer left: someone else is in
    assert fake.members(CHAT) == {2}
    call(fake, "revokeChatInviteLink", chat_id=CHAT, invite_link=link["invite_link"])
    with pytest.raises(LookupError, match="INVITE_HASH_EXPIRED"):
        open_link(fake.state, user(3), link["invite_link"])


def test_limit_and_join_requests_exclude_each_other(fake: FakeTelegram) -> None:
    status, _ = call(fake, "createChatInviteLink", chat_id=CHAT, member_limit=1,
                     creates_join_request=True)  # fmt: skip
    assert status == 400


def test_a_join_request_is_answered_once(fake: FakeTelegram) -> None:
    _, link = call(fake, "createChatInviteLink", chat_id=CHAT, creates_join_request=True)
    update = open_link(fake.state, user(1), link["invite_link"])
    assert update is not None
    assert "chat_join_request" in update
    assert call(fake, "approveChatJoinRequest", chat_id=CHAT, user_id=1)[0] == 200
    assert call(fake, "approveChatJoinRequest", chat_id=CHAT, user_id=1)[1].endswith(
        "USER_ALREADY_PARTICIPANT"
    )
    assert call(fake, "declineChatJoinRequest", chat_id=CHAT, user_id=2)[1].endswith(
        "HIDE_REQUESTER_MISSING"
    )
    kinds = [next(iter(u)) for u in fake.state.chats.queued]
    assert kinds == ["chat_member"]


def test_unban_without_only_if_banned_removes_a_member(fake: FakeTelegram) -> None:
    _, link = call(fake, "createChatInviteLink", chat_id=CHAT)
    fake.state.users[1] = user(1)
    open_link(fake.state, user(1), link["invite_link"])
    assert call(fake, "unbanChatMember", chat_id=CHAT, user_id=1, only_if_banned=True)[0] == 200
    assert fake.members(CHAT) == {1}
    call(fake, "unbanChatMember", chat_id=CHAT, user_id=1)
    assert fake.members(CHAT) == set()


def test_ban_needs_the_right_and_a_known_user(fake: FakeTelegram) -> None:
    assert call(fake, "banChatMember", chat_id=CHAT, user_id=424242)[1].endswith("user not found")
    assert call(fake, "banChatMember", chat_id=CHAT, user_id=OWNER)[0] == 400
    fake.state.chats.group(CHAT).bot_rights = {"can_invite_users": True}
    fake.state.users[1] = user(1)
    assert call(fake, "banChatMember", chat_id=CHAT, user_id=1)[1].endswith("not enough rights")
    assert call(fake, "banChatMember", chat_id=-1, user_id=1)[1].endswith("chat not found")


def test_a_star_subscription_link_is_thirty_days_in_stars_only(fake: FakeTelegram) -> None:
    base = {"title": "Club", "description": "monthly", "payload": "p1", "currency": "XTR",
            "prices": [{"label": "Club", "amount": 250}]}  # fmt: skip
    assert call(fake, "createInvoiceLink", **base, subscription_period=2_592_000)[0] == 200
    assert call(fake, "createInvoiceLink", **base, subscription_period=86_400)[1].endswith(
        "SUBSCRIPTION_PERIOD_INVALID"
    )
    in_kes = {**base, "currency": "KES"}
    assert call(fake, "createInvoiceLink", **in_kes, subscription_period=2_592_000)[0] == 400
