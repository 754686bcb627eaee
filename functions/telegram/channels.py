"""A buyer's way into a paid channel: /subscribe or the deep link, plans, paying, joining.

Buttons are `ch:<action>:<channel key>[:<plan>]`: `plans` (the channel's page), `buy` (how
to pay), `wallet` / `stars` / `monthly` (a Star subscription) / `rail:<plan>:<rail>` (pay on a rail,
asking for the phone a mobile-money rail needs when the payer set none: `channel_phone`),
`join` (the link to ask to join), and the donation keypad's (functions/telegram/donations.py).
Join requests are answered in functions/telegram/join_requests.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from functions import texts
from functions.channels import buying, personal
from functions.domain import channels
from functions.notifications.channels import PREFIX
from functions.projections.channels import selling
from functions.telegram import donations, rail_pay
from functions.telegram.bot_api import BotApiError
from functions.telegram.bot_names import bot_username
from functions.telegram.chat import Context, Reply, on_stale_button, plain, reply
from functions.telegram.stars import invoice

log = logging.getLogger(__name__)


def deep_link(ctx: Context, chat_id: int) -> str:
    return f"https://t.me/{bot_username(ctx.runtime)}?start={channels.code_of(chat_id)}"


def _label(language: str, key: str, **values: texts.Value) -> str:
    """A button's label: plain text (Telegram shows no markup there)."""
    return plain(texts.text(language, key, **values))


def _button(label: str, data: str) -> dict[str, str]:
    return {"text": label, "callback_data": data}


def _with_buttons(answer: Reply, rows: list[list[dict[str, str]]]) -> Reply:
    return {**answer, "reply_markup": {"inline_keyboard": rows}} if rows else answer


def on_subscribe(ctx: Context, argument: str) -> Reply:
    """Every channel on sale, one button each."""
    found = selling(ctx.runtime.read_models)
    if not found:
        return reply(ctx, texts.text(ctx.language, "channels.none_on_sale"))
    rows = [[_button(c.title, f"{PREFIX}:plans:{channels.key_of(c.chat_id)}")] for c in found]
    return _with_buttons(reply(ctx, texts.text(ctx.language, "channels.pick")), rows)


def on_deep_link(ctx: Context, code: str) -> Reply:
    """/start ch_<key>: the channel's page, or a word that it is not for sale."""
    chat_id = channels.chat_of(code.removeprefix(channels.CODE_PREFIX))
    if chat_id is None:
        return reply(ctx, texts.text(ctx.language, "refusal.channel_not_selling"))
    return _page(ctx, chat_id)


def _page(ctx: Context, chat_id: int) -> Reply:
    channel = buying.load_channel(ctx.runtime, chat_id)
    if not channel.selling:
        raise buying.NotSelling("this channel is not on sale")
    key = channels.key_of(chat_id)
    rows = [
        [_button(_label(ctx.language, "channels.plan_button", days=p.days, price=p.price),
                 f"{PREFIX}:buy:{key}:{p.plan_id}")]
        for p in channel.plans.values()
    ]  # fmt: skip
    donate = _label(ctx.language, "channels.button_donate")
    rows.append([_button(donate, f"{PREFIX}:don:{key}:")])
    said = texts.text(ctx.language, "channels.page", title=channel.title)
    return _with_buttons(reply(ctx, said), rows)


def on_button(ctx: Context, argument: str) -> Reply:
    action, _, rest = argument.partition(":")
    key, _, plan_id = rest.partition(":")
    chat_id = channels.chat_of(key)
    on_rail = ON_RAIL.get(action)
    if on_rail is not None and chat_id is not None:  # ch:rail:<key>:<plan>:<rail>
        plan_id, _, rail = plan_id.partition(":")
        return on_rail(ctx, chat_id, plan_id, rail, None)
    handler = ACTIONS.get(action)
    if chat_id is None or handler is None:
        return on_stale_button(ctx, argument)
    return handler(ctx, chat_id, plan_id)


def _plans(ctx: Context, chat_id: int, plan_id: str) -> Reply:
    return _page(ctx, chat_id)


def _buy(ctx: Context, chat_id: int, plan_id: str) -> Reply:
    chosen = buying.choose(ctx.runtime, chat_id, plan_id)
    key, price = channels.key_of(chat_id), chosen.plan.price
    rows = [[_button(_label(ctx.language, "channels.button_wallet"),
                     f"{PREFIX}:wallet:{key}:{plan_id}")]]  # fmt: skip
    if price.currency == "XTR":
        label = _label(ctx.language, "channels.button_stars")
        rows.append([_button(label, f"{PREFIX}:stars:{key}:{plan_id}")])
    for option in rail_pay.rails_taking(ctx, price):
        rows.append([_button(option.label, f"{PREFIX}:rail:{key}:{plan_id}:{option.name}")])
    if price.currency == "XTR" and chosen.plan.days == buying.STAR_PERIOD_DAYS:
        label = _label(ctx.language, "channels.button_star_subscription")
        rows.append([_button(label, f"{PREFIX}:monthly:{key}:{plan_id}")])
    said = texts.text(ctx.language, "channels.pay_how", title=chosen.channel.title,
                      days=chosen.plan.days, price=price)  # fmt: skip
    return _with_buttons(reply(ctx, said), rows)


def _wallet(ctx: Context, chat_id: int, plan_id: str) -> Reply:
    bought = buying.pay_from_wallet(
        ctx.runtime, user_id=ctx.user_id, chat_id=chat_id, plan_id=plan_id, trace=ctx.trace
    )
    channel = buying.load_channel(ctx.runtime, chat_id)
    key = "channels.subscribed_personal" if channel.personal_links else "channels.subscribed"
    said = texts.text(ctx.language, key, title=channel.title, ends=when(bought.ends_at))
    return _join_button(ctx, reply(ctx, said), _way_in(ctx, channel))


def _stars(ctx: Context, chat_id: int, plan_id: str) -> Reply:
    payment_id, price = buying.open_stars_payment(
        ctx.runtime, user_id=ctx.user_id, chat_id=chat_id, plan_id=plan_id, trace=ctx.trace
    )
    title = buying.load_channel(ctx.runtime, chat_id).title
    # An invoice's title (1-32 characters) and description are plain text.
    return invoice(ctx.chat_id, payment_id, price, ctx.language) | {
        "title": _label(ctx.language, "channels.invoice_title", title=title)[:32],
        "description": _label(
            ctx.language, "channels.invoice_description", title=title, ref=payment_id
        ),
    }


def _rail(ctx: Context, chat_id: int, plan_id: str, rail: str, phone: str | None = None) -> Reply:
    """A payment of purpose `subscription` on a rail, once per update; the time follows
    its verified success like a deposit's credit does."""
    chosen = buying.choose(ctx.runtime, chat_id, plan_id)
    price = chosen.plan.price
    option = next((o for o in rail_pay.rails_taking(ctx, price) if o.name == rail), None)
    if option is None:
        return on_stale_button(ctx, rail)  # switched off since, or forged
    text = texts.text(ctx.language, "channels.phone_question", rail=option.label, price=price,
                      title=chosen.channel.title)  # fmt: skip
    payload = f"rail:{channels.key_of(chat_id)}:{plan_id}:{rail}"
    asking = rail_pay.PhoneQuestion("channel_phone", payload, text)
    return rail_pay.pay_on_rail(ctx, option, price, purpose="subscription",
                                subject=chosen.purchase.spelled(), phone=phone,
                                question=asking)  # fmt: skip


def on_phone_answer(ctx: Context, argument: str) -> Reply:
    """The payer's phone, answering `channel_phone`: `<button action>:<key>:<plan or digits>:<rail>
    <phone>`, the marker naming what the tapped button paid (see ON_RAIL) and on which rail."""
    asked, _, phone = argument.partition(" ")
    kind, key, what, rail = [*asked.split(":"), "", "", ""][:4]
    chat_id = channels.chat_of(key)
    pay = ON_RAIL.get(kind)
    if chat_id is None or pay is None:
        return on_stale_button(ctx, asked)
    return pay(ctx, chat_id, what, rail, phone.strip() or None)  # nothing typed: ask again


def _monthly(ctx: Context, chat_id: int, plan_id: str) -> Reply:
    """A Star subscription: an invoice link Telegram charges every 30 days; each charge
    buys 30 days (functions/payments/stars.renewal_payment), and a cancelled one simply
    brings no more, so access ends when the time paid for does."""
    payment_id, price = buying.open_stars_payment(
        ctx.runtime, user_id=ctx.user_id, chat_id=chat_id, plan_id=plan_id, trace=ctx.trace,
        monthly=True,
    )  # fmt: skip
    title = buying.load_channel(ctx.runtime, chat_id).title
    params = {
        "title": _label(ctx.language, "channels.invoice_title", title=title)[:32],
        "description": _label(ctx.language, "channels.invoice_monthly", title=title),
        "payload": payment_id, "provider_token": "", "currency": "XTR",
        "prices": [{"label": title[:32] or "Subscription", "amount": price.amount}],
        "subscription_period": buying.STAR_PERIOD_S,
    }  # fmt: skip
    try:
        link = ctx.runtime.bot().call("createInvoiceLink", params)
    except BotApiError as err:
        log.warning("no Star subscription link: %s", err)
        return reply(ctx, texts.text(ctx.language, "channels.monthly_unavailable"))
    said = texts.text(ctx.language, "channels.monthly", title=title, price=price)
    label = _label(ctx.language, "channels.button_star_subscription")
    return {
        **reply(ctx, said),
        "reply_markup": {"inline_keyboard": [[{"text": label, "url": str(link)}]]},
    }


def _join(ctx: Context, chat_id: int, plan_id: str) -> Reply:
    bought = buying.load_subscription(ctx.runtime, chat_id, ctx.user_id)
    channel = buying.load_channel(ctx.runtime, chat_id)
    if not bought.entitled(ctx.runtime.clock.now()):
        return reply(ctx, texts.text(ctx.language, "channels.not_subscribed"))
    key = "channels.join_personal" if channel.personal_links else "channels.join_here"
    said = texts.text(ctx.language, key, title=channel.title)
    return _join_button(ctx, reply(ctx, said), _way_in(ctx, channel))


def _way_in(ctx: Context, channel: channels.Channel) -> str | None:
    """The link this buyer joins by: their own one-person link where the owner chose those,
    else the channel's join-request link."""
    if channel.chat_id is not None and channel.personal_links:
        return personal.link_for(ctx.runtime, channel.chat_id, ctx.user_id, ctx.trace)
    return channel.join_link


def _join_button(ctx: Context, answer: Reply, link: str | None) -> Reply:
    if link is None:
        return answer
    label = _label(ctx.language, "channels.button_join")
    return {**answer, "reply_markup": {"inline_keyboard": [[{"text": label, "url": link}]]}}


def when(moment: Any) -> str:
    """A moment as buyers read it (UTC)."""
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


# Paying on a rail: ch:rail:<key>:<plan>:<rail>, ch:grail:<key>:<digits>:<rail> (a donation).
OnRail = Callable[[Context, int, str, str, "str | None"], Reply]
ON_RAIL: dict[str, OnRail] = {"rail": _rail, "grail": donations.on_rail}
ACTIONS = {
    "plans": _plans, "buy": _buy, "wallet": _wallet, "stars": _stars, "monthly": _monthly,
    "join": _join,
    # Donations (functions/telegram/donations.py): keypad, confirm, pay from wallet / Stars.
    "don": donations.keypad, "give": donations.confirm, "gw": donations.from_wallet,
    "gs": donations.with_stars,
}  # fmt: skip
