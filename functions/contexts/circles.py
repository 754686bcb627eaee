"""Savings circles (ROSCA, chama): groups that pay in every period and take the pot in turn.

`circle-<id>` decides (functions/domain/circles.py); the money moves on the members'
wallets: a deposit is held (not spent), a contribution debited, a pot credited, each once
under a reference naming the circle, round and member (docs/architecture.md, "Savings
circles"). The reactors run inline after a tap, so the answer shows the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

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
from functions.telegram.routes import Ref, Route, command, question

if TYPE_CHECKING:
    from events.tiers import Limits
    from functions.reactors.base import Reactor


class Tier(BaseModel):
    """A tier for owners: open or running circles (0: any number), members each, and its
    price per 30 days in minor units of `SOKO_CIRCLES_TIER_CURRENCY` (0: free)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    circles: int
    members: int
    price: int = 0

    def limits(self) -> Limits:
        from events.tiers import Limits

        return Limits(circles=self.circles, members=self.members)


# The default tiers (prices are examples a deployment sets): the first is the free one.
TIERS: dict[str, Tier] = {
    "starter": Tier(circles=1, members=5),
    "essential": Tier(circles=3, members=10, price=50_000),
    "advanced": Tier(circles=10, members=25, price=150_000),
    "extended": Tier(circles=0, members=50, price=300_000),
}


class CirclesSettings(EnvSettings):
    """SOKO_CIRCLES_*: allow_minutes accepts periods of minutes (`5min`), for trying rounds
    locally, never in a deployment. Invite links name the bot as SOKO_BOT_USERNAME or getMe
    does (functions/telegram/bot_names.py)."""

    model_config = EnvConfig(env_prefix="SOKO_CIRCLES_", frozen=True, extra="ignore")
    allow_minutes: bool = False
    tiers: dict[str, Tier] = TIERS  # JSON; the first one is free and in force without a purchase
    tier_currency: str = "KES"
    currencies: tuple[str, ...] = ()  # offered by the create questions beside the default

    def free(self) -> Limits:
        return next(iter(self.tiers.values())).limits()


@cache
def circle_settings() -> CirclesSettings:
    return CirclesSettings.from_env()


def tiers_on_sale() -> Mapping[str, Limits]:
    return {name: tier.limits() for name, tier in circle_settings().tiers.items()}


@cache
def buy() -> Reactor:
    """Buying a tier, at the prices the settings name."""
    from functions.reactors.tiers import buy_tier

    return buy_tier(tiers_on_sale)


@cache
def buy_on_rail() -> Reactor:
    """Buying a tier with a payment of purpose `tier`, once it has succeeded."""
    from functions.reactors.tiers import buy_tier_on_rail

    return buy_tier_on_rail(tiers_on_sale)


CIRCLE_REACTORS = reactors("functions.reactors.circles", "CIRCLE_REACTORS")
BUY = reactor(__name__, "buy", call=True)
BUY_ON_RAIL = reactor(__name__, "buy_on_rail", call=True)
FREE_SLOT = reactor("functions.reactors.tiers", "free_tier_slot")
REACTORS = (CIRCLE_REACTORS, BUY, BUY_ON_RAIL, FREE_SLOT)
# A tap's answer shows the join, the payment, the pot, the tier: all of them inline.
INLINE = {
    "wallet": (CIRCLE_REACTORS, BUY),
    "payment": (CIRCLE_REACTORS, BUY_ON_RAIL),
    "circle": (CIRCLE_REACTORS, FREE_SLOT),
}
VIEWS = (
    projection("functions.projections.circles", "circles_view"),
    projection("functions.projections.circles", "circle_memberships"),
)
NOTICES = "functions.notifications.circles"
SEATS = "functions.notifications.circle_seats"
RULES = {
    "circle.member_joined.v1": (rule(NOTICES, "member_joined"),),
    "circle.round_opened.v1": (rule(NOTICES, "round_opened"),),
    "circle.reminded.v1": (rule(NOTICES, "reminded"),),
    "circle.contribution_received.v1": (rule(NOTICES, "contribution_received"),),
    "circle.pot_paid.v1": (rule(NOTICES, "pot_paid"),),
    "circle.default_covered.v1": (rule(NOTICES, "default_covered"),),
    "circle.deposit_restored.v1": (rule(NOTICES, "deposit_restored"),),
    "circle.deposit_returned.v1": (rule(NOTICES, "deposit_returned"),),
    "circle.ended.v1": (rule(NOTICES, "circle_ended"),),
    **{
        event_type: (rule(SEATS, name),)
        for event_type, name in (
            ("circle.seat_wanted.v1", "seat_wanted"),
            ("circle.owner_reminded.v1", "owner_reminded"),
            ("circle.member_left.v1", "member_left"),
            ("circle.leave_requested.v1", "leave_requested"),
            ("circle.replacement_offered.v1", "replacement_offered"),
            ("circle.member_replaced.v1", "member_replaced"),
            ("tier.bought.v1", "tier_bought"),
        )
    },
}


HANDLERS = "functions.telegram.circles"
CREATE = "functions.telegram.circle_create"  # the create questions
JOBS = "functions.jobs.circles"
ROUTES: tuple[Route, ...] = (
    command("/circles", HANDLERS, "on_circles", "help.circles",
            args="[new <name> <amount> <daily|weekly|monthly|Nd> <members>]"),
    Route("callback", "circle", Ref(HANDLERS, "on_button")),
    question("circle_phone", HANDLERS, "on_phone_answer"),
    question("circle_tier_phone", "functions.telegram.circle_tiers", "on_tier_phone_answer"),
    Route("callback", "cnew", Ref(CREATE, "on_step")),
    question("circle_name", CREATE, "on_name_answer"),
    question("circle_amount", CREATE, "on_amount_answer"),
)  # fmt: skip

CONTEXT = BoundedContext(
    name="circles",
    routes=ROUTES,
    categories=("circle", "tier"),
    commands_append_to=("circle", "tier"),
    projections=VIEWS,
    reactors=REACTORS,
    inline=INLINE,
    rules=RULES,
    jobs=(
        Job("close-rounds", "* * * * *", Lazy(JOBS, "close_rounds")),
        Job("remind-circles", "*/10 * * * *", Lazy(JOBS, "remind")),
    ),
    subscribers=(
        Subscriber(
            Function("project_circles", "pubsub", concurrency=4),
            projections=VIEWS,
            subscription="project-circles-{category}",
        ),
        Subscriber(
            Function(
                "run_circles", "pubsub", concurrency=4, family="reactor",
                publishes=("wallet", "circle", "tier"),
            ),
            reactors=REACTORS,
            subscription="run-circles-{category}",
        ),
    ),
    settings=(CirclesSettings,),
)  # fmt: skip
