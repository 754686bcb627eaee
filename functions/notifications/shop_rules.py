"""Notification rules of the shop: an order paid on a rail is delivered out of band.

A wallet payment is answered in the tap's own reply (functions/telegram/shop.py), so only
deliveries paid through a payment (Stars, M-Pesa, QRIS: they settle later, by callback) send
a message; money the shop gives back is announced whichever way it was paid.
"""

from __future__ import annotations

import html

from events.money import format_money
from events.shop import OrderDelivered
from events.wallet import WalletCredited
from functions.domain import references
from functions.notifications.notice import Facts, Notice


def order_delivered(event: OrderDelivered, facts: Facts) -> list[Notice]:
    if event.via == "wallet":
        return []
    if not event.items:
        return [Notice(event.user_id, "Payment received: your order is confirmed. See /orders.")]
    items = "\n".join(f"<code>{html.escape(i.payload)}</code>" for i in event.items)
    return [Notice(event.user_id, f"Payment received. Your purchase:\n{items}")]


def order_money_returned(event: WalletCredited, facts: Facts) -> list[Notice]:
    if event.reason != references.ORDER_REFUND_REASON:
        return []
    text = (
        f"{format_money(event.amount)} is back in your wallet: the order could not take "
        "this payment (sold out after the hold lapsed, or already paid). See /balance."
    )
    return [Notice(event.user_id, text)]
