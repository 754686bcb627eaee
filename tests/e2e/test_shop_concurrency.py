"""The shop's two promises under real concurrency: no unit sold twice, no money lost.

Buyers' updates are POSTed to the served telegram_webhook from many threads at once (the
gunicorn threads of its process race for real, on the Firestore emulator); the
subscribers (projections, the checkout saga's reactors) run as their own processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from events import Money
from events.wallet import WalletDebited
from functions.domain.products import LOT_SIZE
from functions.ops.ledger import audit
from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually
from tests.e2e.shop_http import HttpShop, ScopedStore, buttons, in_parallel

pytestmark = pytest.mark.e2e

SOLD_OUT = "Sold out, sorry. Nothing was charged."
BUYERS, UNITS, PRICE, FUNDS = 200, 50, 1_000, 1_500  # KES minor units: 10.00 and 15.00


@pytest.fixture
def shop(e2e_stack: LocalStack) -> Iterator[HttpShop]:
    driver = HttpShop(e2e_stack)
    yield driver
    driver.close()


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


def stock_docs(shop: HttpShop, product_id: str) -> list[dict[str, Any]]:
    return shop.read_models.find("stock", "product_id", product_id, 100)


def lots_once_sold(shop: HttpShop, product_id: str, units: int) -> list[dict[str, Any]]:
    """The product's lot documents once the stock view has projected `units` sales."""
    docs = stock_docs(shop, product_id)
    return docs if sum(d["sold"] for d in docs) == units else []


def buy_and_pay(shop: HttpShop, user_id: int, product_id: str) -> tuple[dict[str, Any], ...]:
    """Tap Buy, and Pay from wallet if a unit was reserved: the answers."""
    held = shop.buy(user_id, product_id)
    pay = buttons(held).get("Pay from wallet")
    return (held,) if pay is None else (held, shop.tap(user_id, pay))


def test_two_buyers_of_the_last_unit_at_once_one_pays_once_the_other_keeps_their_money(
    shop: HttpShop,
) -> None:
    pair = (7_201, 7_202)
    product = shop.add_product("Last ticket | Concerts | 10 KES")
    shop.add_stock(product, 1)
    shop.fund(pair, kes(PRICE), run=product)
    both_ready = threading.Barrier(2)

    def tap_buy(user_id: int) -> dict[str, Any]:
        both_ready.wait()
        return shop.tap(user_id, f"shop:b:{product}:1")

    answers = dict(zip(pair, in_parallel(tap_buy, pair, 2), strict=True))
    held = {u: a for u, a in answers.items() if a["text"].startswith("Reserved")}
    assert len(held) == 1, answers
    ((winner, hold),) = held.items()
    (loser,) = set(pair) - {winner}
    assert answers[loser]["text"] == SOLD_OUT
    assert "Pay from wallet" not in buttons(answers[loser])  # nothing the loser could pay

    # Then three Pay taps land at once on the one order: the winner's phone and desktop, and
    # the loser pressing a forwarded copy of the winner's button. One debit, the winner's.
    pay = buttons(hold)["Pay from wallet"]
    tappers = [winner, winner, loser]
    all_ready = threading.Barrier(len(tappers))

    def tap_pay(user_id: int) -> dict[str, Any]:
        all_ready.wait()
        return shop.tap(user_id, pay)

    *paid, forged = in_parallel(tap_pay, tappers, len(tappers))
    assert all(a["text"].startswith("Paid.") for a in paid), [a["text"] for a in paid]
    assert forged["text"] == "This is not your order."

    (order_id,) = shop.orders_of_product(product)
    assert pay == f"shop:w:{order_id}"
    assert eventually(lambda: shop.order(order_id).state == "delivered")
    debits = [e for e in shop.wallet_events(winner) if isinstance(e, WalletDebited)]
    assert [(d.amount, d.reference) for d in debits] == [(kes(PRICE), f"order:{order_id}")]
    assert (shop.balance(winner, "KES"), shop.balance(loser, "KES")) == (0, PRICE)
    assert not [e for e in shop.wallet_events(loser) if isinstance(e, WalletDebited)]
    (lot,) = eventually(lambda: lots_once_sold(shop, product, 1))
    assert (lot["available"], lot["reserved"], lot["sold"]) == (0, 0, 1)


def test_a_flash_sale_of_50_unique_items_to_200_concurrent_buyers_sells_each_once(
    shop: HttpShop,
) -> None:
    buyers = [7_300_000 + n for n in range(BUYERS)]
    product = shop.add_product("Flash key | Flash sale | 10 KES | kind=unique")
    items = [f"KEY-{product}-{n:03d}" for n in range(UNITS)]
    shop.add_items(product, items)
    assert len(shop.store.streams(f"lot-{product}")) == UNITS // LOT_SIZE
    shop.fund(buyers, kes(FUNDS), run=product)
    gate = threading.Event()

    def shopper(user_id: int) -> tuple[dict[str, Any], ...]:
        gate.wait()
        return buy_and_pay(shop, user_id, product)

    began = time.monotonic()
    with_threads = threading.Timer(0.5, gate.set)  # every thread is waiting at the gate
    with_threads.start()
    outcomes = dict(zip(buyers, in_parallel(shopper, buyers, BUYERS), strict=True))
    took = time.monotonic() - began - 0.5
    print(f"\nflash sale: {BUYERS} buyers, {UNITS} units in {took:.1f} s; {shop.busy} Buy taps "
          f"answered 'tap again', {shop.retried} updates retried")  # fmt: skip

    winners = [u for u, answers in outcomes.items() if len(answers) == 2]
    assert len(winners) == UNITS
    for user_id, answers in outcomes.items():
        if user_id in winners:
            assert answers[1]["text"].startswith("Paid."), answers
        else:
            assert answers[0]["text"] == SOLD_OUT, answers

    order_ids = shop.orders_of_product(product)
    assert len(order_ids) == UNITS
    assert eventually(lambda: all(shop.order(o).state == "delivered" for o in order_ids))
    sold = [item for o in order_ids for item in shop.delivered_items(o)]
    assert sorted(sold) == items  # every item sold, and none twice

    lot_docs = eventually(lambda: lots_once_sold(shop, product, UNITS))
    assert len(lot_docs) == UNITS // LOT_SIZE
    for doc in lot_docs:
        assert min(doc["available"], doc["reserved"], doc["sold"]) >= 0, doc
        assert (doc["available"], doc["reserved"], doc["sold"]) == (0, 0, LOT_SIZE), doc

    balances = {u: shop.balance(u, "KES") for u in buyers}
    revenue = sum(shop.order(o).paid.amount for o in order_ids)  # type: ignore[union-attr]
    assert sum(balances.values()) + revenue == BUYERS * FUNDS
    assert revenue == UNITS * PRICE
    assert {balances[u] for u in winners} == {FUNDS - PRICE}
    assert {b for u, b in balances.items() if u not in winners} == {FUNDS}

    # The audit compares wallets with the balances view: wait for it to catch up first.
    eventually(lambda: all(shop.shown_balance(u, "KES") == b for u, b in balances.items()), 60)
    ours = {f"wallet-{u}" for u in buyers} | {f"order-{o}" for o in order_ids}
    ours |= {f"product-{product}"}
    mine = ScopedStore(shop.store, lambda s: s in ours or s.startswith(f"lot-{product}-"))
    assert audit(mine, shop.read_models) == []  # type: ignore[arg-type]
