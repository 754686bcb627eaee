"""Referrals: a link per user, a commission on the deposits of those they invite, /referrals.

Binding happens once, at the referee's first registration (`user.registered.v1` carries the
`/start ref_<code>` code); a succeeded wallet deposit of a referee earns the referrer
floor(rate * amount) on their wallet, once per deposit, and a refund takes it back
(docs/architecture.md, "Referrals").
"""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from events.referrals import Terms
from functions.contexts.base import BoundedContext, Function, Subscriber
from functions.notifications.referrals import commission_paid, commission_reversed, new_referral
from functions.projections.referrals import referral_earnings, referral_links
from functions.reactors.referrals import (
    bind_referral,
    earn_commission,
    join_referrer,
    move_commission,
    reverse_commission,
)
from functions.telegram.routes import Route, command


class ReferralsSettings(BaseSettings):
    """SOKO_REFERRALS_*: the programme's terms and how its links are made.

    rate_bp: commission in basis points of each deposit (300 = 3%), rounded down.
    min_deposit / cap: per currency in minor units, JSON ({"PLN": 1000}); empty: none.
    window_days: deposits this long after sign-up earn nothing more; unset: no window.
    secret: keys the codes' HMAC; a deployment sets its own (changing it voids old links).
    bot_username: the bot's @name, for https://t.me/<bot_username>?start=ref_<code>.
    """

    model_config = SettingsConfigDict(env_prefix="SOKO_REFERRALS_", frozen=True, extra="ignore")
    rate_bp: int = 300
    min_deposit: dict[str, int] = {}
    cap: dict[str, int] = {}
    window_days: int | None = None
    secret: str = "soko-local-referrals"  # noqa: S105 - local only; deployments set their own
    bot_username: str = "soko_bot"

    def terms(self) -> Terms:
        return Terms(
            rate_bp=self.rate_bp,
            min_deposit=self.min_deposit,
            cap=self.cap,
            window_days=self.window_days,
        )


@cache
def referral_settings() -> ReferralsSettings:
    """Read once per instance: the binding reactor and /referrals must agree on the secret."""
    return ReferralsSettings()


def terms_and_secret() -> tuple[Terms, str]:
    found = referral_settings()
    return found.terms(), found.secret


bind = bind_referral(terms_and_secret)
HANDLERS = "functions.telegram.referrals"
ROUTES: tuple[Route, ...] = (command("/referrals", HANDLERS, "on_referrals", "help.referrals"),)

CONTEXT = BoundedContext(
    name="referrals",
    routes=ROUTES,
    categories=("referral",),
    projections=(referral_links, referral_earnings),
    reactors=(bind, join_referrer, earn_commission, reverse_commission, move_commission),
    rules={
        "referral.referee_joined.v1": (new_referral,),
        "referral.commission_reversed.v1": (commission_reversed,),
        "wallet.credited.v1": (commission_paid,),
    },
    subscribers=(
        Subscriber(
            Function("project_referrals", "pubsub", concurrency=4),
            projections=(referral_links, referral_earnings),
            subscription="project-referrals-{category}",  # it reads two categories
        ),
        Subscriber(
            Function(
                "bind_referrals", "pubsub", family="reactor", publishes=("referral",)
            ),
            reactors=(bind, join_referrer),
            subscription="bind-referrals-{category}",
        ),
        Subscriber(
            Function(
                "earn_commissions", "pubsub", concurrency=4, family="reactor",
                publishes=("referral",),
            ),
            reactors=(earn_commission, reverse_commission),
        ),
        Subscriber(
            Function(
                "pay_commissions", "pubsub", concurrency=4, family="reactor",
                publishes=("wallet",),
            ),
            reactors=(move_commission,),
        ),
    ),
    settings=(ReferralsSettings,),
)  # fmt: skip
