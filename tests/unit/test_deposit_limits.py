"""Each rail's amount limits, checked before any provider is asked, told in the payer's words."""

from __future__ import annotations

import pytest

from events.money import parse_money
from functions import texts
from functions.telegram.deposits import options

pytestmark = pytest.mark.unit
BY_NAME = {o.name: o for o in options()}


@pytest.mark.parametrize(
    ("option", "amount", "code", "said"),
    [
        ("mpesa", "1", None, None),
        ("mpesa", "250,000", None, None),
        ("mpesa", "250,001", "rail_range", "M-Pesa takes KES 1 to 250,000."),
        ("mpesa", "0.50", "rail_whole_units", "M-Pesa takes whole KES amounts, without cents."),
        ("mpesa", "10.50", "rail_whole_units", "M-Pesa takes whole KES amounts, without cents."),
        ("pakasir", "500", None, None),
        ("pakasir", "499", "rail_minimum", "QRIS takes at least IDR 500."),
        ("nowpayments", "0.01", None, None),
    ],
)
def test_rail_limits(option: str, amount: str, code: str | None, said: str | None) -> None:
    chosen = BY_NAME[option]
    refused = chosen.refusal(parse_money(amount, chosen.currencies[0]))
    assert (refused.code if refused else None) == code
    if refused is not None:
        assert texts.refusal("en", refused) == said
        assert str(refused) == said  # the English fallback the logs show says the same
