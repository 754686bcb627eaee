"""Buying: reserve units in a lot, pay for the order, and learn how it ended.

`buy` tries lots in a random order, those the stock read model says have units first, then
the product's other lots: the read model may lag, but each attempt is decided on the lot's
own stream, so a stale view costs an attempt, never a double sale, and "sold out" is said
only after every lot refused. Payment is the checkout saga (reactors/checkout.py), run
inline so the answer to the tap can show the item.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from events import Envelope, Money, decode
from events.shop import LotReserved, OrderDelivered, StockItem
from events.wallet import WalletDebited
from functions.domain import lots, orders, products, references, users, wallet
from functions.domain.decider import DomainError
from functions.projections.shop import lots_of
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.runtime.ports import ConcurrencyConflict


class NotForSale(DomainError):
    code = "not_for_sale"


class QuantityOutOfRange(NotForSale):
    """A purchase must fit in one lot."""

    code = "quantity_out_of_range"

    def __init__(self) -> None:
        super().__init__(f"you can buy 1 to {products.LOT_SIZE} at a time")

    def facts(self) -> dict[str, str | int | Money]:
        return {"most": products.LOT_SIZE}


class Busy(DomainError):
    """Every lot with units stayed contended through the pipeline's retries."""

    code = "busy"


@dataclass(frozen=True)
class Reservation:
    order_id: str
    product_name: str
    quantity: int
    total: Money
    minutes: int


@dataclass(frozen=True)
class Settled:
    """Where an order stands after a payment attempt."""

    order: orders.Order
    items: tuple[StockItem, ...] = ()


def buy(rt: Runtime, user_id: int, product_id: str, quantity: int, trace: Trace) -> Reservation:
    """Hold `quantity` units for this user; raises SoldOut, NotForSale or UnknownProduct."""
    # The product and the buyer in one read of their heads.
    product, buyer = rt.pipeline.current_both(
        (products.products, products.stream_of(product_id)), (users.users, users.stream_of(user_id))
    )
    if not product.listed:
        raise products.UnknownProduct("no such product")
    if product.hidden or product.details is None:
        raise NotForSale("this product is not on sale")
    if not 1 <= quantity <= products.LOT_SIZE:
        raise QuantityOutOfRange()
    reseller = buyer.reseller
    minutes = rt.settings.reservation_minutes
    reserve = lots.Reserve(
        order_id=rt.ids.new_id().replace("-", ""),
        user_id=user_id,
        product_name=product.details.name,
        quantity=quantity,
        unit_price=product.price_for(reseller),
        until=rt.clock.now() + timedelta(minutes=minutes),
    )
    contended = False
    for lot in candidate_lots(rt, product, quantity):
        try:
            # Followed inline: the order is placed when the buyer reads the answer.
            appended = rt.execute(lots.lots, lots.stream_of(product_id, lot), reserve, trace)
        except (lots.SoldOut, lots.UnknownLot):  # UnknownLot: added, its saga not run yet
            continue
        except ConcurrencyConflict:
            contended = True  # this lot is hot right now: another lot may have units
            continue
        reserved = _reserved(appended.events)
        return Reservation(
            reserved.order_id, reserved.product_name, reserved.quantity, reserved.total, minutes
        )
    if contended:
        raise Busy("so many people are buying this right now; please tap Buy again")
    raise lots.SoldOut("sold out")


def candidate_lots(rt: Runtime, product: products.Product, quantity: int) -> list[int]:
    known = lots_of(rt.read_models, product.product_id)
    likely = [lot.lot for lot in known if lot.available >= quantity]
    random.shuffle(likely)  # spread concurrent buyers over lots
    rest = [n for n in range(1, product.lots + 1) if n not in set(likely)]
    random.shuffle(rest)
    return likely + rest


def _reserved(events: tuple[Envelope, ...]) -> LotReserved:
    """The reservation written now, or by the first delivery of this same update."""
    event = decode(events[0])
    assert isinstance(event, LotReserved)
    return event


def pay_from_wallet(rt: Runtime, user_id: int, order_id: str, trace: Trace) -> Settled:
    """Debit the order's total and run the saga; raises InsufficientFunds, UnknownOrder…"""
    order = _own_order(rt, user_id, order_id)
    if order.state not in orders.PAYABLE:
        return settled(rt, order_id)  # already paid (a second tap), cancelled or refunded
    assert order.total is not None
    debit = wallet.Debit(
        user_id=user_id, amount=order.total, reason="order",
        reference=references.order(order_id),
    )  # fmt: skip
    appended = rt.pipeline.execute(wallet.wallets, wallet.stream_of(user_id), debit, trace)
    # No new debit when this order's debit exists (a concurrent second tap, or a tap whose
    # instance died before its saga ran): continue the saga from that debit, under the same
    # keys, so this answer shows the outcome, not "waiting for your payment".
    debits = appended.events or _debits(rt, user_id, debit.reference)
    written = rt.follow(debits)
    delivered = _delivered(written)
    if delivered is not None:
        # The saga delivered here and now: answer from what it wrote, without a read.
        order = rt.pipeline.known(orders.orders, orders.stream_of(order_id))
        return Settled(order, tuple(delivered.items))
    return settled(rt, order_id)


def _delivered(written: list[Envelope]) -> OrderDelivered | None:
    for envelope in written:
        if isinstance(event := decode(envelope), OrderDelivered):
            return event
    return None


def _debits(rt: Runtime, user_id: int, reference: str) -> tuple[Envelope, ...]:
    history = rt.store.load(wallet.stream_of(user_id))
    return tuple(
        e for e in history
        if isinstance(event := decode(e), WalletDebited) and event.reference == reference
    )  # fmt: skip


def cancel(rt: Runtime, user_id: int, order_id: str, trace: Trace) -> orders.Order:
    _own_order(rt, user_id, order_id)
    rt.execute(orders.orders, orders.stream_of(order_id), orders.Cancel(user_id), trace)
    return rt.pipeline.current(orders.orders, orders.stream_of(order_id))


def settled(rt: Runtime, order_id: str) -> Settled:
    """The order now, with the delivered items (from the order's stream, the truth)."""
    history = [decode(e) for e in rt.store.load(orders.stream_of(order_id))]
    order = orders.orders.fold(history)
    items = next((tuple(e.items) for e in history if isinstance(e, OrderDelivered)), ())
    return Settled(order, items)


def _own_order(rt: Runtime, user_id: int, order_id: str) -> orders.Order:
    order = rt.pipeline.current(orders.orders, orders.stream_of(order_id))
    if order.state == "new":
        raise orders.UnknownOrder("no such order")
    if order.user_id != user_id:
        raise orders.NotYourOrder("this is not your order")
    return order
