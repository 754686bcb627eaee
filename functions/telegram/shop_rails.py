"""Paying an order directly on a rail (Stars, M-Pesa, QRIS) instead of from the wallet.

The payment has purpose "order" and names the order as its subject; when it succeeds the
checkout saga pays the order with it, and money that can no longer buy the order (sold out
after the hold lapsed, or paid twice) goes to the buyer's wallet instead of being lost.
"""

from __future__ import annotations

import re

from events import Money
from functions.domain import orders
from functions.payments.start import start_payment
from functions.shop import checkout
from functions.telegram.chat import Context, Reply, on_unknown, reply

PHONE_QUESTION = "Reply with your M-Pesa phone number to pay order "
ORDER_IN_QUESTION = re.compile(re.escape(PHONE_QUESTION) + r"([0-9a-f]{8,40})")


def pay_order_on_rail(ctx: Context, order_id: str, rail: str, phone: str | None = None) -> Reply:

    order = checkout.settled(ctx.runtime, order_id).order
    if order.user_id != ctx.user_id:
        raise orders.NotYourOrder("this is not your order")
    if order.state not in orders.PAYABLE or order.total is None:
        return reply(ctx, f"This order is {order.state}.")
    if rail == "stars":
        return _stars_invoice(ctx, order_id, order.total)
    if rail == "mpesa" and phone is None:
        question = reply(ctx, f"{PHONE_QUESTION}{order_id}")
        question["reply_markup"] = {"force_reply": True, "input_field_placeholder": "07…"}
        return question
    outcome = start_payment(
        ctx.runtime, user_id=ctx.user_id, rail_name=rail, amount=order.total,
        purpose="order", phone=phone, subject=order_id, trace=ctx.trace,
    )  # fmt: skip
    from functions.telegram.deposits import started_reply

    return started_reply(ctx, order.total, outcome, what="Payment for your order")


def on_phone_reply(ctx: Context, text: str) -> Reply:
    """The buyer's M-Pesa number, answering PHONE_QUESTION."""
    assert ctx.message is not None
    assert ctx.message.reply_to_message is not None
    found = ORDER_IN_QUESTION.search(ctx.message.reply_to_message.text or "")
    if found is None:
        return on_unknown(ctx, text)
    return pay_order_on_rail(ctx, found.group(1), "mpesa", phone=text.strip())


def _stars_invoice(ctx: Context, order_id: str, total: Money) -> Reply:
    from functions.telegram.stars import invoice, open_stars_payment

    payment_id = open_stars_payment(ctx, "order", total, subject=order_id)
    return invoice(ctx.chat_id, payment_id, total) | {
        "title": "Soko order",
        "description": f"Order {order_id[:12]}: {total.amount} Stars.",
    }
