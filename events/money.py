"""Money as integer minor units: currency table, arithmetic, formatting and parsing.

Pure core: no I/O and never a float. Amounts are ints in the currency's minor unit
(cents, satoshi, ...); every rounding rule below is integer arithmetic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import total_ordering
from types import MappingProxyType
from typing import Final

from pydantic import BaseModel, ConfigDict, field_validator


class MoneyError(ValueError):
    """Base class for money errors."""


class UnknownCurrency(MoneyError):
    """The currency code is not in the table."""


class CurrencyMismatch(MoneyError):
    """Two amounts in different currencies were combined."""


class InvalidAmount(MoneyError):
    """User input is not a valid amount; the message is safe to show to the user."""


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency: ISO code, minor-unit digits, display symbol and name."""

    code: str
    exponent: int
    symbol: str
    name: str
    drop_zero_decimals: bool = False


_TABLE: list[Currency] = [
    Currency("KES", 2, "KSh", "Kenyan shilling"),
    # ISO 4217 gives IDR 2 minor digits, but Indonesian prices are shown without
    # decimals: keep the ISO exponent and let formatting drop all-zero decimals.
    Currency("IDR", 2, "Rp", "Indonesian rupiah", drop_zero_decimals=True),
    Currency("PLN", 2, "zł", "Polish złoty"),
    Currency("USD", 2, "$", "US dollar"),
    Currency("EUR", 2, "€", "Euro"),
    Currency("NGN", 2, "₦", "Nigerian naira"),
    # Mobile-money countries (ISO 4217 exponents: UGX, RWF, XAF and XOF have no minor unit;
    # TZS, GHS, ZMW and MWK have two, though prices there are seldom given with cents).
    Currency("UGX", 0, "USh", "Ugandan shilling"),
    Currency("TZS", 2, "TSh", "Tanzanian shilling"),
    Currency("RWF", 0, "FRw", "Rwandan franc"),
    Currency("GHS", 2, "GH₵", "Ghanaian cedi"),
    Currency("ZMW", 2, "ZK", "Zambian kwacha"),
    Currency("MWK", 2, "MK", "Malawian kwacha"),
    Currency("XAF", 0, "FCFA", "Central African CFA franc"),
    Currency("XOF", 0, "CFA", "West African CFA franc"),
    Currency("XTR", 0, "⭐", "Telegram Stars"),
    Currency("BTC", 8, "₿", "Bitcoin"),  # minor unit: satoshi
    Currency("LTC", 8, "Ł", "Litecoin"),  # minor unit: litoshi
]
CURRENCIES: Final[Mapping[str, Currency]] = MappingProxyType({c.code: c for c in _TABLE})


def currency(code: str) -> Currency:
    """Return the currency for an upper-case ISO code, or raise UnknownCurrency."""
    try:
        return CURRENCIES[code]
    except (KeyError, TypeError):
        raise UnknownCurrency(f"Unknown currency {code!r}") from None


def _require_int(value: object, what: str, low: int | None = None, high: int | None = None) -> int:
    # bool is an int subclass and float would sneak rounding in: reject both.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise MoneyError(f"{what} out of range: {value}")
    return value


def _scale_down(amount: int, num: int, den: int) -> int:
    # Floor on the magnitude, so a negative delta mirrors its positive counterpart.
    scaled = abs(amount) * num // den
    return scaled if amount >= 0 else -scaled


@total_ordering
class Money(BaseModel):
    """An amount in integer minor units of one currency; immutable."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    amount: int
    currency: str

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, code: str) -> str:
        return currency(code).code

    @classmethod
    def zero(cls, code: str) -> Money:
        """Zero in the given currency."""
        return cls(amount=0, currency=code)

    @classmethod
    def of_minor(cls, amount: int, code: str) -> Money:
        """Build from an amount in minor units (cents, satoshi, ...)."""
        return cls(amount=amount, currency=code)

    def _same(self, other: Money) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"expected Money, got {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return self.of_minor(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return self.of_minor(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return self.of_minor(-self.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        return self.of_minor(self.amount * _require_int(quantity, "quantity"), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        # Ordering across currencies is meaningless: _same raises CurrencyMismatch.
        return self.amount < self._same(other).amount

    def is_zero(self) -> bool:
        """True when the amount is zero."""
        return self.amount == 0

    def is_positive(self) -> bool:
        """True when the amount is above zero."""
        return self.amount > 0

    def percent_off(self, percent: int) -> Money:
        """Price after `percent` (0..100) off: amount - floor(amount * percent / 100).

        The discount rounds down, so the shop never gives away a fraction of a minor
        unit: 20% off 99.99 is 99.99 - 19.99 = 80.00. Negative deltas mirror positive ones.
        """
        discount = _scale_down(self.amount, _require_int(percent, "percent", 0, 100), 100)
        return self.of_minor(self.amount - discount, self.currency)

    def percent_of(self, basis_points: int) -> Money:
        """Share of `basis_points` (0..10000) of this amount, rounded down (commissions)."""
        bp = _require_int(basis_points, "basis_points", 0, 10_000)
        return self.of_minor(_scale_down(self.amount, bp, 10_000), self.currency)

    def split(self, parts: int) -> list[Money]:
        """Split into `parts` amounts that sum exactly; earlier parts get the remainder."""
        count = _require_int(parts, "parts", 1)
        base, rest = divmod(abs(self.amount), count)
        sign = -1 if self.amount < 0 else 1
        return [self.of_minor(sign * (base + (i < rest)), self.currency) for i in range(count)]


def format_money(m: Money, locale_hint: str | None = None) -> str:
    """Human text such as 'KES 1,500.00', 'XTR 250' or '-USD 5.00'.

    Code first, ',' thousands, '.' decimals, exactly `exponent` decimals except IDR
    with zero minor units. `locale_hint` is reserved; output is locale-independent.
    """
    cur = currency(m.currency)
    whole, frac = divmod(abs(m.amount), 10**cur.exponent)
    text = f"{'-' if m.amount < 0 else ''}{cur.code} {whole:,}"
    if cur.exponent and not (cur.drop_zero_decimals and frac == 0):
        text += f".{frac:0{cur.exponent}d}"
    return text


MAX_INPUT_LENGTH: Final = 30
_MINUS: Final = ("-", "\u2212")  # ASCII hyphen-minus and the Unicode minus sign
_SEPS: Final = ", \u00a0\u202f"  # comma, space, no-break and narrow no-break space
_NUMBER: Final = re.compile(rf"(?P<int>[0-9][0-9{_SEPS}]*)(?:\.(?P<frac>[0-9]+))?", re.ASCII)
# One separator kind throughout, groups of exactly three digits: rejects "1,50,0".
_GROUPED: Final = re.compile(rf"[1-9][0-9]{{0,2}}(?P<s>[{_SEPS}])[0-9]{{3}}(?:(?P=s)[0-9]{{3}})*")
_NOT_A_NUMBER: Final = "Amount must be a number like 1500 or 1,500.50"


def _strip_token(body: str, cur: Currency) -> str | None:
    # Case-insensitive so "kes 1500" and "Ksh 1500" work; prefix or suffix ("100 zł").
    for token in (cur.code, cur.symbol):
        n = len(token)
        if body[:n].casefold() == token.casefold():
            return body[n:].strip()
        if body[-n:].casefold() == token.casefold():
            return body[:-n].strip()
    return None


def parse_money(text: str, code: str) -> Money:
    """Parse user input like '1,500.50' or 'KES 1500' into a positive Money in `code`."""
    cur = currency(code)
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidAmount("Amount is too long; send a number like 1500")
    body = text.replace("\ufe0f", "").strip()  # emoji variation selector after ⭐
    if not body:
        raise InvalidAmount("Send an amount, for example 1500 or 1,500.50")
    negative = body.startswith(_MINUS)
    body = body.lstrip("".join(_MINUS)).strip()
    stripped = _strip_token(body, cur)
    if stripped is None:
        for other in CURRENCIES.values():
            if _strip_token(body, other) is not None:
                raise InvalidAmount(f"Amount must be in {cur.code}, not {other.code}")
    else:
        negative = negative or stripped.startswith(_MINUS)
        body = stripped.lstrip("".join(_MINUS)).strip()
    match = _NUMBER.fullmatch(body)
    if match is None:
        raise InvalidAmount(_NOT_A_NUMBER)
    int_part, frac = match["int"], match["frac"] or ""
    if any(sep in int_part for sep in _SEPS) and not _GROUPED.fullmatch(int_part):
        raise InvalidAmount("Put thousands separators every 3 digits, like 1,500")
    if len(frac) > cur.exponent:
        if cur.exponent == 0:
            raise InvalidAmount(f"Use whole numbers for {cur.code}, without decimals")
        raise InvalidAmount(f"Use at most {cur.exponent} decimal places for {cur.code}")
    digits = "".join(ch for ch in int_part if ch.isdigit())
    amount = int(digits) * 10**cur.exponent + int(frac.ljust(cur.exponent, "0") or "0")
    if negative or amount == 0:
        raise InvalidAmount("Amount must be positive")
    return Money(amount=amount, currency=cur.code)
