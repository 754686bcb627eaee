"""The typed views read what each adapter gives back: Firestore returns its own datetime
subclass and its own maps, memory what the projection wrote; both must parse the same."""

from __future__ import annotations

import pytest

from events import Envelope, Event
from events.payments import PaymentStarted
from events.shop import LotStocked, ProductDiscountSet
from events.wallet import WalletCredited
from functions.projections.balances import balance_of, balances
from functions.projections.base import Projection
from functions.projections.payments import payments_of, payments_view, pending_until
from functions.projections.shop import (
    Hold,
    StockSummary,
    lots_with_holds_due,
    orders_of,
    orders_view,
    product_of,
    products_view,
    stock_of,
    stock_view,
)
from tests.builders import envelope
from tests.contract.conftest import Adapters
from tests.unit.test_read_views import HOUR, T0, kes, listed, placed, requested, reserved

pytestmark = pytest.mark.contract


def fed(adapters: Adapters, projection: Projection, stream: str, *events: Event) -> None:
    """Stored, then applied in order, as the subscriber does after the pipeline appended."""
    stamped: list[Envelope] = [
        envelope(stream, n, e).model_copy(update={"occurred_at": T0 + n * HOUR})
        for n, e in enumerate(events, start=1)
    ]
    adapters.store.append(stream, 0, stamped)
    for delivered in stamped:
        adapters.read_models.apply(projection, delivered)


def test_every_view_parses_what_the_adapter_stored(adapters: Adapters) -> None:
    credit = WalletCredited(user_id=7, amount=kes(150_00), reason="deposit", reference="p:1")
    fed(adapters, balances, "wallet-7", credit)
    started = PaymentStarted(provider_ref="ws_CO_1", expires_at=T0 + 5 * HOUR)
    fed(adapters, payments_view, "payment-a", requested("a"), started)
    fed(
        adapters,
        products_view,
        "product-p1",
        listed("p1", "Zebra", reseller_price=kes(80_00)),
        ProductDiscountSet(percent=20, admin_id=1),
    )
    fed(
        adapters,
        stock_view,
        "lot-p1-1",
        LotStocked(product_id="p1", lot=1, quantity=5),
        reserved("o1", 2, T0 + 3 * HOUR),
    )
    fed(adapters, orders_view, "order-o1", placed("o1"))
    models = adapters.read_models

    assert balance_of(models, 7).nonzero() == (kes(150_00),)
    (payment,) = payments_of(models, 7)
    assert (payment.state, payment.requested_at, payment.expires_at) == (
        "pending",
        T0 + HOUR,
        T0 + 5 * HOUR,
    )
    assert [p.payment_id for p in pending_until(models, T0 + 5 * HOUR, 10)] == ["a"]
    product = product_of(models, "p1")
    assert product is not None
    assert (product.base_price(reseller=True), product.discount) == (kes(80_00), 20)
    assert stock_of(models, "p1") == StockSummary(available=3, sold=0)
    (lot,) = lots_with_holds_due(models, T0 + 3 * HOUR, 10)
    assert lot.holds == (Hold(order_id="o1", quantity=2, until=T0 + 3 * HOUR),)
    (order,) = orders_of(models, 7)
    assert (order.total, order.placed_at, order.hold_until) == (kes(200_00), T0 + HOUR, T0 + HOUR)
