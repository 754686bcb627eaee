"""Paid channels: owners sell time-limited access to their private channels and groups.

The bot made an admin of a chat (`my_chat_member`) registers it for the user who did it;
its owner sets plans; a buyer pays from the wallet, with Stars or on any rail and gets in
through the channel's join-request link, approved only while their subscription runs, or,
where the owner chose it, a one-person link of their own (functions/channels/personal.py); the
end-subscriptions job warns, expires and removes (docs/architecture.md, "Paid channels").
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from pydantic import Field

from functions.contexts.base import (
    BoundedContext,
    Function,
    Job,
    Lazy,
    Subscriber,
    projection,
    reactor,
    reactors,
    rule,
)
from functions.runtime.env_settings import EnvConfig, EnvSettings
from functions.telegram.routes import Ref, Route, command, question, update

if TYPE_CHECKING:
    from functions.reactors.base import Reactor


class ChannelsSettings(EnvSettings):
    """SOKO_CHANNELS_*: the platform's fee.

    fee_bp: the platform's fee in basis points of every payment (500 = 5%), rounded down,
    so the owner gets the rest. Links name the bot as SOKO_BOT_USERNAME or getMe does
    (functions/telegram/bot_names.py).
    """

    model_config = EnvConfig(env_prefix="SOKO_CHANNELS_", frozen=True, extra="ignore")
    fee_bp: int = Field(default=500, ge=0, le=10_000)


@cache
def channels_settings() -> ChannelsSettings:
    return ChannelsSettings.from_env()


def fee_bp() -> int:
    return channels_settings().fee_bp


@cache
def revenue_reactors() -> tuple[Reactor, ...]:
    """Earning on subscriptions and donations, at the fee the settings name."""
    from functions.reactors.channels import donations, earn_revenue

    return (earn_revenue(fee_bp), *donations(fee_bp))


PROJECTIONS = "functions.projections.channels"
VIEWS = (
    projection(PROJECTIONS, "channels_view"),
    projection(PROJECTIONS, "subscriptions_view"),
    projection(PROJECTIONS, "revenue_view"),
)
REACTORS = "functions.reactors.channels"
SUBSCRIBE = (reactor(REACTORS, "subscribe_on_debit"), reactor(REACTORS, "subscribe_on_payment"))
REVENUE = reactors(__name__, "revenue_reactors", call=True)
RULES = "functions.notifications.channels"
BUYER = "functions.telegram.channels"
OWNER = "functions.telegram.channel_owner"
STATUS = "functions.telegram.channel_status"
ROUTES: tuple[Route, ...] = (
    command("/subscribe", BUYER, "on_subscribe", "help.subscribe"),
    Route("callback", "ch", Ref(BUYER, "on_button")),
    question("channel_phone", BUYER, "on_phone_answer"),  # a rail asking for the phone
    update("chat_join_request", "functions.telegram.join_requests", "on_join_request"),
    update("my_chat_member", STATUS, "on_bot_status"),
    update("chat_member", STATUS, "on_member"),
    command("/channels", OWNER, "on_channels", "help.channels"),
    command("/plan", OWNER, "on_plan", "help.plan", args="<code> <days> <price> <currency>"),
    command("/unplan", OWNER, "on_unplan", "help.unplan", args="<code> <plan>"),
    command("/dryrun", OWNER, "on_dry_run", "help.dryrun", args="<code> on|off"),
    command("/access", OWNER, "on_access", "help.access", args="<code> request|personal"),
    command("/revenue", OWNER, "on_revenue", "help.revenue"),
    command("/broadcast", OWNER, "on_broadcast", "help.broadcast", args="<code> <message>"),
)

CONTEXT = BoundedContext(
    name="channels",
    routes=ROUTES,
    categories=("channel", "subscription", "revenue"),
    commands_append_to=("channel", "subscription"),
    projections=VIEWS,
    reactors=(*SUBSCRIBE, REVENUE),
    # The buyer's answer names the end of the time they just bought.
    inline={"wallet": (reactor(REACTORS, "subscribe_on_debit"),)},
    rules={
        "subscription.paid.v1": (rule(RULES, "subscription_paid"),),
        "subscription.warned.v1": (rule(RULES, "expiry_warned"),),
        "subscription.removed.v1": (rule(RULES, "subscriber_removed"),),
        "revenue.earned.v1": (rule(RULES, "revenue_earned"),),
        "channel.broadcast.v1": (rule(RULES, "broadcast"),),
    },
    jobs=(
        Job("end-subscriptions", "*/10 * * * *", Lazy("functions.jobs.subscriptions", "end")),
    ),
    subscribers=(
        Subscriber(
            Function("project_channels", "pubsub", concurrency=4),
            projections=VIEWS,
            subscription="project-{category}s",
        ),
        Subscriber(
            Function(
                "grant_subscriptions", "pubsub", concurrency=4, family="reactor",
                publishes=("subscription",),
            ),
            reactors=SUBSCRIBE,
            subscription="grant-subscriptions-{category}",
        ),
        Subscriber(
            Function(
                "earn_channel_revenue", "pubsub", concurrency=4, family="reactor",
                publishes=("revenue",),
            ),
            reactors=(REVENUE,),
            subscription="earn-channel-revenue-{category}",  # it reads three categories
        ),
    ),
    settings=(ChannelsSettings,),
)  # fmt: skip
