"""Each rail's amount limits, checked before any provider is asked."""

from __future__ import annotations

import pytest

from events.money import parse_money
from functions.telegram.deposits import options

pytestmark = pytest.mark.unit
BY_NAME = {o.name: o for o in options()}


@pytest.mark.parametrize(
    ("option", "amount", "refusal"),
    [
        ("mpesa", "1", None),
        ("mpesa", "250,000", None),
        ("mpesa", "250,001", "M-Pesa takes KES 1 to 250,000."),
        ("mpesa", "0.50", "M-Pesa takes whole KES amounts, without cents."),
        ("mpesa", "10.50", "M-Pesa takes whole KES amounts, without cents."),
        ("pakasir", "500", None),
        ("pakasir", "499", "QRIS takes at least IDR 500."),
        ("nowpayments", "0.01", None),
    ],
)
def test_rail_limits(option: str, amount: str, refusal: str | None) -> None:
    chosen = BY_NAME[option]
    assert chosen.refusal(parse_money(amount, chosen.currencies[0])) == refusal
