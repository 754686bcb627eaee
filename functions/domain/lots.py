"""The `lot-<product>-<n>` aggregate: up to LOT_SIZE units of one product.

The only place that decides whether a unit is free, so no unit is ever sold twice: a
reservation, a sale and a release are decisions on this one stream, serialised by its
version. Lots are small, so folding one is cheap and contention stays per lot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from events import Event, Money
from events.shop import LotReleased, LotReserved, LotSaleRefused, LotSold, LotStocked, StockItem
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import Snapshots


def stream_of(product_id: str, lot: int) -> str:
    return f"lot-{product_id}-{lot}"


@dataclass(frozen=True)
class Hold:
    quantity: int
    item_ids: tuple[str, ...]
    until: datetime


@dataclass(frozen=True)
class Lot:
    stocked: bool = False
    product_id: str = ""
    lot: int = 0
    free: int = 0
    free_items: tuple[str, ...] = ()  # unique goods not held or sold, in upload order
    payloads: dict[str, str] = field(default_factory=dict)
    holds: dict[str, Hold] = field(default_factory=dict)
    sold: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Stock:
    product_id: str
    lot: int
    quantity: int
    items: tuple[StockItem, ...] = ()


@dataclass(frozen=True)
class Reserve:
    order_id: str
    user_id: int
    product_name: str
    quantity: int
    unit_price: Money
    until: datetime


@dataclass(frozen=True)
class Sell:
    """The order is paid: sell its held units, or free ones if its hold lapsed."""

    order_id: str
    quantity: int


@dataclass(frozen=True)
class Release:
    order_id: str
    reason: Literal["expired", "cancelled"]
    now: datetime


class SoldOut(DomainError):
    code = "sold_out"


class UnknownLot(DomainError):
    code = "unknown_lot"


LotCommand = Stock | Reserve | Sell | Release


def decide(state: Lot, command: LotCommand) -> Sequence[Event]:
    if isinstance(command, Stock):
        if state.stocked:
            return []
        return [
            LotStocked(
                product_id=command.product_id,
                lot=command.lot,
                quantity=command.quantity,
                items=list(command.items),
            )
        ]
    if not state.stocked:
        raise UnknownLot("no such lot")
    match command:
        case Reserve():
            return _reserve(state, command)
        case Sell():
            return _sell(state, command)
        case Release():
            hold = state.holds.get(command.order_id)
            due = hold is not None and (command.reason == "cancelled" or hold.until <= command.now)
            return [LotReleased(order_id=command.order_id, reason=command.reason)] if due else []


def _reserve(state: Lot, command: Reserve) -> Sequence[Event]:
    if command.order_id in state.holds or command.order_id in state.sold:
        return []  # a repeated command: the first one already decided
    if command.quantity < 1:
        raise SoldOut("nothing to reserve")
    if state.free < command.quantity:
        raise SoldOut("sold out")
    return [
        LotReserved(
            order_id=command.order_id,
            user_id=command.user_id,
            product_id=state.product_id,
            product_name=command.product_name,
            lot=state.lot,
            quantity=command.quantity,
            unit_price=command.unit_price,
            total=command.unit_price * command.quantity,
            until=command.until,
            item_ids=list(state.free_items[: command.quantity]),
        )
    ]


def _sell(state: Lot, command: Sell) -> Sequence[Event]:
    if command.order_id in state.sold:
        return []
    hold = state.holds.get(command.order_id)
    if hold is not None:
        item_ids: Sequence[str] = hold.item_ids
    elif state.free >= command.quantity:
        item_ids = state.free_items[: command.quantity]  # the hold lapsed; units still free
    else:
        return [LotSaleRefused(order_id=command.order_id, reason="sold out after the hold lapsed")]
    items = [StockItem(item_id=i, payload=state.payloads[i]) for i in item_ids]
    return [LotSold(order_id=command.order_id, quantity=command.quantity, items=items)]


def evolve(state: Lot, event: Event) -> Lot:
    match event:
        case LotStocked():
            return Lot(
                stocked=True,
                product_id=event.product_id,
                lot=event.lot,
                free=event.quantity,
                free_items=tuple(i.item_id for i in event.items),
                payloads={i.item_id: i.payload for i in event.items},
            )
        case LotReserved():
            hold = Hold(event.quantity, tuple(event.item_ids), event.until)
            return replace(
                state,
                free=state.free - event.quantity,
                free_items=_without(state.free_items, event.item_ids),
                holds={**state.holds, event.order_id: hold},
            )
        case LotReleased():
            holds = dict(state.holds)
            hold = holds.pop(event.order_id)
            return replace(
                state,
                free=state.free + hold.quantity,
                free_items=state.free_items + hold.item_ids,
                holds=holds,
            )
        case LotSold():
            holds = dict(state.holds)
            held = holds.pop(event.order_id, None)
            taken = [i.item_id for i in event.items]
            return replace(
                state,
                free=state.free if held else state.free - event.quantity,
                free_items=state.free_items if held else _without(state.free_items, taken),
                holds=holds,
                sold=state.sold | {event.order_id},
            )
        case _:
            return state


def _without(items: tuple[str, ...], taken: Sequence[str]) -> tuple[str, ...]:
    gone = set(taken)
    return tuple(i for i in items if i not in gone)


lots: Decider[Lot, LotCommand] = Decider(
    initial=Lot(), evolve=evolve, decide=decide, snapshots=Snapshots(Lot, evolve)
)
