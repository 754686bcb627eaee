"""Crypto amounts become shop money by integer arithmetic, rounded down at each step."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from events import Money
from events.coins import Rate
from functions.crypto.rates import minor_per_coin
from functions.domain.coinaddress import value_of

pytestmark = pytest.mark.unit
AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("price", "code", "minor"),
    [
        ("412345.678", "PLN", 41_234_567),  # a fraction of a grosz is dropped
        ("412345.67", "PLN", 41_234_567),
        ("0.009", "PLN", 0),  # worth less than a grosz per coin: no rate
        ("1e3", "PLN", 100_000),
        ("9512.5", "UGX", 9512),  # a currency without minor units
    ],
)
def test_a_quoted_price_is_floored_to_minor_units_per_coin(
    price: str, code: str, minor: int
) -> None:
    assert minor_per_coin(Decimal(price), code) == minor


@pytest.mark.parametrize(
    ("sats", "value"),
    [(100_000, 41_234), (1, 0), (12_345, 5_090), (100_000_000, 41_234_567), (2_425, 999)],
)
def test_an_output_is_worth_floor_of_sats_times_rate_over_10_to_the_8(
    sats: int, value: int
) -> None:
    rate = Rate(coin="BTC", currency="PLN", minor_per_coin=41_234_567, at=AT, source="t")
    assert value_of(Money(amount=sats, currency="BTC"), rate) == Money(amount=value, currency="PLN")


def test_a_rate_is_never_a_float() -> None:
    with pytest.raises(ValueError, match="int"):
        Rate(coin="BTC", currency="PLN", minor_per_coin=41234567.0, at=AT, source="t")  # type: ignore[arg-type]
