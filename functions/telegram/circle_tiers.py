"""Owner tiers at the bot: the upgrade prompt (a tier's limit reached), buying a tier from
the wallet, or paying it on the rail chosen for the owner's phone (an M-Pesa STK push in
Kenya): a payment of purpose `tier` whose verified success buys it
(functions/reactors/tiers.py), so it is in force the moment the payment succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events import Money
from functions import texts
from functions.contexts.circles import Tier, circle_settings
from functions.domain import tiers, wallet
from functions.providers import registry
from functions.reactors.tiers import TIER, tier_reference
from functions.telegram import mobile_money
from functions.telegram.chat import Context, Reply, on_stale_button, reply
from functions.telegram.circle_cards import tag_of
from functions.telegram.deposits import start_by_phone
from functions.telegram.replies import ask

Rows = list[list[dict[str, Any]]]


def price_of(tier: Tier) -> Money:
    return Money(amount=tier.price, currency=circle_settings().tier_currency)


def upgrade_rows(ctx: Context, language: str, better: Callable[[Tier], bool]) -> Rows:
    """A row per priced tier that `better` accepts: from the wallet, and by phone where a
    configured mobile-money rail collects the tiers' currency."""
    by_phone = _phone_rails(ctx)
    rows: Rows = []
    for name, tier in circle_settings().tiers.items():
        if not tier.price or not better(tier):
            continue
        label = texts.text(language, "circles.button_tier", tier=name, price=price_of(tier))
        row = [{"text": label, "callback_data": f"circle:tier:{name}"}]
        if by_phone:
            phone = texts.text(language, "circles.button_tier_phone")
            row.append({"text": phone, "callback_data": f"circle:tierpay:{name}"})
        rows.append(row)
    return rows


def _phone_rails(ctx: Context) -> bool:
    currency, configured = circle_settings().tier_currency, ctx.runtime.rails()
    return any(
        spec.payer_gives == "phone" and spec.name in configured
        and spec.takes(ctx.runtime, currency)
        for spec in registry.specs()
    )  # fmt: skip


def upgrade_prompt(ctx: Context, limit: tiers.TierLimit) -> Reply:
    """Why the tier refuses another circle, with a row for each tier that allows more."""
    answer = reply(ctx, texts.refusal(ctx.language, limit))

    def more(tier: Tier) -> bool:
        return tier.circles == 0 or tier.circles > limit.limits.circles

    answer["reply_markup"] = {"inline_keyboard": upgrade_rows(ctx, ctx.language, more)}
    return answer


def seats_of(ctx: Context, owner_id: int) -> int:
    """Members per circle the owner's tier in force allows now (read from its stream)."""
    held = ctx.runtime.pipeline.current(tiers.tiers, tiers.stream_of(owner_id))
    seats: int = held.seats(ctx.runtime.clock.now(), circle_settings().free())
    return seats


def seat_prompt(ctx: Context) -> Reply:
    """The tiers that seat more members per circle than the owner's does now."""
    seats = seats_of(ctx, ctx.user_id)
    answer = reply(ctx, texts.text(ctx.language, "circles.upgrade_head", seats=seats))
    rows = upgrade_rows(ctx, ctx.language, lambda tier: tier.members > seats)
    answer["reply_markup"] = {"inline_keyboard": rows}
    return answer


def buy_from_wallet(ctx: Context, name: str) -> Reply:
    tier = circle_settings().tiers.get(name)
    if tier is None or not tier.price:
        return on_stale_button(ctx, name)
    reference = tier_reference(ctx.user_id, name, tag_of(ctx, ":tier"))
    debit = wallet.Debit(ctx.user_id, price_of(tier), TIER, reference)
    ctx.runtime.execute(wallet.wallets, wallet.stream_of(ctx.user_id), debit, ctx.trace)
    return reply(ctx, bought_text(ctx))


def bought_text(ctx: Context) -> str:
    held = ctx.runtime.pipeline.current(tiers.tiers, tiers.stream_of(ctx.user_id))
    until = held.until.strftime("%Y-%m-%d") if held.until else "-"
    return texts.text(ctx.language, "circles.tier_bought", tier=held.tier, until=until)


def pay_by_phone(ctx: Context, name: str, typed: str = "") -> Reply:
    """Start the tier's payment on the rail chosen for the phone typed, or the one
    remembered; with neither, ask for it."""
    tier = circle_settings().tiers.get(name)
    if tier is None or not tier.price:
        return on_stale_button(ctx, name)
    price = price_of(tier)
    known = typed.strip() or mobile_money.remembered(ctx)
    if not known:
        question = texts.text(ctx.language, "circles.tier_phone_question", tier=name, price=price)
        placeholder = texts.text(ctx.language, "shop.phone_placeholder")
        return ask(ctx, "circle_tier_phone", name, question, placeholder)
    routed = mobile_money.route_typed(ctx, known)
    if isinstance(routed, str):
        return reply(ctx, routed)
    phone, choice = routed
    assert choice.rail is not None  # route_typed said why otherwise
    if choice.route.currency != price.currency:  # tiers have one price, in one currency
        return reply(ctx, texts.text(
            ctx.language, "circles.tier_phone_currency", phone=phone.e164, price=price,
        ))  # fmt: skip
    refused = choice.rail.refusal(price)
    if refused is not None:
        return reply(ctx, texts.refusal(ctx.language, refused))
    return start_by_phone(ctx, choice, price, phone, "tier", name)


def on_tier_phone_answer(ctx: Context, argument: str) -> Reply:
    """The owner's phone, answering `circle_tier_phone`: `<tier> <phone>`."""
    name, _, phone = argument.partition(" ")
    return pay_by_phone(ctx, name, phone)
