"""The shop's part of the ledger audit: every order's money and every unit accounted for.

- A wallet debit for an order (`order:<id>`) matches that order's buyer and total.
- A refund credit traces to exactly one refunded order (`refund:order:<id>`) or one payment
  the order could not take (`returned:<reference>`), with the same buyer and amount.
- No unit is sold twice: every sold unique item appears in one sale only, and no lot sells
  more units than it was stocked with.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from events import Money, decode
from events.shop import (
    LotSold,
    LotStocked,
    OrderOverpaid,
    OrderPlaced,
    OrderRefunded,
)
from events.wallet import WalletCredited, WalletDebited
from functions.domain import references
from functions.runtime.ports import EventStore


@dataclass(frozen=True)
class Owed:
    user_id: int
    amount: Money


@dataclass
class ShopLedger:
    """What the order streams say money should have done, by wallet reference."""

    orders: dict[str, Owed] = field(default_factory=dict)  # order id -> buyer, total
    refunds: dict[str, Owed] = field(default_factory=dict)  # credit reference -> owed
    used: Counter[str] = field(default_factory=Counter)


def shop_ledger(store: EventStore) -> ShopLedger:
    ledger = ShopLedger()
    for stream in store.streams("order"):
        order_id = stream.removeprefix("order-")
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, OrderPlaced):
                ledger.orders[order_id] = Owed(event.user_id, event.total)
            elif isinstance(event, OrderRefunded):
                ledger.refunds[references.order_refund(order_id)] = Owed(
                    event.user_id, event.amount
                )
            elif isinstance(event, OrderOverpaid):
                ledger.refunds[references.returned(event.reference)] = Owed(
                    event.user_id, event.paid
                )
    return ledger


def trace_shop_money(
    stream: str, event: WalletCredited | WalletDebited, ledger: ShopLedger
) -> list[str]:
    """Problems with one wallet movement that belongs to the shop (none for other money)."""
    user_id = int(stream.removeprefix("wallet-"))
    order_id = references.named(event.reference, references.ORDER)
    if isinstance(event, WalletDebited) and order_id is not None:
        owed = ledger.orders.get(order_id)
        problem = _differs(owed, user_id, event.amount)
        return [f"debit {event.reference} {problem}"] if problem else []
    if isinstance(event, WalletCredited) and event.reason == references.ORDER_REFUND_REASON:
        ledger.used[event.reference] += 1
        problem = _differs(ledger.refunds.get(event.reference), user_id, event.amount)
        return [f"credit {event.reference} {problem}"] if problem else []
    return []


def _differs(owed: Owed | None, user_id: int, amount: Money) -> str:
    if owed is None:
        return "has no order behind it"
    if owed.user_id != user_id or owed.amount != amount:
        return "differs from its order"
    return ""


def unsettled_refunds(ledger: ShopLedger) -> list[tuple[str, str]]:
    """(reference, problem) for refunds credited twice or never."""
    twice = [(r, f"credited {n} times") for r, n in ledger.used.items() if n > 1]
    never = [(r, "owed but never credited") for r in ledger.refunds.keys() - ledger.used.keys()]
    return twice + never


def oversold(store: EventStore) -> list[tuple[str, str]]:
    """(lot stream, problem) for a lot that sold more than it had, or an item sold twice."""
    problems: list[tuple[str, str]] = []
    sold_items: Counter[str] = Counter()
    for stream in store.streams("lot"):
        stocked = sold = 0
        for event in (decode(e) for e in store.load(stream)):
            match event:
                case LotStocked():
                    stocked += event.quantity
                case LotSold():
                    sold += event.quantity
                    sold_items.update(f"{stream}/{i.item_id}" for i in event.items)
        if sold > stocked:
            problems.append((stream, f"sold {sold} of {stocked} units"))
    problems += [(item, f"sold {n} times") for item, n in sold_items.items() if n > 1]
    return problems
