"""Orders paid directly on a rail: the callback settles the order, the buyer is told, and
money an order cannot take goes back to the wallet."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from events import Money
from functions.providers import registry
from functions.runtime.bootstrap import Runtime
from tests.builders import answer_to, settings
from tests.fakes.recording_bot import RecordingBot
from tests.functions import fake_rail
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
    assert texts == [
        "🏅 Badge unlocked: First purchase",  # the loyalty stream counted the delivery
        "Payment received. Your purchase:\n<code>VOUCHER-1</code>",
    ]


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


def held_order(shop: ShopDriver, price: str = "1500 KES") -> dict[str, Any]:
    product = shop.add_product(f"Voucher | Gifts | {price} | kind=unique")
    shop.say(ADMIN, f"/stock {product}\nVOUCHER-1")
    return shop.tap(BUYER, f"shop:b:{product}:1")


def with_fake_spec(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    """The registered example rail, its spec changed as another rail's would read."""
    spec = dataclasses.replace(fake_rail.SPEC, **changes)
    monkeypatch.setattr(registry, "specs", lambda: (spec,))


def test_the_pay_buttons_offer_every_configured_rail_whose_spec_pays_orders(
    shop: ShopDriver,
) -> None:
    assert list(buttons(held_order(shop))) == ["Pay from wallet", "Pay with Test rail", "Cancel"]


def test_a_rail_whose_spec_cannot_pay_orders_gets_no_button_and_a_forged_tap_starts_nothing(
    shop: ShopDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_fake_spec(monkeypatch, pays_orders=False)
    held = held_order(shop)
    assert list(buttons(held)) == ["Pay from wallet", "Cancel"]
    order_id = buttons(held)["Cancel"].removeprefix("shop:x:")

    answer = shop.tap(BUYER, f"shop:r:{order_id}:fake")

    assert answer["text"] == "This order cannot be paid that way. Send /orders to see it."
    assert shop.rt.rails()["fake"].started == []  # type: ignore[attr-defined]
    assert shop.rt.store.streams("payment") == []


def test_a_rail_takes_orders_only_in_its_own_currencies(
    shop: ShopDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_fake_spec(monkeypatch, currencies=("IDR",))
    assert list(buttons(held_order(shop, "1500 KES"))) == ["Pay from wallet", "Cancel"]


def test_a_rail_whose_payer_gives_a_phone_asks_for_it_and_pays_with_the_answer(
    shop: ShopDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_fake_spec(monkeypatch, label="Test mobile money", payer_gives="phone")
    held = held_order(shop)

    question = shop.tap(BUYER, buttons(held)["Pay with Test mobile money"])

    assert question["text"].startswith(
        "Reply with your Test mobile money phone number to pay KES 1,500.00 for your order."
    )
    assert question["reply_markup"]["force_reply"] is True
    rail: FakeRail = shop.rt.rails()["fake"]  # type: ignore[assignment]
    assert rail.started == []  # asking for the phone starts nothing
    started = shop._post(answer_to(question, "0712345678", user_id=BUYER, update_id=990_001))
    assert started["text"].startswith("Payment for your order of KES 1,500.00 started")
    (request,) = rail.started
    assert (request.phone, request.amount) == ("0712345678", Money(amount=150_000, currency="KES"))


def test_a_phone_question_asked_before_markers_is_still_answered_by_its_wording(
    shop: ShopDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_fake_spec(monkeypatch, label="Test mobile money", payer_gives="phone")
    order_id = buttons(held_order(shop))["Cancel"].removeprefix("shop:x:")
    legacy = f"Reply with your Test mobile money phone number to pay order {order_id}"
    answer = answer_to({"text": legacy}, "0712345678", user_id=BUYER, update_id=990_002)

    started = shop._post(answer)

    assert started["text"].startswith("Payment for your order of KES 1,500.00 started")
    (request,) = shop.rt.rails()["fake"].started  # type: ignore[attr-defined]
    assert request.phone == "0712345678"
