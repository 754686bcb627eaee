"""Events of the shop: `product-<id>` (catalog, admin actions), `lot-<product>-<n>` (stock)
and `order-<id>` (one purchase).

A product's stock is split into lots, each its own stream: buyers of one product contend
only per lot, so a flash sale is not serialised through one document (docs/architecture.md).
Every admin action carries the admin's Telegram id: the product stream is the audit trail.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from events.base import Event
from events.catalog import event
from events.money import Money

GoodsKind = Literal["counted", "unique"]


class ProductDetails(Event):
    """What a customer sees; reseller_price is shown to users an admin marked as resellers."""

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    category: str = Field(min_length=1, max_length=60)
    location: str = Field(default="", max_length=120)  # city / district for pickup goods
    price: Money
    reseller_price: Money | None = None
    photo: str | None = Field(default=None, max_length=256)  # a Telegram file_id


class StockItem(Event):
    """One unique unit: its secret payload (code, key, file id, pickup point) for its buyer."""

    item_id: str = Field(min_length=1, max_length=64)
    payload: str = Field(min_length=1, max_length=1000)


@event("product.listed.v1")
class ProductListed(Event):
    product_id: str
    kind: GoodsKind
    details: ProductDetails
    admin_id: int


@event("product.edited.v1")
class ProductEdited(Event):
    details: ProductDetails
    admin_id: int


@event("product.discount_set.v1")
class ProductDiscountSet(Event):
    percent: int = Field(ge=0, le=90)
    admin_id: int


@event("product.visibility_set.v1")
class ProductVisibilitySet(Event):
    hidden: bool
    admin_id: int


@event("product.stock_added.v1")
class ProductStockAdded(Event):
    """New units, opened as a new lot: lots are never refilled, so admins never contend
    with buyers on a lot's stream."""

    lot: int = Field(ge=1)
    quantity: int = Field(ge=1)
    items: list[StockItem] = Field(default_factory=list)  # unique goods: one per unit
    admin_id: int


@event("lot.stocked.v1")
class LotStocked(Event):
    product_id: str
    lot: int = Field(ge=1)
    quantity: int = Field(ge=1)
    items: list[StockItem] = Field(default_factory=list)


@event("lot.reserved.v1")
class LotReserved(Event):
    """Units held for one order until `until`; carries what the order needs to be placed."""

    order_id: str
    user_id: int
    product_id: str
    product_name: str
    lot: int = Field(ge=1)
    quantity: int = Field(ge=1)
    unit_price: Money
    total: Money
    until: AwareDatetime
    item_ids: list[str] = Field(default_factory=list)


@event("lot.released.v1")
class LotReleased(Event):
    order_id: str
    reason: Literal["expired", "cancelled"]


@event("lot.sold.v1")
class LotSold(Event):
    """The order's units are sold: from its hold, or re-taken after the hold lapsed."""

    order_id: str
    quantity: int = Field(ge=1)
    items: list[StockItem] = Field(default_factory=list)  # unique goods: what was bought


@event("lot.sale_refused.v1")
class LotSaleRefused(Event):
    """A paid order whose hold lapsed and whose units are gone: it will be refunded."""

    order_id: str
    reason: str = Field(max_length=200)


@event("order.placed.v1")
class OrderPlaced(Event):
    order_id: str
    user_id: int
    product_id: str
    product_name: str
    lot: int
    quantity: int = Field(ge=1)
    total: Money
    hold_until: AwareDatetime


class OrderLine(Event):
    """Where an order's units are held: self-contained events let reactors stay pure."""

    order_id: str
    product_id: str
    lot: int = Field(ge=1)
    quantity: int = Field(ge=1)


@event("order.paid.v1")
class OrderPaid(Event):
    line: OrderLine
    paid: Money
    via: str = Field(min_length=2, max_length=32)  # "wallet" or a rail name
    reference: str = Field(min_length=1, max_length=256)  # the debit or payment that paid


@event("order.overpaid.v1")
class OrderOverpaid(Event):
    """Money for an order that was already paid, refused or expired: returned to the wallet."""

    user_id: int
    paid: Money
    via: str = Field(min_length=2, max_length=32)
    reference: str = Field(min_length=1, max_length=256)


@event("order.delivered.v1")
class OrderDelivered(Event):
    user_id: int
    via: str = Field(min_length=2, max_length=32)  # how it was paid: "wallet" or "payment"
    items: list[StockItem] = Field(default_factory=list)  # unique goods, revealed to the buyer


@event("order.expired.v1")
class OrderExpired(Event):
    """The hold lapsed unpaid."""


@event("order.cancelled.v1")
class OrderCancelled(Event):
    line: OrderLine
    by_user: int


@event("order.refunded.v1")
class OrderRefunded(Event):
    """Paid but not deliverable: the payment goes back to the buyer's wallet."""

    user_id: int
    amount: Money
    reason: str = Field(max_length=200)
