"""Orders paid directly on a rail: the callback settles the order, the buyer is told, and
money an order cannot take goes back to the wallet."""

from __future__ import annotations

import pytest

from events import Money
from functions.runtime.bootstrap import Runtime
from tests.builders import settings
from tests.fakes.recording_bot import RecordingBot
from tests.functions.conftest import client_for
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback
from tests.functions.shop_helpers import ADMIN, ShopDriver, buttons
from tests.functions.test_project_balances import push_body

pytestmark = pytest.mark.functions
BUYER = 601


@pytest.fixture
def shop(memory_runtime: Runtime) -> ShopDriver:
    memory_runtime.rail_overrides = {"fake": FakeRail()}
    memory_runtime.bot_override = RecordingBot()
    memory_runtime.settings = settings(
        admin_ids=[ADMIN], default_currency="KES", public_base_url="https://fn.example"
    )
    driver = ShopDriver(client_for("telegram_webhook"), memory_runtime)
    driver.register(ADMIN)
    driver.register(BUYER)
    return driver


def pay_on_the_rail(shop: ShopDriver, payment_id: str) -> None:
    rail = shop.rt.rails()["fake"]
    rail.truth[payment_id] = "succeeded"  # type: ignore[attr-defined]
    response = client_for("payment_webhook").post(
        f"/payments/fake/{PATH_SECRET}", json=callback(payment_id, "succeeded")
    )
    assert response.status_code == 200


def notify_everything(rt: Runtime) -> None:
    """What the notify subscriber receives, pushed like Pub/Sub would."""
    notify = client_for("notify", "cloudevent")
    for stream in rt.store.streams():
        for event in rt.store.load(stream):
            assert notify.post("/", json=push_body(event)).status_code == 200


def test_an_order_paid_on_a_rail_is_delivered_and_the_buyer_gets_the_item(
    shop: ShopDriver,
) -> None:
    product = shop.add_product("Voucher | Gifts | 1500 KES | kind=unique")
    shop.say(ADMIN, f"/stock {product}\nVOUCHER-1")
    held = shop.tap(BUYER, f"shop:b:{product}:1")
    started = shop.tap(BUYER, buttons(held)["Pay with Test rail"])
    assert "KES 1,500.00" in started["text"]
    (request,) = shop.rt.rails()["fake"].started  # type: ignore[attr-defined]
    assert request.amount == Money(amount=150_000, currency="KES")

    pay_on_the_rail(shop, request.payment_id)

    (order,) = shop.rt.read_models.find("orders", "user_id", BUYER, 10)
    assert (order["state"], order["paid_via"]) == ("delivered", "payment")
    assert shop.balance(BUYER, "KES") == 0  # paid by the rail, never through the wallet
    notify_everything(shop.rt)
    bot: RecordingBot = shop.rt.bot()  # type: ignore[assignment]
    texts = [p["text"] for m, p in bot.calls if m == "sendMessage" and p["chat_id"] == BUYER]
    assert texts == ["Payment received. Your purchase:\n<code>VOUCHER-1</code>"]


def test_a_rail_payment_for_an_order_already_paid_from_the_wallet_goes_to_the_wallet(
    shop: ShopDriver,
) -> None:
    product = shop.add_product("Soap | Home | 100 KES")
    shop.say(ADMIN, f"/stock {product} 5")
    from tests.functions.shop_helpers import fund

    fund(shop.rt, BUYER, Money(amount=10_000, currency="KES"))
    held = shop.tap(BUYER, f"shop:b:{product}:1")
    shop.tap(BUYER, buttons(held)["Pay with Test rail"])
    shop.tap(BUYER, buttons(held)["Pay from wallet"])
    assert shop.balance(BUYER, "KES") == 0
    (request,) = shop.rt.rails()["fake"].started  # type: ignore[attr-defined]

    pay_on_the_rail(shop, request.payment_id)

    assert shop.balance(BUYER, "KES") == 10_000  # the second payment came back
    (lot,) = shop.rt.read_models.find("stock", "product_id", product, 10)
    assert (lot["sold"], lot["available"]) == (1, 4)
    from functions.ops.ledger import audit

    assert audit(shop.rt.store, shop.rt.read_models) == []


def test_stars_that_paid_an_order_are_not_refundable_with_refund(shop: ShopDriver) -> None:
    from functions.domain import payments
    from functions.payments.refunds import RefundRefused, check_refundable

    stream = payments.stream_of("abcdef012345")
    xtr = Money(amount=50, currency="XTR")
    request = payments.Request("abcdef012345", BUYER, "order", xtr, "stars", "o1")
    shop.rt.pipeline.execute(payments.payments, stream, request)
    shop.rt.pipeline.execute(payments.payments, stream, payments.AdminDecide(ADMIN, True))
    payment = shop.rt.pipeline.current(payments.payments, stream)
    payment = payments.Payment(**{**vars(payment), "receipt": "charge-1"})
    with pytest.raises(RefundRefused) as refused:
        check_refundable(shop.rt, payment)
    assert str(refused.value) == (
        "Only Stars deposits can be refunded here; an order settles its own money."
    )
