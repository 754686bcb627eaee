"""The `order-<id>` aggregate: one purchase from hold to delivery, or to a refund.

placed -> paid -> delivered, or placed -> expired | cancelled, or paid -> refunded when the
lot could not sell (the hold lapsed and the units went to someone else). Money that arrives
for an order that cannot take it (already paid, cancelled, wrong amount) is never kept: it
is recorded as overpaid and goes back to the buyer's wallet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from events import Event, Money
from events.shop import (
    OrderCancelled,
    OrderDelivered,
    OrderExpired,
    OrderLine,
    OrderOverpaid,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    StockItem,
)
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import Snapshots

State = Literal["new", "placed", "paid", "delivered", "expired", "cancelled", "refunded"]
# Where money for the order is still welcome: a payment after the hold lapsed completes the
# order if the lot still has free units, else the lot refuses and the order is refunded.
PAYABLE = frozenset({"placed", "expired"})


def stream_of(order_id: str) -> str:
    return f"order-{order_id}"


@dataclass(frozen=True)
class Order:
    state: State = "new"
    order_id: str = ""
    user_id: int = 0
    product_id: str = ""
    lot: int = 0
    quantity: int = 0
    total: Money | None = None
    hold_until: datetime | None = None
    paid: Money | None = None
    paid_reference: str = ""
    paid_via: str = ""

    @property
    def line(self) -> OrderLine:
        return OrderLine(
            order_id=self.order_id, product_id=self.product_id, lot=self.lot, quantity=self.quantity
        )


@dataclass(frozen=True)
class Place:
    order_id: str
    user_id: int
    product_id: str
    product_name: str
    lot: int
    quantity: int
    total: Money
    hold_until: datetime


@dataclass(frozen=True)
class Pay:
    paid: Money
    via: str  # "wallet" or a rail
    reference: str  # the wallet debit's or the payment's reference: one payment pays once


@dataclass(frozen=True)
class Deliver:
    items: tuple[StockItem, ...] = ()


@dataclass(frozen=True)
class Expire:
    pass


@dataclass(frozen=True)
class Cancel:
    by_user: int


@dataclass(frozen=True)
class Refund:
    reason: str


class UnknownOrder(DomainError):
    code = "unknown_order"


class NotYourOrder(DomainError):
    code = "not_your_order"


class OrderClosed(DomainError):
    code = "order_closed"


OrderCommand = Place | Pay | Deliver | Expire | Cancel | Refund


def decide(state: Order, command: OrderCommand) -> Sequence[Event]:
    if isinstance(command, Place):
        return [] if state.state != "new" else [OrderPlaced(**vars(command))]
    if state.state == "new":
        raise UnknownOrder("no such order")
    match command:
        case Pay():
            return _pay(state, command)
        case Deliver():
            if state.state != "paid":
                return []
            return [
                OrderDelivered(user_id=state.user_id, via=state.paid_via, items=list(command.items))
            ]
        case Expire():
            return [OrderExpired()] if state.state == "placed" else []
        case Cancel():
            return _cancel(state, command)
        case Refund():
            if state.state != "paid":
                return []
            assert state.paid is not None
            return [OrderRefunded(user_id=state.user_id, amount=state.paid, reason=command.reason)]


def _pay(state: Order, command: Pay) -> Sequence[Event]:
    if command.reference == state.paid_reference:
        return []  # this payment already paid the order
    if state.state in PAYABLE and command.paid == state.total:
        return [OrderPaid(line=state.line, **vars(command))]
    return [OrderOverpaid(user_id=state.user_id, **vars(command))]


def _cancel(state: Order, command: Cancel) -> Sequence[Event]:
    if command.by_user != state.user_id:
        raise NotYourOrder("this is not your order")
    if state.state == "cancelled":
        return []
    if state.state != "placed":
        raise OrderClosed(f"the order is already {state.state}")
    return [OrderCancelled(line=state.line, by_user=command.by_user)]


def evolve(state: Order, event: Event) -> Order:
    match event:
        case OrderPlaced():
            return Order(
                "placed",
                event.order_id,
                event.user_id,
                event.product_id,
                event.lot,
                event.quantity,
                event.total,
                event.hold_until,
            )
        case OrderPaid():
            return replace(
                state,
                state="paid",
                paid=event.paid,
                paid_reference=event.reference,
                paid_via=event.via,
            )
        case OrderDelivered():
            return replace(state, state="delivered")
        case OrderExpired():
            return replace(state, state="expired")
        case OrderCancelled():
            return replace(state, state="cancelled")
        case OrderRefunded():
            return replace(state, state="refunded")
        case _:
            return state


orders: Decider[Order, OrderCommand] = Decider(
    initial=Order(), evolve=evolve, decide=decide, snapshots=Snapshots(Order, evolve)
)
