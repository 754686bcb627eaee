"""Notification rules of the shop: an order paid on a rail is delivered out of band.

A wallet payment is answered in the tap's own reply (functions/telegram/shop.py), so only
deliveries paid through a payment (Stars, M-Pesa, QRIS: they settle later, by callback) send
a message; money the shop gives back is announced whichever way it was paid. Each notice is
in its recipient's language.
"""

from __future__ import annotations

from events.shop import OrderDelivered
from events.wallet import WalletCredited
from functions import texts
from functions.domain import references
from functions.notifications.notice import Facts, Notice


def order_delivered(event: OrderDelivered, facts: Facts) -> list[Notice]:
    if event.via == "wallet":
        return []
    language = facts.language_of(event.user_id)
    if not event.items:
        return [Notice(event.user_id, texts.text(language, "shop.notice.delivered"))]
    items = texts.Html(
        "\n".join(texts.text(language, "shop.item", item=i.payload) for i in event.items)
    )
    return [Notice(event.user_id, texts.text(language, "shop.notice.delivered_items", items=items))]


def order_money_returned(event: WalletCredited, facts: Facts) -> list[Notice]:
    if event.reason != references.ORDER_REFUND_REASON:
        return []
    language = facts.language_of(event.user_id)
    said = texts.text(language, "shop.notice.money_returned", amount=event.amount)
    return [Notice(event.user_id, said)]
