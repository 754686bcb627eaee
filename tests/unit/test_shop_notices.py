"""The shop's notification rules: what a buyer is told out of band, in their language."""

from __future__ import annotations

import pytest

from events import Money
from events.shop import OrderDelivered, StockItem
from events.wallet import WalletCredited
from functions import texts
from functions.domain import references
from functions.notifications.notice import Facts, Notice
from functions.notifications.shop_rules import order_delivered, order_money_returned

pytestmark = pytest.mark.unit
BUYER = 7
KES_1500 = Money(amount=150_000, currency="KES")


def refund(
    amount: Money = KES_1500, reason: str = references.ORDER_REFUND_REASON
) -> WalletCredited:
    return WalletCredited(user_id=BUYER, amount=amount, reason=reason, reference="order-refund:o1")


def test_an_order_paid_on_a_rail_delivers_its_items_escaped_one_per_line() -> None:
    items = [StockItem(item_id="1.1", payload="KEY<1>"), StockItem(item_id="1.2", payload="K&2")]
    (notice,) = order_delivered(OrderDelivered(user_id=BUYER, via="payment", items=items), Facts())
    assert notice == Notice(
        BUYER, "Payment received. Your purchase:\n<code>KEY&lt;1&gt;</code>\n<code>K&amp;2</code>"
    )


def test_a_wallet_paid_order_is_answered_in_the_tap_and_not_notified() -> None:
    assert order_delivered(OrderDelivered(user_id=BUYER, via="wallet"), Facts()) == []


def test_money_an_order_could_not_take_is_announced_for_humans() -> None:
    (notice,) = order_money_returned(refund(), Facts())
    assert notice.text.startswith("KES 1,500.00 is back in your wallet")
    assert "150000" not in notice.text
    assert order_money_returned(refund(reason="deposit"), Facts()) == []


def test_a_notice_is_said_in_its_recipients_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        texts.LANGUAGES,  # type: ignore[index]
        "xx",
        {"shop.notice.delivered": "xx: ok", "shop.notice.money_returned": "xx: {amount}"},
    )
    facts = Facts(languages={BUYER: "xx"})

    (delivered,) = order_delivered(OrderDelivered(user_id=BUYER, via="payment"), facts)
    (returned,) = order_money_returned(refund(), facts)

    assert (delivered.text, returned.text) == ("xx: ok", "xx: KES 1,500.00")
