"""The ledger audit over the shop: clean after real trade, loud about forged money or units."""

from __future__ import annotations

import pytest

from events import Money
from events.shop import LotSold, StockItem
from functions.domain import wallet
from functions.ops.ledger import audit
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from tests.builders import settings
from tests.functions.conftest import client_for
from tests.functions.shop_helpers import ADMIN, ShopDriver, buttons

pytestmark = pytest.mark.functions
PLN_10 = Money(amount=1_000, currency="PLN")


@pytest.fixture
def traded(memory_runtime: Runtime) -> ShopDriver:
    """Two buyers race for one unique item after the first one's hold lapsed: one gets it,
    the late payer is refunded to the wallet."""
    memory_runtime.settings = settings(admin_ids=[ADMIN], default_currency="PLN")
    shop = ShopDriver(client_for("telegram_webhook"), memory_runtime)
    shop.register(ADMIN)
    product = shop.add_product("Key | Games | 10 PLN | kind=unique")
    shop.say(ADMIN, f"/stock {product}\nKEY-1")
    for buyer in (1, 2):
        shop.register(buyer, PLN_10)
    late = shop.tap(1, f"shop:b:{product}:1")
    memory_runtime.clock.advance(minutes=20)  # type: ignore[attr-defined]
    from functions.jobs import JOBS

    JOBS["expire-reservations"](memory_runtime)
    on_time = shop.tap(2, f"shop:b:{product}:1")
    shop.tap(2, buttons(on_time)["Pay from wallet"])
    shop.tap(1, buttons(late)["Pay from wallet"])
    return shop


def test_the_audit_is_clean_after_sales_expiry_and_a_refund(traded: ShopDriver) -> None:
    rt = traded.rt
    assert audit(rt.store, rt.read_models) == []
    assert (traded.balance(1, "PLN"), traded.balance(2, "PLN")) == (1_000, 0)
    assert sorted(d["state"] for d in rt.read_models.all("orders").values()) == [
        "delivered",
        "refunded",
    ]


def test_a_debit_for_an_order_that_does_not_exist_is_named(traded: ShopDriver) -> None:
    rt = traded.rt
    debit = wallet.Debit(1, PLN_10, "order", "order:forged")
    rt.pipeline.execute(wallet.wallets, wallet.stream_of(1), debit, Trace())
    problems = audit(rt.store, rt.read_models)
    assert [(p.stream, p.what) for p in problems] == [
        ("wallet-1", "debit order:forged has no order behind it")
    ]


def test_a_refund_credited_without_a_refunded_order_is_named(traded: ShopDriver) -> None:
    rt = traded.rt
    credit = wallet.Credit(2, PLN_10, "order_refund", "refund:order:nope")
    rt.pipeline.execute(wallet.wallets, wallet.stream_of(2), credit, Trace())
    problems = audit(rt.store, rt.read_models)
    assert [(p.stream, p.what) for p in problems] == [
        ("wallet-2", "credit refund:order:nope has no order behind it")
    ]


def test_an_item_sold_twice_is_named(traded: ShopDriver) -> None:
    rt = traded.rt
    (lot,) = rt.store.streams("lot")
    history = rt.store.load(lot)
    forged = LotSold(order_id="x", quantity=1, items=[StockItem(item_id="1.1", payload="K")])
    envelopes = rt.pipeline._envelopes(lot, history[-1].version, [forged], Trace())
    rt.store.append(lot, history[-1].version, envelopes, None)
    whats = {p.what for p in audit(rt.store, rt.read_models)}
    assert "sold 2 of 1 units" in whats
    assert "sold 2 times" in whats
