"""The typed views read exactly what their projection stored: each test folds events with the
projection into the memory read models, then reads them back through the view."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from events import Event, Money
from events.payments import (
    PaymentHeldForReview,
    PaymentRequested,
    PaymentStarted,
    PaymentSucceeded,
)
from events.shop import (
    LotReserved,
    LotSold,
    LotStocked,
    OrderDelivered,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    ProductDetails,
    ProductDiscountSet,
    ProductListed,
    ProductVisibilitySet,
    StockItem,
)
from events.wallet import WalletCredited, WalletDebited, WalletOpened
from functions.projections.balances import balance_of, balances
from functions.projections.base import Projection
from functions.projections.payments import (
    awaiting_admin,
    payments_of,
    payments_view,
    pending_since,
    pending_until,
)
from functions.projections.shop import (
    Hold,
    StockSummary,
    all_products,
    lots_of,
    lots_with_holds_due,
    orders_of,
    orders_view,
    product_of,
    products_view,
    products_where,
    stock_of,
    stock_view,
    visible_products,
)
from functions.runtime.memory import MemoryEventStore, MemoryReadModels
from tests.builders import envelope

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


class Feed:
    """Events folded by their projection into the memory read models, as a subscriber would."""

    def __init__(self) -> None:
        self.read_models = MemoryReadModels(MemoryEventStore())
        self._versions: Counter[str] = Counter()

    def events(
        self, projection: Projection, stream: str, *events: Event, at: datetime = T0
    ) -> None:
        for event in events:
            self._versions[stream] += 1
            delivered = envelope(stream, self._versions[stream], event)
            self.read_models.apply(projection, delivered.model_copy(update={"occurred_at": at}))

    def written_before(self, collection: str, doc_id: str, *fields: str) -> None:
        """Make the stored document one written before these fields existed."""
        stored = self.read_models._docs[collection][doc_id]  # type: ignore[attr-defined]
        for field in fields:
            del stored[field]


# -- balances -------------------------------------------------------------------------------


def test_a_balance_shows_every_currency_and_what_the_wallet_holds() -> None:
    feed = Feed()
    xtr = Money(amount=50, currency="XTR")
    feed.events(
        balances,
        "wallet-7",
        WalletOpened(user_id=7),
        WalletCredited(user_id=7, amount=kes(150_00), reason="deposit", reference="payment:a"),
        WalletCredited(user_id=7, amount=xtr, reason="deposit", reference="payment:b"),
        WalletDebited(user_id=7, amount=xtr, reason="order", reference="order:c"),
    )
    view = balance_of(feed.read_models, 7)
    assert view.user_id == 7
    assert view.amounts == (kes(150_00), Money(amount=0, currency="XTR"))
    assert view.nonzero() == (kes(150_00),)


def test_a_wallet_not_open_yet_reads_as_no_money() -> None:
    view = balance_of(Feed().read_models, 404)
    assert (view.user_id, view.amounts, view.nonzero()) == (404, (), ())


# -- payments -------------------------------------------------------------------------------


def requested(payment_id: str, user_id: int = 7, rail: str = "mpesa") -> PaymentRequested:
    return PaymentRequested(
        payment_id=payment_id,
        user_id=user_id,
        purpose="wallet_deposit",
        amount=kes(500_00),
        rail=rail,
    )


def test_a_users_payments_are_typed_and_newest_first() -> None:
    feed = Feed()
    started = PaymentStarted(provider_ref="ws_CO_1", expires_at=T0 + 2 * HOUR)
    feed.events(payments_view, "payment-old", requested("old"), started, at=T0)
    feed.events(payments_view, "payment-new", requested("new"), at=T0 + HOUR)
    feed.events(payments_view, "payment-theirs", requested("theirs", user_id=8), at=T0)
    new, old = payments_of(feed.read_models, 7)
    assert new.payment_id == "new"
    assert (old.amount, old.state, old.rail, old.purpose) == (
        kes(500_00),
        "pending",
        "mpesa",
        "wallet_deposit",
    )
    assert (old.requested_at, old.provider_ref, old.expires_at) == (T0, "ws_CO_1", T0 + 2 * HOUR)
    assert payments_of(feed.read_models, 404) == []


def test_the_payment_jobs_find_pending_payments_by_age_and_by_deadline() -> None:
    feed = Feed()
    started = PaymentStarted(provider_ref="ws_CO_1", expires_at=T0 + 2 * HOUR)
    feed.events(payments_view, "payment-open", requested("open"), started, at=T0)
    feed.events(payments_view, "payment-asked", requested("asked"), at=T0)  # not pending yet
    assert [p.payment_id for p in pending_since(feed.read_models, T0, 10)] == ["open"]
    assert pending_until(feed.read_models, T0 + HOUR, 10) == []
    assert [p.payment_id for p in pending_until(feed.read_models, T0 + 2 * HOUR, 10)] == ["open"]


def held(feed: Feed, payment_id: str, at: datetime) -> None:
    held = PaymentHeldForReview(
        reason="partially_paid", paid=kes(300_00), provider_ref="ws_CO_1", transfer_ref="QK7"
    )
    feed.events(payments_view, f"payment-{payment_id}", requested(payment_id), held, at=at)


def test_admins_see_held_payments_and_transfers_to_check_oldest_first() -> None:
    feed = Feed()
    held(feed, "later", T0 + HOUR)
    feed.events(payments_view, "payment-bank", requested("bank", rail="manual"), at=T0)
    paid = PaymentSucceeded(
        payment_id="done", user_id=7, purpose="wallet_deposit", paid=kes(1), source="callback"
    )
    feed.events(payments_view, "payment-done", requested("done"), paid, at=T0)
    bank, later = awaiting_admin(feed.read_models, 10)
    assert (bank.payment_id, bank.state, bank.hold_reason) == ("bank", "requested", None)
    assert (later.hold_reason, later.arrived, later.held_ref) == (
        "partially_paid",
        kes(300_00),
        "QK7",
    )
    assert later.transfer_ref == "QK7"


def test_a_held_payment_stored_before_arrivals_were_recorded_reads_as_unknown() -> None:
    feed = Feed()
    held(feed, "old", T0)
    feed.written_before("payments", "old", "arrived", "held_ref", "requested_at")
    (old,) = awaiting_admin(feed.read_models, 10)
    assert (old.state, old.arrived, old.held_ref, old.requested_at) == ("held", None, None, None)


# -- products -------------------------------------------------------------------------------


def listed(
    product_id: str, name: str, category: str = "Games", reseller_price: Money | None = None
) -> Event:
    details = ProductDetails(
        name=name,
        category=category,
        price=kes(100_00),
        reseller_price=reseller_price,
        location="Nairobi" if reseller_price else "",
    )
    return ProductListed(product_id=product_id, kind="counted", details=details, admin_id=1)


def catalog() -> Feed:
    feed = Feed()
    zebra = listed("p1", "Zebra", reseller_price=kes(80_00))
    feed.events(products_view, "product-p1", zebra, ProductDiscountSet(percent=20, admin_id=1))
    feed.events(products_view, "product-p2", listed("p2", "Apple", category="Books"))
    feed.events(
        products_view,
        "product-p3",
        listed("p3", "Mango"),
        ProductVisibilitySet(hidden=True, admin_id=1),
    )
    return feed


def test_customers_browse_only_visible_products_with_their_prices() -> None:
    feed = catalog()
    shown = {p.product_id: p for p in visible_products(feed.read_models)}
    assert set(shown) == {"p1", "p2"}
    zebra = shown["p1"]
    assert (zebra.name, zebra.category, zebra.location, zebra.discount) == (
        "Zebra",
        "Games",
        "Nairobi",
        20,
    )
    assert (zebra.base_price(reseller=True), zebra.base_price(reseller=False)) == (
        kes(80_00),
        kes(100_00),
    )
    assert shown["p2"].base_price(reseller=True) == kes(100_00)  # no reseller price: the price


def test_admins_find_products_hidden_or_not() -> None:
    feed = catalog()
    hidden = product_of(feed.read_models, "p3")
    assert hidden is not None
    assert hidden.hidden
    assert product_of(feed.read_models, "nope") is None
    assert [p.name for p in all_products(feed.read_models)] == ["Apple", "Mango", "Zebra"]
    games = products_where(feed.read_models, "category", "Games")
    assert sorted(p.product_id for p in games) == ["p1", "p3"]
    with pytest.raises(ValueError, match="category or location"):
        products_where(feed.read_models, "name", "Zebra")


def test_a_product_stored_before_its_optional_details_existed_reads_with_defaults() -> None:
    feed = catalog()
    feed.written_before("products", "p1", "location", "reseller_price", "photo", "discount", "lots")
    old = product_of(feed.read_models, "p1")
    assert old is not None
    assert (old.location, old.reseller_price, old.photo, old.discount, old.lots) == (
        "",
        None,
        None,
        0,
        0,
    )
    assert old.base_price(reseller=True) == kes(100_00)


# -- stock ----------------------------------------------------------------------------------


def reserved(order_id: str, quantity: int, until: datetime) -> LotReserved:
    return LotReserved(
        order_id=order_id,
        user_id=7,
        product_id="p1",
        product_name="Zebra",
        lot=1,
        quantity=quantity,
        unit_price=kes(100_00),
        total=kes(quantity * 100_00),
        until=until,
    )


def stocked() -> Feed:
    feed = Feed()
    feed.events(
        stock_view,
        "lot-p1-1",
        LotStocked(product_id="p1", lot=1, quantity=5),
        reserved("o1", 2, T0 + HOUR),
        reserved("o2", 1, T0 + 2 * HOUR),
    )
    feed.events(
        stock_view,
        "lot-p1-2",
        LotStocked(product_id="p1", lot=2, quantity=3),
        LotSold(order_id="o3", quantity=1),
    )
    feed.events(stock_view, "lot-p2-1", LotStocked(product_id="p2", lot=1, quantity=9))
    return feed


def test_a_products_stock_sums_its_lots() -> None:
    feed = stocked()
    assert stock_of(feed.read_models, "p1") == StockSummary(available=4, sold=1)
    one, two = sorted(lots_of(feed.read_models, "p1"), key=lambda lot: lot.lot)
    assert (one.available, one.reserved, one.sold) == (2, 3, 0)
    assert one.holds == (
        Hold(order_id="o1", quantity=2, until=T0 + HOUR),
        Hold(order_id="o2", quantity=1, until=T0 + 2 * HOUR),
    )
    assert (two.available, two.sold, two.holds) == (2, 1, ())
    assert stock_of(feed.read_models, "never-stocked") == StockSummary(available=0, sold=0)


def test_the_reservations_job_finds_lots_whose_earliest_hold_is_due() -> None:
    feed = stocked()
    assert lots_with_holds_due(feed.read_models, T0, 10) == []
    (due,) = lots_with_holds_due(feed.read_models, T0 + HOUR, 10)
    assert (due.product_id, due.lot, [h.order_id for h in due.holds]) == ("p1", 1, ["o1", "o2"])


def test_a_lot_stored_without_holds_has_none() -> None:
    feed = stocked()
    feed.written_before("stock", "p1-1", "holds")
    (one,) = [lot for lot in lots_of(feed.read_models, "p1") if lot.lot == 1]
    assert (one.reserved, one.holds) == (3, ())


# -- orders ---------------------------------------------------------------------------------


def placed(order_id: str) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        user_id=7,
        product_id="p1",
        product_name="Zebra",
        lot=1,
        quantity=2,
        total=kes(200_00),
        hold_until=T0 + HOUR,
    )


def test_a_buyers_orders_are_typed_and_newest_first_with_what_was_delivered() -> None:
    feed = Feed()
    item = StockItem(item_id="k1", payload="CODE-123")
    line = OrderLine(order_id="o1", product_id="p1", lot=1, quantity=2)
    feed.events(orders_view, "order-o1", placed("o1"), at=T0)
    feed.events(
        orders_view,
        "order-o1",
        OrderPaid(line=line, paid=kes(200_00), via="wallet", reference="order:o1"),
        OrderDelivered(user_id=7, via="wallet", items=[item]),
        at=T0 + HOUR,
    )
    feed.events(orders_view, "order-o2", placed("o2"), at=T0 + 2 * HOUR)
    new, old = orders_of(feed.read_models, 7)
    assert (new.order_id, new.state, new.items, new.paid_via) == ("o2", "placed", (), None)
    assert (old.state, old.paid_via, old.items, old.total) == (
        "delivered",
        "wallet",
        (item,),
        kes(200_00),
    )
    assert (old.placed_at, old.updated_at, old.hold_until) == (T0, T0 + HOUR, T0 + HOUR)
    assert orders_of(feed.read_models, 404) == []


def test_an_order_stored_before_items_and_times_were_recorded_lists_last_without_items() -> None:
    feed = Feed()
    feed.events(orders_view, "order-old", placed("old"), at=T0 + HOUR)
    feed.events(orders_view, "order-new", placed("new"), at=T0)
    feed.written_before("orders", "old", "items", "placed_at", "hold_until")
    new, old = orders_of(feed.read_models, 7)
    assert (new.order_id, old.order_id) == ("new", "old")
    assert (old.items, old.placed_at, old.hold_until) == ((), None, None)
