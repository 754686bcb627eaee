"""Paying an order directly on a rail (Stars, M-Pesa, QRIS) instead of from the wallet:
any offered option whose spec says it pays orders in the order's currency.

The payment has purpose "order" and names the order as its subject; when it succeeds the
checkout saga pays the order with it, and money that can no longer buy the order (sold out
after the hold lapsed, or paid twice) goes to the buyer's wallet instead of being lost.
"""

from __future__ import annotations

import html
import re

from events import Money
from functions import texts
from functions.domain import orders
from functions.providers.spec import RailSpec
from functions.shop import checkout
from functions.telegram.chat import Context, Reply, on_unknown, reply
from functions.telegram.deposits import STARS, offered, order_rails
from functions.telegram.rail_pay import PhoneQuestion, pay_on_rail
from functions.telegram.shop import state_label

# Every rail whose spec says the payer gives a phone asks for it; the question's marker names
# the order and the rail, so the answer needs no stored conversation state. Questions asked
# before markers named them in their (English) text, which this reads.
PHONE_ASKED = re.compile(
    r"Reply with your (?P<label>.+?) phone number to pay order (?P<order>[0-9a-f]{8,40})"
)


def phone_question(language: str, label: str, total: Money) -> str:
    """The question a rail whose payer gives a phone asks (its marker names the order)."""
    return texts.text(language, "shop.phone_question", rail=label, total=total)


def pay_order_on_rail(ctx: Context, order_id: str, rail: str, phone: str | None = None) -> Reply:
    order = checkout.settled(ctx.runtime, order_id).order
    if order.user_id != ctx.user_id:
        raise orders.NotYourOrder("this is not your order")
    if order.state not in orders.PAYABLE or order.total is None:
        state = state_label(ctx.language, order.state)
        return reply(ctx, texts.text(ctx.language, "shop.order_is", state=state))
    option = _order_rail(ctx, rail, order.total.currency)
    if option is None:  # a button from before this rail was switched off, or forged
        return reply(ctx, texts.text(ctx.language, "shop.rail_not_offered"))
    if option.name == STARS.name:
        return _stars_invoice(ctx, order_id, order.total)
    text = phone_question(ctx.language, option.label, order.total)
    asking = PhoneQuestion("order_phone", f"{order_id}:{option.name}", text)
    return pay_on_rail(ctx, option, order.total, purpose="order", subject=order_id,
                       phone=phone, question=asking)  # fmt: skip


def _order_rail(ctx: Context, name: str, currency: str) -> RailSpec | None:
    return next((o for o in order_rails(ctx.runtime, currency) if o.name == name), None)


def on_phone_answer(ctx: Context, argument: str) -> Reply:
    """The buyer's phone number, answering the `order_phone` question: `<order>:<rail> <phone>`
    (the question's marker names the order and the rail)."""
    asked, _, phone = argument.partition(" ")
    order_id, _, rail = asked.partition(":")
    return pay_order_on_rail(ctx, order_id, rail, phone=phone.strip())


def on_phone_reply(ctx: Context, text: str) -> Reply:
    """The buyer's phone number, answering a phone_question asked before questions carried a
    marker (replies.LEGACY): the rail is the one it names."""
    assert ctx.message is not None
    assert ctx.message.reply_to_message is not None
    found = PHONE_ASKED.search(ctx.message.reply_to_message.text or "")
    option = _asking_phone(ctx, found["label"]) if found else None
    if found is None or option is None:
        return on_unknown(ctx, text)
    return pay_order_on_rail(ctx, found["order"], option.name, phone=text.strip())


def _asking_phone(ctx: Context, label: str) -> RailSpec | None:
    offered_rails = offered(ctx.runtime)
    return next((o for o in offered_rails if o.payer_gives == "phone" and o.label == label), None)


def _stars_invoice(ctx: Context, order_id: str, total: Money) -> Reply:
    from functions.telegram.stars import invoice, open_stars_payment

    payment_id = open_stars_payment(ctx, "order", total, subject=order_id)
    # An invoice's title and description are plain text, not HTML.
    return invoice(ctx.chat_id, payment_id, total) | {
        "title": html.unescape(texts.text(ctx.language, "shop.stars_title")),
        "description": html.unescape(
            texts.text(ctx.language, "shop.stars_description", total=total, ref=payment_id)
        ),
    }
