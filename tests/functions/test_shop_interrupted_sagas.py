"""The shop when a webhook instance died between a command and the saga steps it runs inline
(or a concurrent tap sees that moment): the next tap still gets the right answer."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from events import Envelope, Money
from events.wallet import WalletDebited
from functions.domain import products, wallet
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.ports import PublishFailed
from tests.builders import settings
from tests.functions.conftest import client_for
from tests.functions.shop_helpers import ADMIN, ShopDriver, buttons

pytestmark = pytest.mark.functions
BUYER = 601
TEN = Money(amount=1_000, currency="PLN")


class DiesBeforePublishing:
    def publish(self, events: Sequence[Envelope]) -> None:
        raise PublishFailed("the instance was killed")


@pytest.fixture
def shop(memory_runtime: Runtime) -> ShopDriver:
    memory_runtime.settings = settings(admin_ids=[ADMIN], default_currency="PLN")
    driver = ShopDriver(client_for("telegram_webhook"), memory_runtime)
    driver.register(ADMIN)
    return driver


def test_a_tap_after_a_debit_whose_saga_never_ran_delivers_without_a_second_debit(
    shop: ShopDriver,
) -> None:
    product = shop.add_product("Lamp | Home | 10 PLN | kind=unique")
    shop.say(ADMIN, f"/stock {product}\nLAMP-1")
    shop.register(BUYER, TEN)
    pay = buttons(shop.tap(BUYER, f"shop:b:{product}:1"))["Pay from wallet"]
    order_id = pay.removeprefix("shop:w:")
    # The first tap's instance died right after its debit committed: nothing published, the
    # saga not run (a concurrent second tap sees the same: the debit made, the order placed).
    first_tap = Pipeline(shop.rt.store, DiesBeforePublishing(), shop.rt.clock, shop.rt.ids)
    debit = wallet.Debit(BUYER, TEN, "order", f"order:{order_id}")
    first_tap.execute(wallet.wallets, wallet.stream_of(BUYER), debit, Trace("tg:first-tap"))

    again = shop.tap(BUYER, pay)

    assert "<code>LAMP-1</code>" in again["text"]
    (order,) = shop.rt.read_models.find("orders", "user_id", BUYER, 10)
    assert order["state"] == "delivered"
    debits = [
        e for e in shop.rt.store.load(wallet.stream_of(BUYER)) if e.type == "wallet.debited.v1"
    ]
    assert len(debits) == 1
    assert shop.balance(BUYER, "PLN") == 0
    assert WalletDebited.model_validate(debits[0].data).reference == f"order:{order_id}"


def test_a_buyer_who_meets_a_lot_not_stocked_yet_hears_sold_out_not_an_error(
    shop: ShopDriver,
) -> None:
    product = shop.add_product("Mug | Home | 10 PLN")
    shop.say(ADMIN, f"/stock {product} 1")
    shop.register(BUYER, TEN)
    shop.tap(BUYER, buttons(shop.tap(BUYER, f"shop:b:{product}:1"))["Pay from wallet"])
    # More stock: the admin's instance died after the product's event, before the saga
    # opened lot 2, so the catalog counts a lot whose stream does not exist yet.
    admin = Pipeline(shop.rt.store, DiesBeforePublishing(), shop.rt.clock, shop.rt.ids)
    admin.execute(products.products, products.stream_of(product), products.AddStock(ADMIN, 1))

    for user_id in (602, 603, 604):  # each tries lot 1 and lot 2 in a random order
        shop.register(user_id, TEN)
        answer = shop.tap(user_id, f"shop:b:{product}:1")
        assert answer["text"] == "Sold out, sorry. Nothing was charged."
        assert shop.balance(user_id, "PLN") == 1_000
