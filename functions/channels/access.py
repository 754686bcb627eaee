"""Letting a buyer in and out of a channel through the Bot API.

In: the channel's link creates join requests; a request is approved only while the
requester's subscription runs, else declined. Or, where the owner chose it, each buyer has
a one-person link (member_limit=1, which counts members still in through it, not uses), so
it is revoked as soon as anyone has joined through it (functions/channels/personal.py).
Out: banChatMember then unbanChatMember(only_if_banned=True), so the user is out but may
buy and join again; plain unbanChatMember would itself remove a member, so it is never
called without the flag.

Telegram's answers that mean "already so" count as done (../shared/reference/telegram.md):
a request already handled (HIDE_REQUESTER_MISSING), a user already in
(USER_ALREADY_PARTICIPANT), a user not there to remove (user not found, USER_NOT_PARTICIPANT).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from functions.telegram.bot_api import Bot, BotApiError

ALREADY_HANDLED = ("HIDE_REQUESTER_MISSING", "USER_ALREADY_PARTICIPANT")
LINK_GONE = ("INVITE_HASH_EXPIRED", "INVITE_HASH_INVALID")  # revoking it: already dead
PERSONAL = "buyer "  # + the buyer's id: a one-person link's name, read back on joining
NOT_THERE = ("user not found", "USER_NOT_PARTICIPANT", "PARTICIPANT_ID_INVALID")


def _says(error: BotApiError, answers: tuple[str, ...]) -> bool:
    text = str(error).lower()
    return any(answer.lower() in text for answer in answers)


def approve(bot: Bot, chat_id: int, user_id: int) -> None:
    """Approve a join request; one already handled, or a member already in, is done."""
    try:
        bot.call("approveChatJoinRequest", {"chat_id": chat_id, "user_id": user_id})
    except BotApiError as err:
        if not _says(err, ALREADY_HANDLED):
            raise


def personal_link(bot: Bot, chat_id: int, user_id: int, expires_at: datetime) -> str:
    """A link admitting one member, named after the buyer (the `chat_member` update of
    whoever joins through it names it back) and dying when the time paid for ends.
    BotApiError if Telegram refuses."""
    params = {"chat_id": chat_id, "name": f"{PERSONAL}{user_id}", "member_limit": 1,
              "expire_date": int(expires_at.timestamp())}  # fmt: skip
    made = bot.call("createChatInviteLink", params)
    link = made.get("invite_link") if isinstance(made, dict) else None
    if not isinstance(link, str) or not link:
        raise BotApiError(f"createChatInviteLink answered no link: {made!r}")
    return link


def buyer_named(name: str | None) -> int | None:
    """The buyer a one-person link was made for, from its name; None for other links."""
    digits = (name or "").removeprefix(PERSONAL)
    if not name or not name.startswith(PERSONAL) or not digits.isascii() or not digits.isdigit():
        return None
    return int(digits)


def revoke(bot: Bot, chat_id: int, link: str) -> None:
    """The link admits nobody any more; one already dead is as done."""
    try:
        bot.call("revokeChatInviteLink", {"chat_id": chat_id, "invite_link": link})
    except BotApiError as err:
        if not _says(err, LINK_GONE):
            raise


def remove(bot: Bot, chat_id: int, user_id: int) -> Literal["removed", "not_member"]:
    """Out of the chat and free to come back; BotApiError for anything Telegram refused
    that is not "they are not there"."""
    try:
        bot.call("banChatMember", {"chat_id": chat_id, "user_id": user_id})
    except BotApiError as err:
        if not _says(err, NOT_THERE):
            raise
        outcome: Literal["removed", "not_member"] = "not_member"
    else:
        outcome = "removed"
    # Lifts the ban only: without only_if_banned this call would remove a member itself.
    try:
        bot.call("unbanChatMember", {"chat_id": chat_id, "user_id": user_id,
                                     "only_if_banned": True})  # fmt: skip
    except BotApiError as err:
        if not _says(err, NOT_THERE):
            raise
    return outcome
