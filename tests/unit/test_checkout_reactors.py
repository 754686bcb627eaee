"""The checkout saga's rules: each event -> the next step's command, on the right stream."""

from __future__ import annotations

import pytest

from events import Money
from events.payments import PaymentSucceeded
from events.shop import LotSaleRefused, OrderOverpaid, OrderRefunded, ProductStockAdded
from events.wallet import WalletDebited
from functions.domain import lots, orders, wallet
from functions.reactors.checkout import on_order, on_payment, on_product, on_wallet
from tests.builders import envelope

pytestmark = pytest.mark.unit
PLN_80 = Money(amount=8_000, currency="PLN")


def test_a_wallet_debit_for_an_order_pays_that_order_and_other_debits_do_nothing() -> None:
    debit = WalletDebited(user_id=7, amount=PLN_80, reason="order", reference="order:o1")
    (reaction,) = on_wallet(envelope("wallet-7", 3, debit))
    assert reaction.stream == "order-o1"
    assert reaction.command == orders.Pay(PLN_80, "wallet", "order:o1")
    refund = debit.model_copy(update={"reason": "refund", "reference": "refund:payment:p"})
    assert on_wallet(envelope("wallet-7", 4, refund)) == []


def test_a_succeeded_order_payment_pays_its_subject_and_a_deposit_does_not() -> None:
    paid = PaymentSucceeded(
        payment_id="p9", user_id=7, purpose="order", paid=PLN_80, source="callback", subject="o1"
    )
    (reaction,) = on_payment(envelope("payment-p9", 4, paid))
    assert reaction.stream == "order-o1"
    assert reaction.command == orders.Pay(PLN_80, "payment", "payment:p9")
    deposit = paid.model_copy(update={"purpose": "wallet_deposit", "subject": None})
    assert on_payment(envelope("payment-p9", 4, deposit)) == []


def test_money_an_order_cannot_keep_goes_back_to_the_wallet_under_a_unique_reference() -> None:
    refunded = OrderRefunded(user_id=7, amount=PLN_80, reason="sold out")
    (back,) = on_order(envelope("order-o1", 4, refunded))
    assert back.stream == "wallet-7"
    assert back.command == wallet.Credit(7, PLN_80, "order_refund", "refund:order:o1")
    over = OrderOverpaid(user_id=7, paid=PLN_80, via="payment", reference="payment:p9")
    (returned,) = on_order(envelope("order-o1", 5, over))
    assert returned.command == wallet.Credit(7, PLN_80, "order_refund", "returned:payment:p9")


def test_new_stock_stocks_its_lot_stream_and_a_refused_sale_refunds_the_order() -> None:
    added = ProductStockAdded(lot=3, quantity=4, admin_id=99)
    (stock,) = on_product(envelope("product-p1", 2, added))
    assert stock.stream == "lot-p1-3"
    assert stock.command == lots.Stock("p1", 3, 4, ())
    from functions.reactors.checkout import on_lot

    (refund,) = on_lot(envelope("lot-p1-3", 9, LotSaleRefused(order_id="o1", reason="gone")))
    assert (refund.stream, refund.command) == ("order-o1", orders.Refund("gone"))
