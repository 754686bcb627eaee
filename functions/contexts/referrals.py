"""Referrals: a link per user, a commission on the deposits of those they invite, tiers and
badges on `loyalty-<id>`, /referrals and /leaderboard.

Binding happens once, at the referee's first registration (`user.registered.v1` carries the
`/start ref_<code>` code); a succeeded wallet deposit of a referee earns the referrer
floor(rate * amount) on their wallet, once per deposit, and a refund takes it back. Each
referral, commission, reversal, deposit and delivered order is counted once on the user's
loyalty stream, which decides the tiers reached and badges unlocked from their tables
(docs/architecture.md, "Referrals").
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from pydantic import SecretStr

from functions.contexts.base import (
    BoundedContext,
    Function,
    Subscriber,
    projection,
    reactor,
    reactors,
    rule,
)
from functions.runtime import secrets
from functions.runtime.env_settings import EnvConfig, EnvSettings
from functions.runtime.settings import MissingSetting
from functions.telegram.routes import Route, command

if TYPE_CHECKING:
    from events.referrals import Terms
    from functions.domain import loyalty
    from functions.reactors.base import Reactor

# Whole units of the tier currency (the Bronze 0 ... Diamond 5,000 PLN).
TIERS = {"bronze": 0, "silver": 100, "gold": 500, "platinum": 1_000, "diamond": 5_000}


class ReferralsSettings(EnvSettings):
    """SOKO_REFERRALS_*: the programme's terms and how its links are made.

    rate_bp: commission in basis points of each deposit (300 = 3%), rounded down.
    min_deposit / cap: per currency in minor units, JSON ({"PLN": 1000}); empty: none.
    window_days: deposits this long after sign-up earn nothing more; unset: no window.
    secret: keys the codes' HMAC. No default: a deployment mounts it from Secret Manager
      (`soko-referrals-secret`), the local stack makes one per run, and changing it voids
      every link handed out. Missing, the first code made or read fails naming it.
    tier_currency / tiers: the tiers by lifetime commission, in whole units of
      tier_currency (PLN; JSON {"bronze": 0, "silver": 100, ...}, ascending from 0).
    tier_rates_bp: a tier's own commission rate ({"gold": 400}): while the referrer is in
      it, each commission also pays the difference to the referee's bound rate as a bonus;
      none set (the default): every tier pays the bound rate.
    conversion: how commission in another currency counts toward the tiers: minor units of
      tier_currency per 1,000,000 minor units of it ({"KES": 30000}: KES 100 counts as PLN
      3), truncated per commission; a currency without a rate does not count.
    """

    model_config = EnvConfig(env_prefix="SOKO_REFERRALS_", frozen=True, extra="ignore")
    rate_bp: int = 300
    min_deposit: dict[str, int] = {}
    cap: dict[str, int] = {}
    window_days: int | None = None
    secret: SecretStr | None = None
    tier_currency: str = "PLN"
    tiers: dict[str, int] = TIERS
    tier_rates_bp: dict[str, int] = {}
    conversion: dict[str, int] = {}

    def programme(self) -> loyalty.Programme:
        """The tiers in minor units of their currency, the conversion table, the badges."""
        from events.money import currency
        from functions.domain import loyalty

        unit = 10 ** currency(self.tier_currency).exponent
        unknown = sorted(set(self.tier_rates_bp) - set(self.tiers))
        if unknown:
            raise ValueError(f"SOKO_REFERRALS_TIER_RATES_BP names no tier: {unknown}")
        tiers = tuple(
            loyalty.Tier(name, whole * unit, self.tier_rates_bp.get(name))
            for name, whole in self.tiers.items()
        )
        try:
            return loyalty.Programme(self.tier_currency, tiers, self.conversion)
        except ValueError as err:
            raise ValueError(f"SOKO_REFERRALS_TIERS / _CONVERSION / _TIER_RATES_BP: {err}") from err

    def terms(self) -> Terms:
        from events.referrals import Terms

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
    return ReferralsSettings.from_env()


@cache
def programme() -> loyalty.Programme:
    return referral_settings().programme()


def terms_and_secret() -> tuple[Terms, str]:
    found = referral_settings()
    return found.terms(), found.code_secret()


@cache
def bind() -> Reactor:
    """Binding a registration's code, by the terms and key the settings name."""
    from functions.reactors.referrals import bind_referral

    return bind_referral(terms_and_secret)


@cache
def count() -> tuple[Reactor, ...]:
    """Counting each fact once on the loyalty streams, by the programme's tables."""
    from functions.reactors.loyalty import counters

    return counters(programme)


REACTORS = "functions.reactors.referrals"
BIND = (reactor(__name__, "bind", call=True), reactor(REACTORS, "join_referrer"))
EARN = (reactor(REACTORS, "earn_commission"), reactor(REACTORS, "reverse_commission"))
MOVE = reactor(REACTORS, "move_commission")
LOYALTY = (
    reactors(__name__, "count", call=True),
    reactor("functions.reactors.loyalty", "move_bonus"),
)
VIEWS = (
    projection("functions.projections.referrals", "referral_links"),
    projection("functions.projections.referrals", "referral_earnings"),
    projection("functions.projections.loyalty", "loyalty_view"),
)
NOTICES = "functions.notifications.referrals"
SECRET = "referrals_secret"  # noqa: S105 - a name: SOKO_REFERRALS_SECRET, mounted where codes are made or read
HANDLERS = "functions.telegram.referrals"
BOARD = "functions.telegram.leaderboard"
ROUTES: tuple[Route, ...] = (
    command("/referrals", HANDLERS, "on_referrals", "help.referrals"),
    command("/leaderboard", BOARD, "on_leaderboard", "help.leaderboard"),
)

CONTEXT = BoundedContext(
    name="referrals",
    routes=ROUTES,
    categories=("referral", "loyalty"),
    # /leaderboard hide and show; the binding followed inline after /start.
    commands_append_to=("referral", "loyalty"),
    # Bound before /start is answered: a referee's first deposit cannot succeed before
    # their binding (a deposit decided on an unbound referral stream earns nothing, and
    # the subscriber alone may take seconds). bind_referrals finishes what this misses.
    inline={"user": BIND[:1], "referral": BIND[1:]},
    projections=VIEWS,
    reactors=(*BIND, *EARN, MOVE, *LOYALTY),
    rules={
        "referral.referee_joined.v1": (rule(NOTICES, "new_referral"),),
        "loyalty.tier_reached.v1": (rule("functions.notifications.loyalty", "tier_reached"),),
        "loyalty.achievement_unlocked.v1": (
            rule("functions.notifications.loyalty", "achievement_unlocked"),
        ),
        "referral.commission_reversed.v1": (rule(NOTICES, "commission_reversed"),),
        "wallet.credited.v1": (rule(NOTICES, "commission_paid"),),
        "wallet.debited.v1": (rule(NOTICES, "debt_repaid"),),
    },
    subscribers=(
        Subscriber(
            Function("project_referrals", "pubsub", concurrency=4),
            projections=VIEWS,
            subscription="project-referrals-{category}",  # it reads three categories
        ),
        Subscriber(
            Function(
                "bind_referrals", "pubsub", family="binder", publishes=("referral",),
                # Resolves a registration's code: its own account, so no other reactor
                # may read the key that makes codes.
                secrets=(SECRET,),
            ),
            reactors=BIND,
            subscription="bind-referrals-{category}",
        ),
        Subscriber(
            Function(
                "earn_commissions", "pubsub", concurrency=4, family="reactor",
                publishes=("referral",),
            ),
            reactors=EARN,
        ),
        Subscriber(
            Function(
                "pay_commissions", "pubsub", concurrency=4, family="reactor",
                publishes=("wallet",),
            ),
            reactors=(MOVE,),
        ),
        Subscriber(
            Function(
                "reward_loyalty", "pubsub", concurrency=4, family="reactor",
                publishes=("loyalty", "wallet"),
            ),
            reactors=LOYALTY,
            subscription="reward-loyalty-{category}",  # it reads four categories
        ),
    ),
    settings=(ReferralsSettings,),
    route_secrets=(SECRET,),  # /referrals makes codes, /start ref_<code> reads one
)  # fmt: skip
