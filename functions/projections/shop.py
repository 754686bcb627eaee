"""The shop's read models, one document per stream:

- `products/{product}`: the catalog entry as customers see it (plus discount, hidden);
- `stock/{product}-{lot}`: one lot's available / reserved / sold units and its open holds;
- `orders/{order}`: one purchase, for the buyer's /orders.

A product's stock is the sum of its lot documents (a query by product_id): each document is
fed by exactly one stream, which keeps the catch-up rule of projections/base.py sound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events import Envelope, decode
from events.shop import (
    LotReleased,
    LotReserved,
    LotSold,
    LotStocked,
    OrderCancelled,
    OrderDelivered,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    ProductDiscountSet,
    ProductEdited,
    ProductListed,
    ProductStockAdded,
    ProductVisibilitySet,
)
from functions.projections.base import Doc, Projection


def project_product(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    current: Doc = dict(doc) if doc else {}
    match decode(envelope):
        case ProductListed() as event:
            current |= {
                "product_id": event.product_id,
                "kind": event.kind,
                "discount": 0,
                "hidden": False,
                "lots": 0,
                **event.details.model_dump(mode="json"),
            }
        case ProductEdited() as event:
            current |= event.details.model_dump(mode="json")
        case ProductDiscountSet() as event:
            current["discount"] = event.percent
        case ProductVisibilitySet() as event:
            current["hidden"] = event.hidden
        case ProductStockAdded() as event:
            current["lots"] = max(int(current.get("lots", 0)), event.lot)
    return current


def project_lot(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    current: Doc = dict(doc) if doc else {"available": 0, "reserved": 0, "sold": 0, "holds": {}}
    holds: dict[str, Any] = dict(current["holds"])
    match decode(envelope):
        case LotStocked() as event:
            current |= {"product_id": event.product_id, "lot": event.lot}
            current["available"] = event.quantity
        case LotReserved() as event:
            holds[event.order_id] = {"quantity": event.quantity, "until": event.until}
            _move(current, "available", "reserved", event.quantity)
        case LotReleased() as event:
            _move(current, "reserved", "available", holds.pop(event.order_id)["quantity"])
        case LotSold() as event:
            hold = holds.pop(event.order_id, None)
            _move(current, "reserved" if hold else "available", "sold", event.quantity)
    # Queryable: expire-reservations asks for lots whose earliest hold is due (find_due).
    earliest = min((h["until"] for h in holds.values()), default=None)
    return current | {"holds": holds, "next_hold_until": earliest}


def _move(doc: Doc, source: str, target: str, quantity: int) -> None:
    doc[source] -= quantity
    doc[target] += quantity


STATES: dict[type, str] = {
    OrderPaid: "paid",
    OrderDelivered: "delivered",
    OrderExpired: "expired",
    OrderCancelled: "cancelled",
    OrderRefunded: "refunded",
}


def project_order(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    current: Doc = dict(doc) if doc else {}
    event = decode(envelope)
    match event:
        case OrderPlaced():
            current |= event.model_dump(mode="json", exclude={"total", "hold_until"})
            current |= {
                "total": event.total.model_dump(),
                "hold_until": event.hold_until,
                "placed_at": envelope.occurred_at,
                "state": "placed",
                "items": [],
            }
        case OrderPaid():
            current["paid_via"] = event.via
        case OrderDelivered():
            # Only the buyer's own /orders reads these (the query is by user id).
            current["items"] = [i.model_dump() for i in event.items]
    if type(event) in STATES:
        current |= {"state": STATES[type(event)], "updated_at": envelope.occurred_at}
    return current


products_view = Projection("products", "products", "product", project_product)
stock_view = Projection("stock", "stock", "lot", project_lot)
orders_view = Projection("orders", "orders", "order", project_order)
SHOP_VIEWS = (products_view, stock_view, orders_view)
