"""The `product-<id>` aggregate: the catalog entry, its price rules and its stock lots.

Only admins command it (the handler checks; every event records the admin's id). Stock is
added as new lots of at most LOT_SIZE units, each its own `lot-<product>-<n>` stream,
so concurrent buyers of one product spread over lots instead of queueing on one document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from events import Event, Money
from events.shop import (
    GoodsKind,
    ProductDetails,
    ProductDiscountSet,
    ProductEdited,
    ProductListed,
    ProductStockAdded,
    ProductVisibilitySet,
    StockItem,
)
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import Snapshots

# Units per lot. Smaller lots spread a flash sale over more streams (more parallel buyers);
# a purchase must fit in one lot, so this is also the most one order can buy at once.
LOT_SIZE = 10
MAX_UNITS_PER_UPLOAD = 5_000
MAX_DISCOUNT = 90


def stream_of(product_id: str) -> str:
    return f"product-{product_id}"


@dataclass(frozen=True)
class Product:
    listed: bool = False
    product_id: str = ""
    kind: GoodsKind = "counted"
    details: ProductDetails | None = None
    discount: int = 0
    hidden: bool = False
    lots: int = 0

    def price_for(self, reseller: bool) -> Money:
        """What one unit costs this buyer: reseller price if they are one, less the discount.

        The discount rounds down in the buyer's disfavour by less than one minor unit
        (Money.percent_off): 20% off 99.99 is 80.00.
        """
        assert self.details is not None
        base = self.details.price
        if reseller and self.details.reseller_price is not None:
            base = self.details.reseller_price
        return base.percent_off(self.discount)


@dataclass(frozen=True)
class ListProduct:
    product_id: str
    kind: GoodsKind
    details: ProductDetails
    admin_id: int


@dataclass(frozen=True)
class Edit:
    details: ProductDetails
    admin_id: int


@dataclass(frozen=True)
class SetDiscount:
    percent: int
    admin_id: int


@dataclass(frozen=True)
class SetVisibility:
    hidden: bool
    admin_id: int


@dataclass(frozen=True)
class AddStock:
    """Counted goods: `quantity`. Unique goods: one payload per unit (quantity ignored)."""

    admin_id: int
    quantity: int = 0
    payloads: tuple[str, ...] = ()


class UnknownProduct(DomainError):
    code = "unknown_product"


class InvalidProduct(DomainError):
    """An admin's command the product refuses; each case has its own code, so the
    catalogue can say it (functions/texts/english/shop.py)."""

    code = "invalid_product"


class PriceNotPositive(InvalidProduct):
    code = "price_not_positive"

    def __init__(self) -> None:
        super().__init__("the price must be positive")


class ResellerPriceInvalid(InvalidProduct):
    code = "reseller_price_invalid"

    def __init__(self, currency: str) -> None:
        super().__init__("the reseller price must be positive, in the price's currency")
        self.currency = currency

    def facts(self) -> dict[str, str | int | Money]:
        return {"currency": self.currency}


class CurrencyFixed(InvalidProduct):
    code = "currency_fixed"

    def __init__(self, currency: str) -> None:
        super().__init__(
            f"this product is priced in {currency}; its currency cannot change "
            "(add a new product to sell it in another)"
        )
        self.currency = currency

    def facts(self) -> dict[str, str | int | Money]:
        return {"currency": self.currency}


class DiscountOutOfRange(InvalidProduct):
    code = "discount_out_of_range"

    def __init__(self) -> None:
        super().__init__(f"a discount is 0 to {MAX_DISCOUNT} percent")

    def facts(self) -> dict[str, str | int | Money]:
        return {"most": MAX_DISCOUNT}


class StockItemsMissing(InvalidProduct):
    code = "stock_items_missing"

    def __init__(self) -> None:
        super().__init__("send one item per line after the command")


class StockQuantityNotPositive(InvalidProduct):
    code = "stock_quantity_not_positive"

    def __init__(self) -> None:
        super().__init__("the quantity must be a whole number above 0")


class StockUploadTooLarge(InvalidProduct):
    code = "stock_upload_too_large"

    def __init__(self) -> None:
        super().__init__(f"at most {MAX_UNITS_PER_UPLOAD} units at a time")

    def facts(self) -> dict[str, str | int | Money]:
        return {"most": MAX_UNITS_PER_UPLOAD}


ProductCommand = ListProduct | Edit | SetDiscount | SetVisibility | AddStock


def decide(state: Product, command: ProductCommand) -> Sequence[Event]:
    if isinstance(command, ListProduct):
        if state.listed:
            return []
        _check(command.details)
        return [ProductListed(**vars(command))]
    if not state.listed:
        raise UnknownProduct("no such product")
    match command:
        case Edit():
            _check(command.details)
            was = state.details.price.currency if state.details else None
            if was is not None and command.details.price.currency != was:
                # Holds, orders and reseller prices are in the product's currency: a new
                # currency is a new product, never a silent change of what buyers pay.
                raise CurrencyFixed(was)
            return [] if command.details == state.details else [ProductEdited(**vars(command))]
        case SetDiscount():
            if not 0 <= command.percent <= MAX_DISCOUNT:
                raise DiscountOutOfRange()
            same = command.percent == state.discount
            return [] if same else [ProductDiscountSet(**vars(command))]
        case SetVisibility():
            same = command.hidden == state.hidden
            return [] if same else [ProductVisibilitySet(**vars(command))]
        case AddStock():
            return _add_stock(state, command)


def _check(details: ProductDetails) -> None:
    if details.price.amount <= 0:
        raise PriceNotPositive()
    reseller = details.reseller_price
    if reseller is not None and (
        reseller.currency != details.price.currency or reseller.amount <= 0
    ):
        raise ResellerPriceInvalid(details.price.currency)


def _add_stock(state: Product, command: AddStock) -> Sequence[Event]:
    if state.kind == "unique":
        payloads = [p.strip() for p in command.payloads if p.strip()]
        if not payloads:
            raise StockItemsMissing()
        units = len(payloads)
    else:
        payloads, units = [], command.quantity
        if units < 1:
            raise StockQuantityNotPositive()
    if units > MAX_UNITS_PER_UPLOAD:
        raise StockUploadTooLarge()
    added: list[Event] = []
    for offset, start in enumerate(range(0, units, LOT_SIZE)):
        lot = state.lots + offset + 1
        chunk = payloads[start : start + LOT_SIZE]
        items = [StockItem(item_id=f"{lot}.{i}", payload=p) for i, p in enumerate(chunk, 1)]
        quantity = len(items) if items else min(LOT_SIZE, units - start)
        added.append(
            ProductStockAdded(lot=lot, quantity=quantity, items=items, admin_id=command.admin_id)
        )
    return added


def evolve(state: Product, event: Event) -> Product:
    match event:
        case ProductListed():
            return Product(True, event.product_id, event.kind, event.details)
        case ProductEdited():
            return replace(state, details=event.details)
        case ProductDiscountSet():
            return replace(state, discount=event.percent)
        case ProductVisibilitySet():
            return replace(state, hidden=event.hidden)
        case ProductStockAdded():
            return replace(state, lots=max(state.lots, event.lot))
        case _:
            return state


products: Decider[Product, ProductCommand] = Decider(
    initial=Product(), evolve=evolve, decide=decide, snapshots=Snapshots(Product, evolve)
)
