"""A channel owner's commands: /channels, /plan, /unplan, /dryrun, /access, /broadcast, /revenue
(the bot made an admin, and members arriving: functions/telegram/channel_status.py).

Owners are not the bot's admins: each command is decided on the channel's stream, which
refuses anyone but its owner, and every list shows only the asker's own channels.
"""

from __future__ import annotations

from events.money import MoneyError, parse_money
from functions import texts
from functions.domain import channels, subscriptions
from functions.payments.ids import payment_id_for
from functions.projections.channels import (
    ChannelView,
    channels_of,
    revenue_of,
    subscriptions_of,
)
from functions.telegram.channels import deep_link
from functions.telegram.chat import Context, Reply, reply


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
    if channel.personal_links:
        dry += texts.text(language, "channels.personal_on")
    return texts.text(
        language, "channels.yours", title=channel.title, code=channel.code,
        off=texts.Html(off), dry=texts.Html(dry), link=deep_link(ctx, channel.chat_id),
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


def on_access(ctx: Context, argument: str) -> Reply:
    """/access <code> request|personal: how buyers get in (functions/channels/personal.py)."""
    words = argument.split()
    if len(words) != 2 or words[1].lower() not in ("request", "personal"):
        return reply(ctx, texts.text(ctx.language, "channels.access_usage"))
    chat_id = _chat_of_code(words[0])
    if chat_id is None:
        return reply(ctx, texts.text(ctx.language, "channels.bad_code"))
    personal = words[1].lower() == "personal"
    command = channels.SetAccess(ctx.user_id, personal)
    ctx.runtime.pipeline.execute(channels.channels, channels.stream_of(chat_id), command, ctx.trace)
    said = "channels.access_set_personal" if personal else "channels.access_set_request"
    return reply(ctx, texts.text(ctx.language, said))


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
