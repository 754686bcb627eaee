"""Savings circles (ROSCA, chama): groups that pay in every period and take the pot in turn.

`circle-<id>` decides (functions/domain/circles.py); the money moves on the members'
wallets: a deposit is held (not spent), a contribution debited, a pot credited, each once
under a reference naming the circle, round and member (docs/architecture.md, "Savings
circles"). The reactors run inline after a tap, so the answer shows the outcome.
"""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from functions.contexts.base import BoundedContext, Function, Job, Lazy, Subscriber
from functions.notifications.circles import RULES
from functions.projections.circles import circle_memberships, circles_view
from functions.reactors.circles import CIRCLE_REACTORS
from functions.telegram.routes import Ref, Route, command


class CirclesSettings(BaseSettings):
    """SOKO_CIRCLES_*: the bot's @name makes the invite links
    (https://t.me/<bot_username>?start=circle_<id>); allow_minutes accepts periods of minutes
    (`5min`), for trying rounds locally, never in a deployment."""

    model_config = SettingsConfigDict(env_prefix="SOKO_CIRCLES_", frozen=True, extra="ignore")
    bot_username: str = "soko_bot"
    allow_minutes: bool = False


@cache
def circle_settings() -> CirclesSettings:
    return CirclesSettings()


HANDLERS = "functions.telegram.circles"
JOBS = "functions.jobs.circles"
ROUTES: tuple[Route, ...] = (
    command("/circles", HANDLERS, "on_circles", "help.circles",
            args="[new <name> <amount> <daily|weekly|monthly|Nd> <members>]"),
    Route("callback", "circle", Ref(HANDLERS, "on_button")),
)  # fmt: skip

CONTEXT = BoundedContext(
    name="circles",
    routes=ROUTES,
    categories=("circle",),
    commands_append_to=("circle",),
    projections=(circles_view, circle_memberships),
    reactors=CIRCLE_REACTORS,
    inline=CIRCLE_REACTORS,  # a tap's answer shows the join, the payment, the pot
    rules=RULES,
    jobs=(
        Job("close-rounds", "* * * * *", Lazy(JOBS, "close_rounds")),
        Job("remind-circles", "*/10 * * * *", Lazy(JOBS, "remind")),
    ),
    subscribers=(
        Subscriber(
            Function("project_circles", "pubsub", concurrency=4),
            projections=(circles_view, circle_memberships),
            subscription="project-circles-{category}",
        ),
        Subscriber(
            Function(
                "run_circles", "pubsub", concurrency=4, family="reactor",
                publishes=("wallet", "circle"),
            ),
            reactors=CIRCLE_REACTORS,
            subscription="run-circles-{category}",
        ),
    ),
    settings=(CirclesSettings,),
)  # fmt: skip
