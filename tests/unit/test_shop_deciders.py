"""Products, lots and orders: given past events, when a command, then new events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from events import Money
from events.shop import (
    LotReleased,
    LotReserved,
    LotSaleRefused,
    LotSold,
    LotStocked,
    OrderCancelled,
    OrderDelivered,
    OrderExpired,
    OrderLine,
    OrderOverpaid,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    ProductDetails,
    ProductListed,
    ProductStockAdded,
    StockItem,
)
from functions import texts
from functions.domain import lots, orders, products
from functions.domain.decider import DomainError
from functions.shop import checkout
from tests.unit.scenario import given, when

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
UNTIL = T0 + timedelta(minutes=15)
PLN_80 = Money(amount=8_000, currency="PLN")
DETAILS = ProductDetails(name="Key", category="Games", price=Money(amount=9_999, currency="PLN"))
LISTED = ProductListed(product_id="p1", kind="unique", details=DETAILS, admin_id=99)
ITEMS = [StockItem(item_id=f"1.{i}", payload=f"KEY-{i}") for i in (1, 2)]
STOCKED = LotStocked(product_id="p1", lot=1, quantity=2, items=ITEMS)


def reserved(order_id: str, quantity: int = 1, item_ids: list[str] | None = None) -> LotReserved:
    return LotReserved(
        order_id=order_id, user_id=7, product_id="p1", product_name="Key", lot=1,
        quantity=quantity, unit_price=PLN_80, total=PLN_80 * quantity, until=UNTIL,
        item_ids=item_ids if item_ids is not None else ["1.1"],
    )  # fmt: skip


def reserve(order_id: str, quantity: int = 1) -> lots.Reserve:
    return lots.Reserve(order_id, 7, "Key", quantity, PLN_80, UNTIL)


# -- products -----------------------------------------------------------------------------


def test_twenty_percent_off_99_99_is_80_00_the_discount_rounding_down() -> None:
    product = given(products.products, LISTED)
    discounted = products.Product(**{**vars(product), "discount": 20})
    assert discounted.price_for(reseller=False) == Money(amount=8_000, currency="PLN")
    third_off = products.Product(**{**vars(product), "discount": 33})
    assert third_off.price_for(reseller=False).amount == 9_999 - 3_299  # floor(3299.67)


def test_resellers_pay_the_reseller_price_less_the_same_discount() -> None:
    details = DETAILS.model_copy(update={"reseller_price": Money(amount=7_000, currency="PLN")})
    product = products.Product(True, "p1", "counted", details, discount=10)
    assert product.price_for(reseller=True).amount == 6_300
    assert product.price_for(reseller=False).amount == 9_000  # 9999 - floor(999.9)


def test_stock_is_opened_as_new_lots_of_at_most_lot_size_units() -> None:
    counted = LISTED.model_copy(update={"kind": "counted"})
    added = when(products.products, [counted], products.AddStock(99, quantity=25))
    assert [(e.lot, e.quantity) for e in added] == [(1, 10), (2, 10), (3, 5)]  # type: ignore[attr-defined]
    later = when(products.products, [counted, *added], products.AddStock(99, quantity=3))
    assert [(e.lot, e.quantity) for e in later] == [(4, 3)]  # type: ignore[attr-defined]


def test_unique_stock_gets_one_item_per_line_with_ids_unique_per_product() -> None:
    (added,) = when(products.products, [LISTED], products.AddStock(99, payloads=("A", " ", "B")))
    assert isinstance(added, ProductStockAdded)
    assert [(i.item_id, i.payload) for i in added.items] == [("1.1", "A"), ("1.2", "B")]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (products.AddStock(99, payloads=("", "  ")), "one item per line"),
        (products.SetDiscount(91, 99), "0 to 90"),
        (products.SetDiscount(-1, 99), "0 to 90"),
    ],
)
def test_invalid_admin_commands_are_refused(command: object, message: str) -> None:
    with pytest.raises(products.InvalidProduct, match=message):
        when(products.products, [LISTED], command)


def test_a_price_must_be_positive_and_a_reseller_price_in_the_same_currency() -> None:
    usd = Money(amount=100, currency="USD")
    bad = DETAILS.model_copy(update={"reseller_price": usd})
    with pytest.raises(products.InvalidProduct, match="reseller price"):
        when(products.products, [], products.ListProduct("p2", "counted", bad, 99))


# -- lots ---------------------------------------------------------------------------------


def test_a_reservation_takes_the_first_free_items_and_the_next_buyer_gets_the_next() -> None:
    (first,) = when(lots.lots, [STOCKED], reserve("o1"))
    assert isinstance(first, LotReserved)
    assert first.item_ids == ["1.1"]
    (second,) = when(lots.lots, [STOCKED, first], reserve("o2"))
    assert second.item_ids == ["1.2"]  # type: ignore[attr-defined]


def test_more_than_is_free_is_sold_out_and_a_repeated_reservation_is_a_no_op() -> None:
    with pytest.raises(lots.SoldOut):
        when(lots.lots, [STOCKED, reserved("o1"), reserved("o2", item_ids=["1.2"])], reserve("o3"))
    assert when(lots.lots, [STOCKED, reserved("o1")], reserve("o1")) == []


def test_a_paid_hold_sells_its_own_items() -> None:
    (sold,) = when(lots.lots, [STOCKED, reserved("o1")], lots.Sell("o1", 1))
    assert sold == LotSold(order_id="o1", quantity=1, items=[ITEMS[0]])
    assert when(lots.lots, [STOCKED, reserved("o1"), sold], lots.Sell("o1", 1)) == []


def test_a_lapsed_hold_sells_free_units_or_is_refused_when_none_are_left() -> None:
    history = [STOCKED, reserved("o1"), LotReleased(order_id="o1", reason="expired")]
    (sold,) = when(lots.lots, history, lots.Sell("o1", 1))
    assert isinstance(sold, LotSold)
    gone = [*history, reserved("o2", quantity=2, item_ids=["1.2", "1.1"])]
    (refused,) = when(lots.lots, gone, lots.Sell("o1", 1))
    assert isinstance(refused, LotSaleRefused)


def test_an_expiry_releases_only_a_due_unsold_hold() -> None:
    history = [STOCKED, reserved("o1")]
    assert when(lots.lots, history, lots.Release("o1", "expired", T0)) == []
    (released,) = when(lots.lots, history, lots.Release("o1", "expired", UNTIL))
    assert released == LotReleased(order_id="o1", reason="expired")
    sold = LotSold(order_id="o1", quantity=1, items=[ITEMS[0]])
    assert when(lots.lots, [*history, sold], lots.Release("o1", "expired", UNTIL)) == []


@for_all(st.lists(st.tuples(st.sampled_from("rsx"), st.integers(0, 5)), max_size=40))
def test_no_sequence_of_commands_sells_or_holds_more_than_the_lot_has(
    steps: list[tuple[str, int]],
) -> None:
    state = given(lots.lots, STOCKED)
    sold: list[str] = []
    for action, n in steps:
        order = f"o{n}"
        command: lots.LotCommand = {
            "r": reserve(order),
            "s": lots.Sell(order, 1),
            "x": lots.Release(order, "expired", UNTIL),
        }[action]
        try:
            new = lots.lots.decide(state, command)
        except lots.SoldOut:
            continue
        for event in new:
            state = lots.lots.evolve(state, event)
            if isinstance(event, LotSold):
                sold += [i.item_id for i in event.items]
        assert state.free >= 0
        assert state.free + sum(h.quantity for h in state.holds.values()) + len(sold) == 2
    assert len(sold) == len(set(sold))


# -- orders -------------------------------------------------------------------------------

LINE = OrderLine(order_id="o1", product_id="p1", lot=1, quantity=1)
PLACED = OrderPlaced(
    order_id="o1", user_id=7, product_id="p1", product_name="Key", lot=1, quantity=1,
    total=PLN_80, hold_until=UNTIL,
)  # fmt: skip
PAID = OrderPaid(line=LINE, paid=PLN_80, via="wallet", reference="order:o1")


def test_the_exact_total_pays_the_order_once() -> None:
    assert when(orders.orders, [PLACED], orders.Pay(PLN_80, "wallet", "order:o1")) == [PAID]
    assert when(orders.orders, [PLACED, PAID], orders.Pay(PLN_80, "wallet", "order:o1")) == []


def test_a_second_payment_or_a_wrong_amount_is_returned_never_kept() -> None:
    (twice,) = when(orders.orders, [PLACED, PAID], orders.Pay(PLN_80, "payment", "payment:x"))
    assert twice == OrderOverpaid(user_id=7, paid=PLN_80, via="payment", reference="payment:x")
    short = Money(amount=100, currency="PLN")
    (wrong,) = when(orders.orders, [PLACED], orders.Pay(short, "payment", "payment:y"))
    assert isinstance(wrong, OrderOverpaid)
    cancelled = OrderCancelled(line=LINE, by_user=7)
    (late,) = when(orders.orders, [PLACED, cancelled], orders.Pay(PLN_80, "payment", "p:z"))
    assert isinstance(late, OrderOverpaid)


def test_a_payment_after_expiry_still_pays_the_lot_then_decides() -> None:
    (paid,) = when(orders.orders, [PLACED, OrderExpired()], orders.Pay(PLN_80, "wallet", "r"))
    assert isinstance(paid, OrderPaid)


def test_delivery_and_refund_follow_payment_only() -> None:
    assert when(orders.orders, [PLACED], orders.Deliver(())) == []
    delivered = OrderDelivered(user_id=7, via="wallet")
    assert when(orders.orders, [PLACED, PAID], orders.Deliver(())) == [delivered]
    assert when(orders.orders, [PLACED], orders.Refund("x")) == []
    (refund,) = when(orders.orders, [PLACED, PAID], orders.Refund("sold out"))
    assert refund == OrderRefunded(user_id=7, amount=PLN_80, reason="sold out")


def test_only_the_buyer_cancels_and_only_an_unpaid_order() -> None:
    with pytest.raises(orders.NotYourOrder):
        when(orders.orders, [PLACED], orders.Cancel(8))
    with pytest.raises(orders.OrderClosed):
        when(orders.orders, [PLACED, PAID], orders.Cancel(7))
    assert when(orders.orders, [PLACED], orders.Cancel(7)) == [OrderCancelled(line=LINE, by_user=7)]


def test_an_edit_keeps_the_products_currency() -> None:
    dearer = DETAILS.model_copy(update={"price": Money(amount=12_000, currency="PLN")})
    (edited,) = when(products.products, [LISTED], products.Edit(dearer, 99))
    assert edited.details.price == Money(amount=12_000, currency="PLN")  # type: ignore[attr-defined]
    in_usd = DETAILS.model_copy(update={"price": Money(amount=1_500, currency="USD")})
    with pytest.raises(products.InvalidProduct, match="priced in PLN"):
        when(products.products, [LISTED], products.Edit(in_usd, 99))


# -- refusals, as the buyer or the admin reads them -----------------------------------------

COUNTED = ProductListed(product_id="p1", kind="counted", details=DETAILS, admin_id=99)


def in_(price: Money, field: str = "price") -> ProductDetails:
    return DETAILS.model_copy(update={field: price})


@pytest.mark.parametrize(
    ("history", "command", "said"),
    [
        ([LISTED], products.AddStock(99, payloads=("", " ")),
         "Send one item per line after the command."),
        ([COUNTED], products.AddStock(99, quantity=6_000), "At most 5,000 units at a time."),
        ([LISTED], products.SetDiscount(91, 99), "A discount is 0 to 90 percent."),
        ([], products.ListProduct("p2", "counted", in_(Money(amount=1, currency="USD"),
                                                       "reseller_price"), 99),
         "The reseller price must be above zero and in PLN, the price's currency."),
        ([LISTED], products.Edit(in_(Money(amount=1_500, currency="USD")), 99),
         "This product is priced in PLN; its currency cannot change. "
         "Add a new product to sell it in another currency."),
        ([LISTED], products.Edit(in_(Money(amount=0, currency="PLN")), 99),
         "The price must be above zero."),
    ],
)  # fmt: skip
def test_a_product_refusal_is_told_from_its_own_code_and_facts(
    history: list[object], command: products.ProductCommand, said: str
) -> None:
    with pytest.raises(products.InvalidProduct) as refused:
        when(products.products, history, command)
    assert refused.value.code != products.InvalidProduct.code  # each case keys its own text
    assert texts.refusal("en", refused.value) == said


def test_every_shop_refusal_has_a_catalogue_text() -> None:
    def family(cls: type[DomainError]) -> list[type[DomainError]]:
        return [cls, *(sub for child in cls.__subclasses__() for sub in family(child))]

    shop_modules = {products.__name__, lots.__name__, orders.__name__, checkout.__name__}
    refusals = [c for c in family(DomainError) if c.__module__ in shop_modules]
    assert len(refusals) >= 15
    assert [c.code for c in refusals if not texts.has(f"refusal.{c.code}")] == []
