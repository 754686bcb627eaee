"""The shop through the Telegram webhook: admin lists and stocks, buyers browse, buy, pay."""

from __future__ import annotations

import re

import pytest

from events import Money
from functions.runtime.bootstrap import Runtime
from tests.builders import settings, text_update
from tests.functions.conftest import client_for, everything_written
from tests.functions.shop_helpers import ADMIN, ShopDriver, buttons

pytestmark = pytest.mark.functions
BUYER, OTHER = 501, 502


@pytest.fixture
def shop(memory_runtime: Runtime) -> ShopDriver:
    memory_runtime.settings = settings(admin_ids=[ADMIN], default_currency="PLN")
    driver = ShopDriver(client_for("telegram_webhook"), memory_runtime)
    driver.register(ADMIN)
    return driver


def pln(text: str) -> Money:
    from events.money import parse_money

    return parse_money(text, "PLN")


def test_a_buyer_browses_buys_a_unique_item_pays_from_the_wallet_and_gets_it(
    shop: ShopDriver,
) -> None:
    product = shop.add_product("Game key | Games | 100 PLN | kind=unique | desc=Steam key")
    shop.say(ADMIN, f"/stock {product}\nKEY-AAA\nKEY-BBB")
    shop.say(ADMIN, f"/discount {product} 20")
    shop.register(BUYER, pln("500"))

    categories = shop.say(BUYER, "/shop")
    listing = shop.tap(BUYER, buttons(categories)["Games"])
    card = shop.tap(BUYER, buttons(listing)["Game key"])
    assert "<s>PLN 100.00</s> PLN 80.00 -20%" in card["text"]
    assert "In stock: 2 · Sold: 0" in card["text"]

    held = shop.tap(BUYER, buttons(card)["Buy"])
    assert "Total: PLN 80.00" in held["text"]
    paid = shop.tap(BUYER, buttons(held)["Pay from wallet"])

    assert "<code>KEY-AAA</code>" in paid["text"]
    assert shop.balance(BUYER, "PLN") == 42_000
    (order,) = shop.rt.read_models.find("orders", "user_id", BUYER, 10)
    assert order["state"] == "delivered"
    assert order["items"] == [{"item_id": "1.1", "payload": "KEY-AAA"}]
    (lot,) = shop.rt.read_models.find("stock", "product_id", product, 10)
    assert (lot["available"], lot["reserved"], lot["sold"]) == (1, 0, 1)
    again = shop.tap(BUYER, buttons(held)["Pay from wallet"])  # a second tap charges nothing
    assert shop.balance(BUYER, "PLN") == 42_000
    assert "KEY-AAA" in again["text"]
    orders_list = shop.say(BUYER, "/orders")
    assert "Game key x 1: PLN 80.00, delivered" in orders_list["text"]
    shown = shop.tap(BUYER, buttons(orders_list)["Show Game key"])
    assert "<code>KEY-AAA</code>" in shown["text"]


def test_a_buyer_with_too_little_money_keeps_it_and_the_hold_can_be_cancelled(
    shop: ShopDriver,
) -> None:
    product = shop.add_product("Sugar | Food | 99.99 PLN")
    shop.say(ADMIN, f"/stock {product} 3")
    shop.register(BUYER, pln("50"))
    held = shop.tap(BUYER, f"shop:b:{product}:1")
    refused = shop.tap(BUYER, buttons(held)["Pay from wallet"])
    assert "balance is too low" in refused["text"]
    assert shop.balance(BUYER, "PLN") == 5_000
    shop.tap(BUYER, buttons(held)["Cancel"])
    (lot,) = shop.rt.read_models.find("stock", "product_id", product, 10)
    assert (lot["available"], lot["reserved"]) == (3, 0)


def test_the_last_unit_goes_to_one_buyer_the_other_hears_sold_out(shop: ShopDriver) -> None:
    product = shop.add_product("Ticket | Events | 10 PLN")
    shop.say(ADMIN, f"/stock {product} 1")
    shop.register(BUYER, pln("10"))
    shop.register(OTHER, pln("10"))
    first = shop.tap(BUYER, f"shop:b:{product}:1")
    second = shop.tap(OTHER, f"shop:b:{product}:1")
    assert "Reserved" in first["text"]
    assert "Sold out" in second["text"]
    shop.tap(BUYER, buttons(first)["Pay from wallet"])
    assert (shop.balance(BUYER, "PLN"), shop.balance(OTHER, "PLN")) == (0, 1_000)


def test_an_expired_hold_frees_the_unit_and_a_late_wallet_payment_still_completes(
    shop: ShopDriver,
) -> None:
    product = shop.add_product("Hat | Clothes | 10 PLN")
    shop.say(ADMIN, f"/stock {product} 1")
    shop.register(BUYER, pln("10"))
    held = shop.tap(BUYER, f"shop:b:{product}:1")
    shop.rt.clock.advance(minutes=16)  # type: ignore[attr-defined]
    from functions.jobs import JOBS

    assert JOBS["expire-reservations"](shop.rt) == {"released": 1}
    assert JOBS["expire-reservations"](shop.rt) == {"released": 0}  # run twice: no change
    (order,) = shop.rt.read_models.find("orders", "user_id", BUYER, 10)
    assert order["state"] == "expired"
    paid = shop.tap(BUYER, buttons(held)["Pay from wallet"])  # still free: completes
    assert "confirmed" in paid["text"]
    assert shop.balance(BUYER, "PLN") == 0


def test_a_late_payment_after_the_unit_went_to_someone_else_is_refunded_to_the_wallet(
    shop: ShopDriver,
) -> None:
    product = shop.add_product("Hat | Clothes | 10 PLN")
    shop.say(ADMIN, f"/stock {product} 1")
    shop.register(BUYER, pln("10"))
    shop.register(OTHER, pln("10"))
    held = shop.tap(BUYER, f"shop:b:{product}:1")
    shop.rt.clock.advance(minutes=16)  # type: ignore[attr-defined]
    from functions.jobs import JOBS

    JOBS["expire-reservations"](shop.rt)
    other = shop.tap(OTHER, f"shop:b:{product}:1")
    shop.tap(OTHER, buttons(other)["Pay from wallet"])
    late = shop.tap(BUYER, buttons(held)["Pay from wallet"])
    assert "back in your wallet" in late["text"]
    assert (shop.balance(BUYER, "PLN"), shop.balance(OTHER, "PLN")) == (1_000, 0)


def test_non_admins_cannot_run_admin_commands_and_nothing_is_written(
    shop: ShopDriver, memory_runtime: Runtime
) -> None:
    shop.register(BUYER)
    before = everything_written(memory_runtime)
    for command in ("/addproduct X | Y | 1 PLN", "/stock abc 5", "/discount abc 10",
                    "/hide abc", "/reseller 1 on", "/products"):  # fmt: skip
        assert shop.say(BUYER, command)["text"] == "This command is for shop admins."
    assert everything_written(memory_runtime) == before


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/addproduct Pen | Office | -5 PLN", "Not a price: “-5 PLN”"),
        ("/addproduct Pen | Office | 5 PLN | colour=red", "Not understood: “colour=red”"),
        ("/editproduct {p} | price=15 USD", "priced in PLN; its currency cannot change"),
        ("/editproduct {p} | reseller=3 USD", "above zero and in PLN, the price's currency"),
        ("/stock {p} 6000", "At most 5,000 units at a time."),
        ("/stock {p} 0", "whole number above 0"),
        ("/discount category=Nope 10", "No product has category “Nope”."),
        ("/addproduct Pen | Office", "Usage: /addproduct"),
        ("/addproduct Pen | Office | 5 PLN | kind=rare", "kind is counted or unique"),
        ("/discount {p} 150", "0 to 90"),
        ("/stock {p} -3", "whole number"),
        ("/stock {u}", "one item per line"),
        ("/stock nope 3", "No product"),
    ],
)
def test_malformed_admin_input_gets_a_clear_message_and_writes_nothing(
    shop: ShopDriver, memory_runtime: Runtime, command: str, expected: str
) -> None:
    counted = shop.add_product("Pen | Office | 5 PLN")
    unique = shop.add_product("Code | Office | 5 PLN | kind=unique")
    before = everything_written(memory_runtime)
    answer = shop.say(ADMIN, command.format(p=counted, u=unique))
    assert expected.lower() in answer["text"].lower()
    assert everything_written(memory_runtime) == before


def test_resellers_see_and_pay_the_reseller_price(shop: ShopDriver) -> None:
    product = shop.add_product("Bulk rice | Food | 100 PLN | reseller=70 PLN")
    shop.say(ADMIN, f"/stock {product} 5")
    shop.register(BUYER, pln("100"))
    shop.say(ADMIN, f"/reseller {BUYER} on")
    card = shop.tap(BUYER, f"shop:p:{product}")
    assert "Reseller price: PLN 70.00" in card["text"]
    held = shop.tap(BUYER, buttons(card)["Buy"])
    shop.tap(BUYER, buttons(held)["Pay from wallet"])
    assert shop.balance(BUYER, "PLN") == 3_000


def test_a_bulk_discount_on_a_category_is_one_event_per_product_with_the_admin_id(
    shop: ShopDriver,
) -> None:
    first = shop.add_product("A | Sale | 10 PLN")
    second = shop.add_product("B | Sale | 20 PLN")
    shop.add_product("C | Other | 30 PLN")
    answer = shop.say(ADMIN, "/discount category=Sale 15")
    assert "2 product(s)" in answer["text"]
    for product_id in (first, second):
        last = shop.rt.store.load(f"product-{product_id}")[-1]
        assert last.type == "product.discount_set.v1"
        assert last.data == {"percent": 15, "admin_id": ADMIN}


def test_an_admins_captioned_photo_becomes_the_product_cards_photo(shop: ShopDriver) -> None:
    product = shop.add_product("Lamp | Home | 30 PLN")
    shop.say(ADMIN, f"/stock {product} 2")
    photo = text_update("", user_id=ADMIN, update_id=99_001)
    message = photo["message"]
    del message["text"], message["entities"]
    message["caption"] = f"/photo {product}"
    message["photo"] = [
        {"file_id": "small-id", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "large-id", "file_unique_id": "l", "width": 800, "height": 800},
    ]
    answer = shop._post(photo)
    assert answer["text"] == "Photo set for Lamp."
    card = shop.tap(BUYER, f"shop:p:{product}")
    assert (card["method"], card["photo"]) == ("sendPhoto", "large-id")
    assert "In stock: 2" in card["caption"]
    photo_by_buyer = text_update("", user_id=BUYER, update_id=99_002)
    del photo_by_buyer["message"]["text"], photo_by_buyer["message"]["entities"]
    photo_by_buyer["message"] |= {"caption": f"/photo {product}", "photo": message["photo"]}
    assert shop._post(photo_by_buyer)["text"] == "This command is for shop admins."


def test_a_category_lists_six_products_a_page_with_next_and_previous(shop: ShopDriver) -> None:
    for n in range(8):
        shop.add_product(f"Tea {n} | Drinks | 5 PLN")
    categories = shop.say(BUYER, "/shop")
    first = shop.tap(BUYER, buttons(categories)["Drinks"])
    assert [label for label in buttons(first) if label.startswith("Tea")] == [
        f"Tea {n}" for n in range(6)
    ]
    second = shop.tap(BUYER, buttons(first)["Next >"])
    assert [label for label in buttons(second) if label.startswith("Tea")] == ["Tea 6", "Tea 7"]
    assert "Next >" not in buttons(second)
    back = shop.tap(BUYER, buttons(second)["< Prev"])
    assert buttons(back) == buttons(first)
    listed = shop.say(ADMIN, "/products")["text"]
    first_id, first_name = re.findall(r"<code>(\w+)</code> (Tea \d)", listed)[0]
    shop.say(ADMIN, f"/hide {first_id}")
    pages = (
        shop.tap(BUYER, buttons(categories)["Drinks"]),
        shop.tap(BUYER, buttons(first)["Next >"]),
    )
    shown = [label for page in pages for label in buttons(page) if label.startswith("Tea")]
    assert len(shown) == 7
    assert first_name not in shown


def test_orders_say_each_state_and_total_in_words_a_buyer_knows(shop: ShopDriver) -> None:
    product = shop.add_product("Tea & Co | Drinks | 1234.5 PLN")
    shop.say(ADMIN, f"/stock {product} 3")
    shop.register(BUYER, pln("5000"))
    held = shop.tap(BUYER, f"shop:b:{product}:1")
    listing = shop.say(BUYER, "/orders")

    assert "Tea &amp; Co x 1: PLN 1,234.50, held for you, not paid yet" in listing["text"]
    assert "placed" not in listing["text"]
    assert "123450" not in listing["text"]
    assert {"Pay Tea & Co", "Cancel Tea & Co"} <= set(buttons(listing))  # labels: plain text
    shop.tap(BUYER, buttons(held)["Pay from wallet"])
    assert "Tea &amp; Co x 1: PLN 1,234.50, delivered" in shop.say(BUYER, "/orders")["text"]


def test_buying_more_than_one_order_can_hold_is_refused_with_the_limit_and_writes_nothing(
    shop: ShopDriver, memory_runtime: Runtime
) -> None:
    product = shop.add_product("Pen | Office | 5 PLN")
    shop.say(ADMIN, f"/stock {product} 30")
    shop.register(BUYER)
    before = everything_written(memory_runtime)

    refused = shop.tap(BUYER, f"shop:b:{product}:11")

    assert refused["text"] == "You can buy 1 to 10 at a time."
    assert list(buttons(refused)) == ["« Shop"]
    assert everything_written(memory_runtime) == before


def test_a_discounted_card_strikes_the_old_price_through_and_a_cancel_says_nothing_was_charged(
    shop: ShopDriver,
) -> None:
    product = shop.add_product("Lamp | Home | 1500 PLN")
    shop.say(ADMIN, f"/stock {product} 2")
    shop.say(ADMIN, f"/discount {product} 20")
    shop.register(BUYER)
    card = shop.tap(BUYER, f"shop:p:{product}")
    assert "Price: <s>PLN 1,500.00</s> PLN 1,200.00 -20%" in card["text"]

    held = shop.tap(BUYER, buttons(card)["Buy"])
    cancelled = shop.tap(BUYER, buttons(held)["Cancel"])

    assert cancelled["text"] == "Order cancelled. Nothing was charged."
    again = shop.tap(BUYER, buttons(held)["Pay from wallet"])
    assert again["text"] == "This order is cancelled."


def test_an_edited_price_without_a_code_stays_in_the_products_currency(shop: ShopDriver) -> None:
    product = shop.add_product("Kite | Toys | 500 KES")  # the shop's default is PLN

    answer = shop.say(ADMIN, f"/editproduct {product} | price=450 | reseller=400")

    assert answer["text"] == "Saved Kite."
    edited = shop.rt.store.load(f"product-{product}")[-1]
    assert edited.data["details"]["price"] == {"amount": 45_000, "currency": "KES"}
    assert edited.data["details"]["reseller_price"] == {"amount": 40_000, "currency": "KES"}
