"""Buying a channel's plan: from the wallet (one debit per update), or with Stars.

A purchase is fixed when the buyer taps (channel, owner, plan, days) and travels with the
money, so what was bought cannot change under a payment in flight; the reactors turn the
money into time (functions/reactors/channels.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from events import Money
from events.channels import Plan
from functions.domain import channels, subscriptions, wallet
from functions.domain.channels import Channel
from functions.domain.decider import DomainError
from functions.domain.subscriptions import Purchase, Subscription
from functions.payments import stars
from functions.payments.ids import payment_id_for
from functions.runtime.pipeline import Trace

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime


class NotSelling(DomainError):
    """The channel is unknown, or the bot can no longer let buyers in."""

    code = "channel_not_selling"


class NotInStars(DomainError):
    code = "channel_plan_not_in_stars"


class NotMonthly(DomainError):
    """A Star subscription renews every 30 days (Telegram's only period)."""

    code = "channel_plan_not_monthly"


STAR_PERIOD_DAYS = 30
STAR_PERIOD_S = 2_592_000  # createInvoiceLink's subscription_period: exactly 30 days


@dataclass(frozen=True)
class Chosen:
    channel: Channel
    plan: Plan
    purchase: Purchase


def load_channel(rt: Runtime, chat_id: int) -> Channel:
    return rt.pipeline.current(channels.channels, channels.stream_of(chat_id))


def load_subscription(rt: Runtime, chat_id: int, user_id: int) -> Subscription:
    stream = subscriptions.stream_of(chat_id, user_id)
    return rt.pipeline.current(subscriptions.subscriptions, stream)


def choose(rt: Runtime, chat_id: int, plan_id: str) -> Chosen:
    """The plan as it is now; NotSelling or UnknownPlan (nothing written) otherwise."""
    channel = load_channel(rt, chat_id)
    if not channel.selling or channel.owner_id is None:
        raise NotSelling("this channel is not on sale")
    plan = channel.plans.get(plan_id)
    if plan is None:
        raise channels.UnknownPlan(f"no plan {plan_id}")
    purchase = Purchase(chat_id, channel.owner_id, plan.plan_id, plan.days)
    return Chosen(channel, plan, purchase)


def pay_from_wallet(
    rt: Runtime, *, user_id: int, chat_id: int, plan_id: str, trace: Trace
) -> Subscription:
    """Debit the plan's price once per update (the reference derives from its key), then
    the subscription follows inline. InsufficientFunds leaves everything as it was."""
    chosen = choose(rt, chat_id, plan_id)
    reference = subscriptions.wallet_reference(payment_id_for(trace), chosen.purchase)
    debit = wallet.Debit(user_id, chosen.plan.price, "subscription", reference)
    rt.execute(wallet.wallets, wallet.stream_of(user_id), debit, trace)
    return load_subscription(rt, chat_id, user_id)


def open_stars_payment(
    rt: Runtime, *, user_id: int, chat_id: int, plan_id: str, trace: Trace, monthly: bool = False
) -> tuple[str, Money]:
    """A Stars payment for a plan priced in Stars; its id is the invoice's payload.
    `monthly`: the first payment of a Star subscription (the plan must be 30 days)."""
    chosen = choose(rt, chat_id, plan_id)
    price = chosen.plan.price
    if price.currency != stars.CURRENCY:
        raise NotInStars("this plan is not priced in Stars")
    if monthly and chosen.plan.days != STAR_PERIOD_DAYS:
        raise NotMonthly("a Star subscription is for a 30-day plan")
    payment_id = stars.open_payment(
        rt, user_id=user_id, purpose="subscription", amount=price, trace=trace,
        subject=chosen.purchase.spelled(),
    )  # fmt: skip
    return payment_id, price
