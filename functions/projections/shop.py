"""The shop's read models, one document per stream:

- `products/{product}`: the catalog entry as customers see it (plus discount, hidden);
- `stock/{product}-{lot}`: one lot's available / reserved / sold units and its open holds;
- `orders/{order}`: one purchase, for the buyer's /orders.

A product's stock is the sum of its lot documents (a query by product_id): each document is
fed by exactly one stream, which keeps the catch-up rule of projections/base.py sound.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from events import Envelope, Money, decode
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
    StockItem,
)
from functions.projections.base import Doc, Projection, oldest_first

if TYPE_CHECKING:  # the port, for its type only: the core imports no adapter
    from functions.runtime.ports import ReadModels


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


# -- the typed views: what readers get instead of the stored documents -----------------------

# Queries are answered from one equality field (no composite index); these bound them.
CATALOG_LIMIT = 1000
LOTS_LIMIT = 1000
ORDERS_LIMIT = 200
PRODUCT_FILTERS = ("category", "location")


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProductView(View):
    """A catalog entry as customers and admins see it."""

    product_id: str
    kind: str = "counted"
    name: str
    description: str = ""
    category: str
    location: str = ""
    price: Money
    reseller_price: Money | None = None
    photo: str | None = None
    discount: int = 0  # percent
    hidden: bool = False
    lots: int = 0

    def base_price(self, reseller: bool) -> Money:
        """Before the discount: the reseller price for a reseller, when there is one."""
        return self.reseller_price if reseller and self.reseller_price else self.price


class Hold(View):
    """Units of a lot held for one order until a time."""

    order_id: str
    quantity: int
    until: datetime


class LotView(View):
    product_id: str
    lot: int
    available: int = 0
    reserved: int = 0
    sold: int = 0
    holds: tuple[Hold, ...] = ()  # by order id


class StockSummary(View):
    """A product's units over all its lots."""

    available: int = 0
    sold: int = 0


class OrderView(View):
    """One purchase, as its buyer's /orders lists it."""

    order_id: str
    user_id: int
    product_id: str
    product_name: str
    lot: int
    quantity: int
    total: Money
    state: str
    hold_until: datetime | None = None
    placed_at: datetime | None = None
    updated_at: datetime | None = None
    paid_via: str | None = None
    items: tuple[StockItem, ...] = ()  # unique goods, once delivered


def product_of(read_models: ReadModels, product_id: str) -> ProductView | None:
    """One catalog entry, hidden or not; None when it was never listed."""
    doc = read_models.get(products_view.collection, product_id)
    return ProductView.model_validate(doc) if doc else None


def visible_products(read_models: ReadModels) -> list[ProductView]:
    """What customers may browse (not hidden)."""
    docs = read_models.find(products_view.collection, "hidden", False, CATALOG_LIMIT)
    return [ProductView.model_validate(d) for d in docs]


def products_where(read_models: ReadModels, field: str, value: str) -> list[ProductView]:
    """Every product whose category or location (`field`) is `value`, hidden or not."""
    if field not in PRODUCT_FILTERS:
        raise ValueError(f"products are looked up by {' or '.join(PRODUCT_FILTERS)}")
    docs = read_models.find(products_view.collection, field, value, CATALOG_LIMIT)
    return [ProductView.model_validate(d) for d in docs]


def all_products(read_models: ReadModels) -> list[ProductView]:
    """The whole catalog by name, hidden products too (the admins' /products)."""
    docs = read_models.all(products_view.collection).values()
    return sorted((ProductView.model_validate(d) for d in docs), key=lambda p: p.name)


def lots_of(read_models: ReadModels, product_id: str) -> list[LotView]:
    """The product's lots, in no particular order."""
    docs = read_models.find(stock_view.collection, "product_id", product_id, LOTS_LIMIT)
    return [_lot(d) for d in docs]


def stock_of(read_models: ReadModels, product_id: str) -> StockSummary:
    """Units available and sold, summed over the product's lots."""
    lots = lots_of(read_models, product_id)
    return StockSummary(
        available=sum(lot.available for lot in lots), sold=sum(lot.sold for lot in lots)
    )


def lots_with_holds_due(read_models: ReadModels, now: datetime, limit: int) -> list[LotView]:
    """Up to `limit` lots whose earliest hold ends at or before `now`, earliest first."""
    docs = read_models.find_due(stock_view.collection, "next_hold_until", now, limit)
    return [_lot(d) for d in docs]


def orders_of(read_models: ReadModels, user_id: int, limit: int = ORDERS_LIMIT) -> list[OrderView]:
    """Up to `limit` of the buyer's orders, newest first."""
    docs = read_models.find(orders_view.collection, "user_id", user_id, limit)
    orders = [OrderView.model_validate(d) for d in docs]
    return oldest_first(orders, lambda o: o.placed_at)[::-1]


def _lot(doc: Mapping[str, Any]) -> LotView:
    holds = dict(doc.get("holds") or {})
    return LotView.model_validate(
        {**doc, "holds": [{"order_id": k, **v} for k, v in sorted(holds.items())]}
    )
