"""Unit tests for events.money: table, arithmetic, rounding rules, formatting, parsing."""

from __future__ import annotations

import operator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from events.money import (
    CURRENCIES,
    Currency,
    CurrencyMismatch,
    InvalidAmount,
    Money,
    MoneyError,
    UnknownCurrency,
    currency,
    format_money,
    parse_money,
)

pytestmark = pytest.mark.unit

CODES = sorted(CURRENCIES)
codes = st.sampled_from(CODES)
# Large enough to cover thousands groups, small enough for the 30-character input limit.
amounts = st.integers(min_value=-(10**15), max_value=10**15)
positive = st.integers(min_value=1, max_value=10**15)


def usd(minor: int) -> Money:
    return Money.of_minor(minor, "USD")


# --- currency table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("KES", 2),
        ("IDR", 2),
        ("PLN", 2),
        ("USD", 2),
        ("EUR", 2),
        ("NGN", 2),
        ("UGX", 0),
        ("XTR", 0),
        ("BTC", 8),
        ("LTC", 8),
    ],
)
def test_currency_table_exponents(code: str, exponent: int) -> None:
    cur = currency(code)
    assert isinstance(cur, Currency)
    assert (cur.code, cur.exponent) == (code, exponent)
    assert cur.symbol
    assert cur.name


@pytest.mark.parametrize("code", ["XXX", "kes", "", " KES", "US"])
def test_unknown_currency(code: str) -> None:
    with pytest.raises(UnknownCurrency):
        currency(code)


def test_error_family() -> None:
    for exc in (UnknownCurrency, CurrencyMismatch, InvalidAmount):
        assert issubclass(exc, MoneyError)
    assert issubclass(MoneyError, ValueError)


def test_currency_is_frozen() -> None:
    with pytest.raises(AttributeError):
        currency("KES").exponent = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        CURRENCIES["ABC"] = currency("KES")  # type: ignore[index]


# --- model, strictness, JSON --------------------------------------------------------


@pytest.mark.parametrize("bad", [1.5, 1.0, True, False, "1500", None, float("nan")])
def test_amount_rejects_non_int(bad: object) -> None:
    with pytest.raises(ValidationError):
        Money(amount=bad, currency="USD")  # type: ignore[arg-type]


@given(st.floats())
def test_no_float_amount_ever(value: float) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate({"amount": value, "currency": "USD"})


@pytest.mark.parametrize("code", ["XXX", "usd", "", 840])
def test_currency_field_is_validated(code: object) -> None:
    with pytest.raises(ValidationError):
        Money(amount=1, currency=code)  # type: ignore[arg-type]


def test_extra_fields_rejected() -> None:
    with pytest.raises(ValidationError):
        Money.model_validate({"amount": 1, "currency": "USD", "note": "x"})


def test_frozen_and_hashable() -> None:
    m = Money.of_minor(1500, "KES")
    with pytest.raises(ValidationError):
        m.amount = 1  # type: ignore[misc]
    assert {m, Money(amount=1500, currency="KES")} == {m}


def test_json_round_trip_example() -> None:
    m = Money.of_minor(1500, "KES")
    assert m.model_dump() == {"amount": 1500, "currency": "KES"}
    assert Money.model_validate({"amount": 1500, "currency": "KES"}) == m
    assert Money.model_validate_json(m.model_dump_json()) == m


@given(amounts, codes)
def test_json_round_trip_property(amount: int, code: str) -> None:
    m = Money.of_minor(amount, code)
    assert Money.model_validate(m.model_dump()) == m
    assert Money.model_validate_json(m.model_dump_json()) == m


# --- arithmetic ---------------------------------------------------------------------


def test_add_sub_neg_mul() -> None:
    assert usd(150) + usd(50) == usd(200)
    assert usd(150) - usd(200) == usd(-50)
    assert -usd(5) == usd(-5)
    assert usd(250) * 3 == usd(750)
    assert 3 * usd(250) == usd(750)
    assert usd(250) * -1 == usd(-250)


@pytest.mark.parametrize("qty", [1.5, 2.0, True])
def test_mul_rejects_non_int(qty: object) -> None:
    with pytest.raises(TypeError):
        usd(100) * qty  # type: ignore[operator]


def test_currency_mismatch() -> None:
    kes = Money.of_minor(1, "KES")
    with pytest.raises(CurrencyMismatch):
        usd(1) + kes
    with pytest.raises(CurrencyMismatch):
        usd(1) - kes
    for compare in (operator.lt, operator.le, operator.gt, operator.ge):
        with pytest.raises(CurrencyMismatch):
            compare(usd(1), kes)
    assert usd(1) != kes  # equality is fine: different currencies are just unequal


def test_comparisons_and_predicates() -> None:
    assert usd(1) < usd(2) <= usd(2) < usd(3)
    assert usd(3) > usd(2) >= usd(2)
    assert max(usd(5), usd(9), usd(1)) == usd(9)
    assert Money.zero("XTR").is_zero()
    assert Money.zero("XTR") == Money.of_minor(0, "XTR")
    assert not usd(0).is_positive()
    assert usd(1).is_positive()
    assert not usd(-1).is_positive()
    assert not usd(-1).is_zero()


# --- rounding rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "percent", "expected"),
    [
        (9999, 20, 8000),  # discount floor(1999.8) = 1999 -> 80.00
        (100, 33, 67),  # discount floor(33.0) = 33
        (9999, 0, 9999),
        (9999, 90, 1000),  # discount floor(8999.1) = 8999
        (9999, 100, 0),
        (1, 50, 1),  # half a cent of discount is not given away
        (0, 50, 0),
    ],
)
def test_percent_off(price: int, percent: int, expected: int) -> None:
    assert usd(price).percent_off(percent) == usd(expected)


@pytest.mark.parametrize("percent", [-1, 101, 1000])
def test_percent_off_range(percent: int) -> None:
    with pytest.raises(MoneyError):
        usd(100).percent_off(percent)


@pytest.mark.parametrize("percent", [12.5, True])
def test_percent_off_rejects_non_int(percent: object) -> None:
    with pytest.raises(TypeError):
        usd(100).percent_off(percent)  # type: ignore[arg-type]


def test_percent_off_negative_delta_mirrors() -> None:
    assert usd(-9999).percent_off(20) == -usd(9999).percent_off(20)


@given(st.integers(min_value=0, max_value=10**15), st.integers(0, 100), codes)
def test_percent_off_never_raises_price_nor_goes_negative(
    amount: int, percent: int, code: str
) -> None:
    price = Money.of_minor(amount, code)
    discounted = price.percent_off(percent)
    assert Money.zero(code) <= discounted <= price
    assert discounted.amount == amount - (amount * percent) // 100


@pytest.mark.parametrize(
    ("amount", "bp", "expected"),
    [(10_000, 250, 250), (999, 250, 24), (999, 0, 0), (999, 10_000, 999), (1, 9_999, 0)],
)
def test_percent_of(amount: int, bp: int, expected: int) -> None:
    assert usd(amount).percent_of(bp) == usd(expected)


@pytest.mark.parametrize("bp", [-1, 10_001])
def test_percent_of_range(bp: int) -> None:
    with pytest.raises(MoneyError):
        usd(100).percent_of(bp)


@given(st.integers(min_value=0, max_value=10**15), st.integers(0, 10_000))
def test_percent_of_is_bounded(amount: int, bp: int) -> None:
    share = usd(amount).percent_of(bp)
    assert usd(0) <= share <= usd(amount)
    assert share.amount * 10_000 <= amount * bp < (share.amount + 1) * 10_000


def test_split_examples() -> None:
    assert usd(100).split(3) == [usd(34), usd(33), usd(33)]
    assert usd(5).split(1) == [usd(5)]
    assert usd(2).split(4) == [usd(1), usd(1), usd(0), usd(0)]
    assert usd(-100).split(3) == [usd(-34), usd(-33), usd(-33)]
    with pytest.raises(MoneyError):
        usd(5).split(0)
    with pytest.raises(TypeError):
        usd(5).split(2.0)  # type: ignore[arg-type]


@given(amounts, st.integers(min_value=1, max_value=60), codes)
def test_split_is_exact_and_fair(amount: int, parts: int, code: str) -> None:
    shares = Money.of_minor(amount, code).split(parts)
    assert len(shares) == parts
    assert sum(s.amount for s in shares) == amount
    assert {s.currency for s in shares} == {code}
    sizes = [abs(s.amount) for s in shares]
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)  # the remainder goes to the first parts


# --- formatting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "code", "text"),
    [
        (150_000, "KES", "KES 1,500.00"),
        (5, "KES", "KES 0.05"),
        (-500, "KES", "-KES 5.00"),
        (1_500_000, "IDR", "IDR 15,000"),  # zero decimals dropped for IDR
        (1_500_050, "IDR", "IDR 15,000.50"),  # ... but shown when non-zero
        (123_456_789, "PLN", "PLN 1,234,567.89"),
        (0, "USD", "USD 0.00"),
        (5000, "UGX", "UGX 5,000"),
        (250, "XTR", "XTR 250"),
        (-250, "XTR", "-XTR 250"),
        (1, "BTC", "BTC 0.00000001"),
        (123_456_789_012, "LTC", "LTC 1,234.56789012"),
    ],
)
def test_format_money(amount: int, code: str, text: str) -> None:
    assert format_money(Money.of_minor(amount, code)) == text
    assert format_money(Money.of_minor(amount, code), locale_hint="sw_KE") == text


# --- parsing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "amount"),
    [
        ("1500", "KES", 150_000),
        ("1,500", "KES", 150_000),
        ("1500.50", "KES", 150_050),
        ("1,500.50", "KES", 150_050),
        (" 1 500 ", "KES", 150_000),
        ("1\u00a0500\u00a0000", "KES", 150_000_000),
        ("1.5", "KES", 150),
        ("0.05", "USD", 5),
        ("KES 1,500.00", "KES", 150_000),
        ("kes1500", "KES", 150_000),
        ("Ksh 1,500", "KES", 150_000),
        ("1500 KES", "KES", 150_000),
        ("$5", "USD", 500),
        ("100 zł", "PLN", 10_000),
        ("250 ⭐", "XTR", 250),
        ("⭐\ufe0f 250", "XTR", 250),
        ("15,000", "IDR", 1_500_000),
        ("BTC 0.00000001", "BTC", 1),
        ("1,000,000", "UGX", 1_000_000),
    ],
)
def test_parse_money_accepts(text: str, code: str, amount: int) -> None:
    assert parse_money(text, code) == Money.of_minor(amount, code)


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("", "KES", "Send an amount, for example 1500 or 1,500.50"),
        ("   ", "KES", "Send an amount, for example 1500 or 1,500.50"),
        ("abc", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("15OO", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("1e5", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("NaN", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("inf", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("-inf", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("1500.", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("1.2.3", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("+5", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("\u0661\u0665\u0660\u0660", "KES", "Amount must be a number like 1500 or 1,500.50"),
        ("1500.505", "KES", "Use at most 2 decimal places for KES"),
        ("15.000", "IDR", "Use at most 2 decimal places for IDR"),
        ("0.000000001", "BTC", "Use at most 8 decimal places for BTC"),
        ("250.5", "XTR", "Use whole numbers for XTR, without decimals"),
        ("1,50,0", "KES", "Put thousands separators every 3 digits, like 1,500"),
        ("15,00", "KES", "Put thousands separators every 3 digits, like 1,500"),
        ("1,500 000", "KES", "Put thousands separators every 3 digits, like 1,500"),
        ("1\u00a0500,5", "KES", "Put thousands separators every 3 digits, like 1,500"),
        ("1\u202f500\u00a0000", "KES", "Put thousands separators every 3 digits, like 1,500"),
        ("1500,", "KES", "Put thousands separators every 3 digits, like 1,500"),
        ("0,500", "KES", "Put thousands separators every 3 digits, like 1,500"),
        ("-5", "KES", "Amount must be positive"),
        ("\u22125", "KES", "Amount must be positive"),
        ("-KES 5.00", "KES", "Amount must be positive"),
        ("KES -5", "KES", "Amount must be positive"),
        ("0", "KES", "Amount must be positive"),
        ("0.00", "KES", "Amount must be positive"),
        ("1" * 31, "KES", "Amount is too long; send a number like 1500"),
        ("USD 5", "KES", "Amount must be in KES, not USD"),
        ("5 €", "KES", "Amount must be in KES, not EUR"),
    ],
)
def test_parse_money_rejects(text: str, code: str, message: str) -> None:
    with pytest.raises(InvalidAmount) as info:
        parse_money(text, code)
    assert str(info.value) == message


def test_parse_money_unknown_currency() -> None:
    with pytest.raises(UnknownCurrency):
        parse_money("5", "XXX")


@given(positive, codes)
def test_parse_inverts_format(amount: int, code: str) -> None:
    m = Money.of_minor(amount, code)
    if len(format_money(m)) <= 30:  # absurd amounts can format past the input limit
        assert parse_money(format_money(m), code) == m


# Random text plus near-misses built from the characters the parser cares about.
user_text = st.text(max_size=40) | st.text(alphabet="0123456789,. -\u00a0KESUD$⭐e", max_size=34)


@given(user_text, codes)
def test_parse_only_raises_invalid_amount(text: str, code: str) -> None:
    try:
        m = parse_money(text, code)
    except InvalidAmount:
        return
    assert m.is_positive()
    assert m.currency == code
    if len(format_money(m)) <= 30:  # absurd amounts can format past the input limit
        assert parse_money(format_money(m), code) == m
