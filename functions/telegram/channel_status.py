"""The bot's own status in a chat (my_chat_member) and members arriving (chat_member).

Made an administrator, the bot connects the chat for the user who did it (its owner from
then on) and makes its one join-request link; any other status disconnects it.
"""

from __future__ import annotations

import logging

from events.channels import ChatKind
from functions import texts
from functions.channels import personal
from functions.channels.buying import load_channel, load_subscription
from functions.domain import channels
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import BotApiError
from functions.telegram.channels import deep_link, when
from functions.telegram.chat import Context, Reply, plain

log = logging.getLogger(__name__)
KINDS: dict[str, ChatKind] = {"channel": "channel", "supergroup": "supergroup", "group": "group"}
LINK_NAME = "Subscribers"  # the join-request link's name, as the owner sees it in Telegram


def _to(user_id: int, said: str) -> Reply:
    """A message to the user's private chat (a chat update's own chat is the channel)."""
    return {"method": "sendMessage", "chat_id": user_id, "text": said, "parse_mode": "HTML"}


def on_bot_status(ctx: Context, argument: str) -> Reply:
    """The bot's status changed in a chat: an admin there sells it, anything else stops."""
    changed = ctx.update.my_chat_member
    assert changed is not None
    chat, by_user = changed.chat, changed.from_user.id
    kind = KINDS.get(chat.type)
    if kind is None:
        return {}  # a private chat: someone blocked or unblocked the bot
    stream, title = channels.stream_of(chat.id), chat.title or str(chat.id)
    member = changed.new_chat_member
    if member.status != "administrator":
        appended = ctx.runtime.pipeline.execute(
            channels.channels, stream, channels.Disconnect(member.status), ctx.trace
        )
        owner = load_channel(ctx.runtime, chat.id).owner_id
        if not appended.events or appended.duplicate or owner is None:
            return {}
        return _to(owner, texts.text(ctx.language, "channels.disconnected", title=title))
    connect = channels.Connect(
        chat.id, title, kind, by_user, member.can_invite_users, member.can_restrict_members
    )
    ctx.runtime.pipeline.execute(channels.channels, stream, connect, ctx.trace)
    channel = _with_join_link(ctx, chat.id)
    if channel.owner_id != by_user:
        return {}  # another admin changed the bot's rights: the owner stays who it was
    if not channel.can_invite:
        return _to(by_user, texts.text(ctx.language, "channels.needs_rights", title=title))
    said = texts.text(ctx.language, "channels.connected", title=title,
                      code=channels.code_of(chat.id), link=deep_link(ctx, chat.id))  # fmt: skip
    return _to(by_user, said)


def _with_join_link(ctx: Context, chat_id: int) -> channels.Channel:
    """The channel, with its join-request link made once (a failure is tried again the
    next time the bot's rights change)."""
    channel = load_channel(ctx.runtime, chat_id)
    if channel.join_link is not None or not channel.can_invite:
        return channel
    params = {"chat_id": chat_id, "name": LINK_NAME, "creates_join_request": True}
    try:
        made = ctx.runtime.bot().call("createChatInviteLink", params)
    except BotApiError as err:
        log.warning("no join link for %s: %s", chat_id, err)
        return channel
    link = made.get("invite_link") if isinstance(made, dict) else None
    if not isinstance(link, str) or not link:
        return channel
    stream = channels.stream_of(chat_id)
    # The update's key already recorded the Connect: this second command needs its own.
    key = f"{ctx.trace.idempotency_key}:join-link"
    why = Trace(key, ctx.trace.causation_id, ctx.trace.correlation_id)
    ctx.runtime.pipeline.execute(channels.channels, stream, channels.SetJoinLink(link), why)
    return load_channel(ctx.runtime, chat_id)


def on_member(ctx: Context, argument: str) -> Reply:
    """Someone became a member: a subscriber's join is recorded (approving a request
    recorded it already), and a one-person link is revoked once anyone joined through it;
    someone else than its buyer is removed, and the buyer is sent a new link."""
    changed = ctx.update.chat_member
    assert changed is not None
    joined = changed.new_chat_member.status == "member" and changed.old_chat_member.status in (
        "left", "kicked", "restricted",
    )  # fmt: skip
    if not joined:
        return {}
    chat_id, link = changed.chat.id, changed.invite_link
    url, name = (link.invite_link, link.name) if link is not None else (None, None)
    outcome = personal.joined(
        ctx.runtime, chat_id, changed.new_chat_member.user.id, url, name, ctx.trace
    )
    if outcome is None:
        return {}
    channel = load_channel(ctx.runtime, chat_id)
    if outcome.fresh is None:  # the buyer, through their own link
        bought = load_subscription(ctx.runtime, chat_id, outcome.buyer)
        said = texts.text(ctx.language, "channels.welcome_in", title=channel.title,
                          ends=when(bought.ends_at))  # fmt: skip
        return _to(outcome.buyer, said)
    said = texts.text(ctx.language, "channels.link_replaced", title=channel.title)
    label = plain(texts.text(ctx.language, "channels.button_join"))
    button = {"text": label, "url": outcome.fresh}
    return {**_to(outcome.buyer, said), "reply_markup": {"inline_keyboard": [[button]]}}
