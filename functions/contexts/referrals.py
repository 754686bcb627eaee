"""Referrals: a link per user, a commission on the deposits of those they invite, /referrals.

Binding happens once, at the referee's first registration (`user.registered.v1` carries the
`/start ref_<code>` code); a succeeded wallet deposit of a referee earns the referrer
floor(rate * amount) on their wallet, once per deposit, and a refund takes it back
(docs/architecture.md, "Referrals").
"""

from __future__ import annotations

from functools import cache

from pydantic import SecretStr
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
from functions.runtime import secrets
from functions.runtime.settings import MissingSetting
from functions.telegram.routes import Route, command


class ReferralsSettings(BaseSettings):
    """SOKO_REFERRALS_*: the programme's terms and how its links are made.

    rate_bp: commission in basis points of each deposit (300 = 3%), rounded down.
    min_deposit / cap: per currency in minor units, JSON ({"PLN": 1000}); empty: none.
    window_days: deposits this long after sign-up earn nothing more; unset: no window.
    secret: keys the codes' HMAC. No default: a deployment mounts it from Secret Manager
      (`soko-referrals-secret`), the local stack makes one per run, and changing it voids
      every link handed out. Missing, the first code made or read fails naming it.
    bot_username: the bot's @name, for https://t.me/<bot_username>?start=ref_<code>; unset,
      the bot's own getMe answer names it (asked once per instance), so a link cannot
      point at another bot.
    """

    model_config = SettingsConfigDict(env_prefix="SOKO_REFERRALS_", frozen=True, extra="ignore")
    rate_bp: int = 300
    min_deposit: dict[str, int] = {}
    cap: dict[str, int] = {}
    window_days: int | None = None
    secret: SecretStr | None = None
    bot_username: str | None = None

    def terms(self) -> Terms:
        return Terms(
            rate_bp=self.rate_bp,
            min_deposit=self.min_deposit,
            cap=self.cap,
            window_days=self.window_days,
        )

    def code_secret(self) -> str:
        """The HMAC key of the codes (an `sm://` reference is read once), or a failure
        naming the variable: never a default that would make codes anyone can forge."""
        name = "SOKO_REFERRALS_SECRET"
        if self.secret is None or not self.secret.get_secret_value():
            raise MissingSetting(f"{name} is not set")
        try:
            return secrets.reveal(self.secret.get_secret_value())
        except secrets.SecretUnavailable as err:
            raise MissingSetting(f"{name} {err}") from err


@cache
def referral_settings() -> ReferralsSettings:
    """Read once per instance: the binding reactor and /referrals must agree on the secret."""
    return ReferralsSettings()


def terms_and_secret() -> tuple[Terms, str]:
    found = referral_settings()
    return found.terms(), found.code_secret()


bind = bind_referral(terms_and_secret)
SECRET = "referrals_secret"  # noqa: S105 - a name: SOKO_REFERRALS_SECRET, mounted where codes are made or read
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
                "bind_referrals", "pubsub", family="binder", publishes=("referral",),
                # Resolves a registration's code: its own account, so no other reactor
                # may read the key that makes codes.
                secrets=(SECRET,),
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
    route_secrets=(SECRET,),  # /referrals makes codes, /start ref_<code> reads one
)  # fmt: skip
