"""A channel owner's side: the bot made an admin (my_chat_member), /channels, /plan,
/unplan, /dryrun, /revenue, and members arriving (chat_member).

Owners are not the bot's admins: each command is decided on the channel's stream, which
refuses anyone but its owner, and every list shows only the asker's own channels.
"""

from __future__ import annotations

import logging

from telegram import ChatMemberAdministrator

from events.channels import ChatKind
from events.money import MoneyError, parse_money
from functions import texts
from functions.channels.buying import load_channel
from functions.domain import channels, subscriptions
from functions.payments.ids import payment_id_for
from functions.projections.channels import (
    ChannelView,
    channels_of,
    revenue_of,
    subscriptions_of,
)
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import BotApiError
from functions.telegram.channels import deep_link
from functions.telegram.chat import Context, Reply, reply

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
    if not isinstance(member, ChatMemberAdministrator):
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
                      code=channels.code_of(chat.id), link=deep_link(chat.id))  # fmt: skip
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
    """Someone became a member: a subscriber's join is recorded (approving it recorded it
    already, so this is usually a no-op)."""
    changed = ctx.update.chat_member
    assert changed is not None
    joined = changed.new_chat_member.status == "member" and changed.old_chat_member.status in (
        "left", "kicked", "restricted",
    )  # fmt: skip
    if joined:
        user_id = changed.new_chat_member.user.id
        stream = subscriptions.stream_of(changed.chat.id, user_id)
        ctx.runtime.pipeline.execute(
            subscriptions.subscriptions, stream, subscriptions.Join(), ctx.trace
        )
    return {}


def on_channels(ctx: Context, argument: str) -> Reply:
    mine = channels_of(ctx.runtime.read_models, ctx.user_id)
    if not mine:
        return reply(ctx, texts.text(ctx.language, "channels.yours_none"))
    return reply(ctx, "\n\n".join(_described(ctx, c) for c in mine))


def _running(ctx: Context, chat_id: int) -> list[int]:
    """Subscribers whose time runs now (the job may not have expired the others yet)."""
    now = ctx.runtime.clock.now()
    return [
        s.user_id
        for status in subscriptions.LIVE
        for s in subscriptions_of(ctx.runtime.read_models, chat_id, status)
        if s.ends_at is not None and s.ends_at > now
    ]


def _described(ctx: Context, channel: ChannelView) -> str:
    language = ctx.language
    plans = "\n".join(
        texts.text(language, "channels.plan_line", plan=p.plan_id, days=p.days, price=p.price)
        for p in channel.plans
    ) or texts.text(language, "channels.no_plans")
    off = (
        ""
        if channel.connected and channel.can_invite
        else texts.text(language, "channels.off_sale")
    )
    dry = texts.text(language, "channels.dry_on") if channel.dry_run else ""
    return texts.text(
        language, "channels.yours", title=channel.title, code=channel.code,
        off=texts.Html(off), dry=texts.Html(dry), link=deep_link(channel.chat_id),
        plans=texts.Html(plans), active=len(_running(ctx, channel.chat_id)),
    )  # fmt: skip


def _chat_of_code(code: str) -> int | None:
    return channels.chat_of(code.removeprefix(channels.CODE_PREFIX))


def on_plan(ctx: Context, argument: str) -> Reply:
    """/plan <code> <days> <price> <currency>"""
    words = argument.split()
    usage = reply(ctx, texts.text(ctx.language, "channels.plan_usage"))
    if len(words) != 4 or not words[1].isdigit() or len(words[1]) > 5:
        return usage
    chat_id = _chat_of_code(words[0])
    if chat_id is None:
        return reply(ctx, texts.text(ctx.language, "channels.bad_code"))
    try:
        price = parse_money(words[2], words[3].upper())
    except MoneyError:
        return usage
    add = channels.AddPlan(ctx.user_id, int(words[1]), price)
    appended = ctx.runtime.pipeline.execute(
        channels.channels, channels.stream_of(chat_id), add, ctx.trace
    )
    plan = str(appended.events[0].data["plan"]["plan_id"])  # a redelivery: the same plan
    return reply(ctx, texts.text(ctx.language, "channels.plan_added", plan=plan,
                                 days=add.days, price=price))  # fmt: skip


def on_unplan(ctx: Context, argument: str) -> Reply:
    """/unplan <code> <plan>"""
    words = argument.split()
    if len(words) != 2:
        return reply(ctx, texts.text(ctx.language, "channels.unplan_usage"))
    chat_id = _chat_of_code(words[0])
    if chat_id is None:
        return reply(ctx, texts.text(ctx.language, "channels.bad_code"))
    remove = channels.RemovePlan(ctx.user_id, words[1][:8])
    ctx.runtime.pipeline.execute(channels.channels, channels.stream_of(chat_id), remove, ctx.trace)
    return reply(ctx, texts.text(ctx.language, "channels.plan_removed", plan=remove.plan_id))


def on_dry_run(ctx: Context, argument: str) -> Reply:
    """/dryrun <code> on|off"""
    words = argument.split()
    if len(words) != 2 or words[1].lower() not in ("on", "off"):
        return reply(ctx, texts.text(ctx.language, "channels.dry_usage"))
    chat_id = _chat_of_code(words[0])
    if chat_id is None:
        return reply(ctx, texts.text(ctx.language, "channels.bad_code"))
    on = words[1].lower() == "on"
    command = channels.SetDryRun(ctx.user_id, on)
    ctx.runtime.pipeline.execute(channels.channels, channels.stream_of(chat_id), command, ctx.trace)
    return reply(
        ctx, texts.text(ctx.language, "channels.dry_set_on" if on else "channels.dry_set_off")
    )


def on_broadcast(ctx: Context, argument: str) -> Reply:
    """/broadcast <code> <message>: to every running subscriber, one event per batch
    (the notify function sends them at its pace)."""
    code, _, text = argument.strip().partition(" ")
    if not text.strip():
        return reply(ctx, texts.text(ctx.language, "channels.broadcast_usage"))
    chat_id = _chat_of_code(code)
    if chat_id is None:
        return reply(ctx, texts.text(ctx.language, "channels.bad_code"))
    running = tuple(_running(ctx, chat_id))
    command = channels.Broadcast(ctx.user_id, payment_id_for(ctx.trace), text, running)
    appended = ctx.runtime.pipeline.execute(
        channels.channels, channels.stream_of(chat_id), command, ctx.trace
    )
    count = sum(len(e.data["recipients"]) for e in appended.events)
    return reply(ctx, texts.text(ctx.language, "channels.broadcast_sent", count=count))


def on_revenue(ctx: Context, argument: str) -> Reply:
    """Per channel and month, fee deducted; only the asker's own ledger."""
    lines = revenue_of(ctx.runtime.read_models, ctx.user_id)
    if not lines:
        return reply(ctx, texts.text(ctx.language, "channels.revenue_none"))
    titles = {c.chat_id: c.title for c in channels_of(ctx.runtime.read_models, ctx.user_id)}
    said = [texts.text(ctx.language, "channels.revenue_head")]
    for line in lines:
        said.append(texts.text(
            ctx.language, "channels.revenue_line", period=line.period,
            title=titles.get(line.chat_id, str(line.chat_id)), count=line.count,
            gross=line.gross, fee=line.fee, net=line.net,
        ))  # fmt: skip
    return reply(ctx, "\n".join(said))
