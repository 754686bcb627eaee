"""Letting a buyer in and out of a channel through the Bot API.

In: the channel's link creates join requests; a request is approved only while the
requester's subscription runs, else declined. Out: banChatMember then
unbanChatMember(only_if_banned=True), so the user is out but may buy and join again; plain
unbanChatMember would itself remove a member, so it is never called without the flag.

Telegram's answers that mean "already so" count as done (../shared/reference/telegram.md):
a request already handled (HIDE_REQUESTER_MISSING), a user already in
(USER_ALREADY_PARTICIPANT), a user not there to remove (user not found, USER_NOT_PARTICIPANT).
"""

from __future__ import annotations

from typing import Literal

from functions.telegram.bot_api import Bot, BotApiError

ALREADY_HANDLED = ("HIDE_REQUESTER_MISSING", "USER_ALREADY_PARTICIPANT")
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
