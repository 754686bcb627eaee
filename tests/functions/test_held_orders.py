"""A held order stays actionable: after "balance too low", and in /orders, it can be paid on a
rail or cancelled, which releases the reserved unit."""

from __future__ import annotations

import pytest

from events import Money
from functions.runtime.bootstrap import Runtime
from tests.builders import settings
from tests.fakes.recording_bot import RecordingBot
from tests.functions.conftest import client_for
from tests.functions.fake_rail import FakeRail
from tests.functions.shop_helpers import ADMIN, ShopDriver, buttons

pytestmark = pytest.mark.functions
BUYER = 611


def kes(amount: int) -> Money:
    return Money(amount=amount * 100, currency="KES")


@pytest.fixture
def shop(memory_runtime: Runtime) -> ShopDriver:
    memory_runtime.rail_overrides = {"fake": FakeRail()}
    memory_runtime.bot_override = RecordingBot()
    memory_runtime.settings = settings(
        admin_ids=[ADMIN], default_currency="KES", public_base_url="https://fn.example"
    )
    driver = ShopDriver(client_for("telegram_webhook"), memory_runtime)
    driver.register(ADMIN)
    driver.register(BUYER, kes(500))
    return driver


def hold_one(shop: ShopDriver, spec: str = "Sugar | Food | 1500 KES") -> tuple[str, dict[str, str]]:
    """A product with 3 units and the buyer's hold on one: (product id, the hold's buttons)."""
    product = shop.add_product(spec)
    shop.say(ADMIN, f"/stock {product} 3")
    return product, buttons(shop.tap(BUYER, f"shop:b:{product}:1"))


def lot_of(shop: ShopDriver, product: str) -> tuple[int, int]:
    (lot,) = shop.rt.read_models.find("stock", "product_id", product, 10)
    return lot["available"], lot["reserved"]


def order_state(shop: ShopDriver) -> str:
    (order,) = shop.rt.read_models.find("orders", "user_id", BUYER, 10)
    return str(order["state"])


def test_balance_too_low_keeps_the_orders_pay_buttons_and_a_rail_payment_starts(
    shop: ShopDriver,
) -> None:
    product, held = hold_one(shop)
    refused = shop.tap(BUYER, held["Pay from wallet"])

    assert "balance is too low" in refused["text"]
    assert buttons(refused) == held  # the same wallet, rail and Cancel buttons
    shop.tap(BUYER, buttons(refused)["Pay with Test rail"])
    (request,) = shop.rt.rails()["fake"].started  # type: ignore[attr-defined]
    assert request.amount == kes(1500)
    assert shop.balance(BUYER, "KES") == 50_000  # the refused debit took nothing
    assert lot_of(shop, product) == (2, 1)  # still held for the buyer


def test_cancel_after_balance_too_low_releases_the_hold(shop: ShopDriver) -> None:
    product, held = hold_one(shop)
    refused = shop.tap(BUYER, held["Pay from wallet"])

    shop.tap(BUYER, buttons(refused)["Cancel"])

    assert order_state(shop) == "cancelled"
    assert lot_of(shop, product) == (3, 0)
    assert shop.balance(BUYER, "KES") == 50_000


def test_orders_shows_a_held_order_with_pay_and_cancel_and_pay_opens_its_pay_buttons(
    shop: ShopDriver,
) -> None:
    _, held = hold_one(shop)

    listing = shop.say(BUYER, "/orders")
    opened = shop.tap(BUYER, buttons(listing)["Pay Sugar"])

    assert set(buttons(listing)) == {"Pay Sugar", "Cancel Sugar"}
    assert buttons(opened) == held
    assert "KES 1,500.00" in opened["text"]


def test_cancel_from_orders_releases_the_hold_and_the_order_loses_its_buttons(
    shop: ShopDriver,
) -> None:
    product, _ = hold_one(shop)
    listing = shop.say(BUYER, "/orders")

    shop.tap(BUYER, buttons(listing)["Cancel Sugar"])

    assert order_state(shop) == "cancelled"
    assert lot_of(shop, product) == (3, 0)
    assert buttons(shop.say(BUYER, "/orders")) == {}  # nothing left to pay or cancel


def test_a_paid_order_in_orders_has_no_pay_or_cancel_button(shop: ShopDriver) -> None:
    _, held = hold_one(shop, "Salt | Food | 100 KES")
    shop.tap(BUYER, held["Pay from wallet"])

    listing = shop.say(BUYER, "/orders")

    assert order_state(shop) == "delivered"
    assert not {"Pay Salt", "Cancel Salt"} & set(buttons(listing))
