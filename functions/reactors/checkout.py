"""The checkout saga: pure rules carrying a purchase from hold to delivery or refund.

Checkout spans three streams (the buyer's wallet, the product's lot, the order), so it is a
saga, not one decision: each step is a decision on one stream, each reaction has a
deterministic key, and every failure has a compensation that returns money to the wallet:

    product.stock_added ─► a new lot is stocked
    lot.reserved ─► order placed
    wallet.debited "order:<id>" │ payment.succeeded (order) ─► order paid (or overpaid ─► credit)
    order.paid ─► lot sells the units (or refuses: hold lapsed, units gone)
    lot.sold ─► order delivered          lot.sale_refused ─► order refunded ─► wallet credit
    lot.released (expired) ─► order expired    order.cancelled ─► lot releases the hold

Why a saga: one stream for wallet + stock + order would serialise every buyer of a product
through one document, the very thing a flash sale cannot afford.
"""

from __future__ import annotations

from collections.abc import Sequence

from events import Envelope, Event, Money, decode
from events.payments import PaymentSucceeded
from events.shop import (
    LotReleased,
    LotReserved,
    LotSaleRefused,
    LotSold,
    OrderCancelled,
    OrderOverpaid,
    OrderPaid,
    OrderRefunded,
    ProductStockAdded,
)
from events.wallet import WalletDebited
from functions.domain import lots, orders, references, wallet
from functions.reactors.base import Reaction, Reactor


def order_id_of(stream: str) -> str:
    return stream.removeprefix("order-")


def _order(order_id: str, command: orders.OrderCommand) -> Reaction:
    return Reaction(orders.orders, orders.stream_of(order_id), command)


def on_lot(envelope: Envelope) -> Sequence[Reaction]:
    event = decode(envelope)
    match event:
        case LotReserved():
            place = orders.Place(
                order_id=event.order_id,
                user_id=event.user_id,
                product_id=event.product_id,
                product_name=event.product_name,
                lot=event.lot,
                quantity=event.quantity,
                total=event.total,
                hold_until=event.until,
            )
            # The order id was made for this reservation (shop/checkout.py): a new stream.
            return [Reaction(orders.orders, orders.stream_of(event.order_id), place, True)]
        case LotReleased(reason="expired"):
            return [_order(event.order_id, orders.Expire())]
        case LotSold():
            return [_order(event.order_id, orders.Deliver(tuple(event.items)))]
        case LotSaleRefused():
            return [_order(event.order_id, orders.Refund(event.reason))]
        case _:
            return []


def on_product(envelope: Envelope) -> Sequence[Reaction]:
    """New stock opens a new lot: its own stream, so it never contends with older lots."""
    event = decode(envelope)
    if not isinstance(event, ProductStockAdded):
        return []
    product_id = envelope.stream.removeprefix("product-")
    stock = lots.Stock(product_id, event.lot, event.quantity, tuple(event.items))
    return [Reaction(lots.lots, lots.stream_of(product_id, event.lot), stock)]


def on_order(envelope: Envelope) -> Sequence[Reaction]:
    event = decode(envelope)
    match event:
        case OrderPaid():
            line = event.line
            sell = lots.Sell(order_id=line.order_id, quantity=line.quantity)
            return [Reaction(lots.lots, lots.stream_of(line.product_id, line.lot), sell)]
        case OrderCancelled():
            line = event.line
            release = lots.Release(line.order_id, "cancelled", envelope.occurred_at)
            return [Reaction(lots.lots, lots.stream_of(line.product_id, line.lot), release)]
        case OrderRefunded():
            reference = references.order_refund(order_id_of(envelope.stream))
            return [_credit(event.user_id, event.amount, reference)]
        case OrderOverpaid():
            return [_credit(event.user_id, event.paid, references.returned(event.reference))]
        case _:
            return []


def _credit(user_id: int, amount: Money, reference: str) -> Reaction:
    credit = wallet.Credit(
        user_id=user_id, amount=amount, reason=references.ORDER_REFUND_REASON, reference=reference
    )
    return Reaction(wallet.wallets, wallet.stream_of(user_id), credit)


def on_wallet(envelope: Envelope) -> Sequence[Reaction]:
    event = decode(envelope)
    if not isinstance(event, WalletDebited):
        return []
    order_id = references.named(event.reference, references.ORDER)
    if order_id is None:
        return []
    return [_order(order_id, orders.Pay(event.amount, "wallet", event.reference))]


def on_payment(envelope: Envelope) -> Sequence[Reaction]:
    event = decode(envelope)
    if not isinstance(event, PaymentSucceeded) or event.purpose != "order" or not event.subject:
        return []
    pay = orders.Pay(event.paid, "payment", references.payment(event.payment_id))
    return [_order(event.subject, pay)]


# The webhook runs these steps inline first (the shop context declares them inline), so a
# subscriber's delivery is usually a duplicate: it checks the key before deciding.
# Payments settled by a provider callback are the exception; the check costs them one read.
def _types(*events: type[Event]) -> frozenset[str]:
    return frozenset(e.type_name for e in events)


CHECKOUT: tuple[Reactor, ...] = (
    Reactor("stock-lots", "product", on_product, _types(ProductStockAdded), True),
    Reactor(
        "checkout-lot",
        "lot",
        on_lot,
        _types(LotReserved, LotReleased, LotSold, LotSaleRefused),
        expects_duplicates=True,
    ),
    Reactor(
        "checkout-order",
        "order",
        on_order,
        _types(OrderPaid, OrderCancelled, OrderRefunded, OrderOverpaid),
        expects_duplicates=True,
    ),
    Reactor("checkout-wallet", "wallet", on_wallet, _types(WalletDebited), True),
    Reactor("checkout-payment", "payment", on_payment, _types(PaymentSucceeded), True),
)
