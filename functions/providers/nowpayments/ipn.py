"""Reading a NOWPayments payment (IPN body or status reply) into a Report, without floats.

Amounts are read from their JSON text as exact decimals (the body is parsed with
`parse_float=Decimal`), never through a binary float.

What arrived, in the invoice's fiat currency: the whole price when `actually_paid` reaches
`pay_amount`; otherwise price * actually_paid / pay_amount, rounded down to the currency's
minor unit (the payer's coins are worth that share of the invoice; rounding never credits
more than arrived). Without a `pay_amount` the value is unknown (None): an admin then states
it. An overpayment is valued at the price: the invoice asked no more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal, InvalidOperation, localcontext
from typing import Any, Final

from events import Money
from events.money import MoneyError, currency
from functions.providers.base import Report, Status

STATUSES: Final[Mapping[str, Status]] = {
    "waiting": "pending",
    "confirming": "pending",
    "confirmed": "pending",
    "sending": "pending",
    "partially_paid": "partially_paid",
    "finished": "succeeded",
    "failed": "failed",
    "refunded": "refunded",
    "expired": "expired",
}
REQUIRED: Final = (
    "payment_id",
    "payment_status",
    "order_id",
    "price_amount",
    "price_currency",
    "actually_paid",
    "pay_currency",
)
_DECIMAL_TEXT: Final = re.compile(r"[0-9]{1,30}(?:\.[0-9]{1,30})?", re.ASCII)
_MAX_DIGITS: Final = 40
_MAX_ID: Final = 128


class Malformed(ValueError):
    """The payment document is not what NOWPayments sends; the message is a short reason."""


def decimal_text(minor: int, code: str) -> str:
    """Integer minor units as the provider's decimal string: 1050 USD -> "10.50"."""
    exponent = currency(code).exponent
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole}.{frac:0{exponent}d}" if exponent else f"{sign}{whole}"


def amount(value: object, field: str) -> Decimal:
    """A non-negative exact amount from a JSON number (int or Decimal) or decimal string."""
    if isinstance(value, bool) or value is None:
        raise Malformed(f"{field} must be a number")
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value.strip()):
            raise Malformed(f"{field} is not a decimal amount")
        value = value.strip()
    elif not isinstance(value, int | Decimal):
        raise Malformed(f"{field} must be a number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Malformed(f"{field} is not a decimal amount") from None
    if not number.is_finite() or number.is_signed():
        raise Malformed(f"{field} must not be negative")
    if len(number.as_tuple().digits) > _MAX_DIGITS or number.adjusted() > _MAX_DIGITS:
        raise Malformed(f"{field} is too large")
    return number


def to_minor(number: Decimal, code: str, field: str) -> int:
    """Exact minor units; more decimals than the currency has is Malformed, not rounded."""
    _, digit_tuple, exponent = number.as_tuple()  # not normalize(): that rounds to 28 digits
    assert isinstance(exponent, int)  # finite: checked by amount()
    text = "".join(map(str, digit_tuple))
    stripped = text.rstrip("0")
    if not stripped:
        return 0
    shift = exponent + len(text) - len(stripped) + currency(code).exponent
    if shift < 0:
        raise Malformed(f"{field} has more decimals than {code} allows")
    minor: int = int(stripped) * 10**shift
    return minor


def _identifier(value: object, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Malformed(f"{field} must be a string or an integer")
    text = str(value).strip()
    if not text or len(text) > _MAX_ID:
        raise Malformed(f"{field} is empty or too long")
    return text


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_ID:
        raise Malformed(f"{field} must be a non-empty string")
    return value.strip()


def _price(doc: Mapping[str, Any]) -> Money:
    code = _text(doc["price_currency"], "price_currency").upper()
    try:
        minor = to_minor(amount(doc["price_amount"], "price_amount"), code, "price_amount")
        return Money.of_minor(minor, code)
    except MoneyError:
        raise Malformed(f"price_currency {code[:8]!r} is not supported") from None


def _due(doc: Mapping[str, Any]) -> Decimal | None:
    """What the payer was asked to send, in pay_currency (None when not said, or zero)."""
    due = doc.get("pay_amount")
    if due is None:
        return None
    number = amount(due, "pay_amount")
    return number if number > 0 else None


def arrived_value(price: Money, actually_paid: Decimal, due: Decimal | None) -> Money | None:
    """The share of `price` that `actually_paid` of `due` is worth, rounded down."""
    if due is None:
        return None
    if actually_paid >= due:
        return price
    with localcontext() as exact:
        exact.prec = 80  # amounts are at most 40 digits: the product is exact
        share = (Decimal(price.amount) * actually_paid / due).to_integral_value(ROUND_FLOOR)
    return Money.of_minor(int(share), price.currency)


def _key(payment_id: str, raw_status: str, actually_paid: Decimal) -> str:
    """One per status; a partial payment's also per amount, since more coins may follow
    under the same status and must be weighed again (a redelivery has the same amount)."""
    key = f"nowpayments:{payment_id}:{raw_status}"
    # Fixed-point text: 1e-7 and 0.0000001 are one amount however the JSON wrote it.
    return f"{key}:{actually_paid:f}" if raw_status == "partially_paid" else key


def report(doc: object) -> Report:
    """The Report for a payment document; `verified` is left to the caller to set."""
    if not isinstance(doc, Mapping):
        raise Malformed("body must be a JSON object")
    missing = [field for field in REQUIRED if doc.get(field) is None]
    if missing:
        raise Malformed(f"missing {', '.join(missing)}")
    provider_ref = _identifier(doc["payment_id"], "payment_id")
    order_id = _identifier(doc["order_id"], "order_id")
    raw_status = _text(doc["payment_status"], "payment_status")
    status = STATUSES.get(raw_status)
    if status is None:
        raise Malformed(f"unknown payment_status {raw_status[:32]!r}")
    _text(doc["pay_currency"], "pay_currency")
    actually_paid = amount(doc["actually_paid"], "actually_paid")
    due = _due(doc)
    paid = arrived_value(_price(doc), actually_paid, due)
    if status == "succeeded" and (due is None or actually_paid < due):
        # An underpayment is never a success; without a pay_amount to compare with, a
        # "finished" cannot prove it was paid in full.
        status = "partially_paid"
    receipt = doc.get("payin_hash")
    invoice = doc.get("invoice_id")
    return Report(
        payment_id=order_id,
        status=status,
        # The invoice is what we recorded at the start; a payment id is learnt from this.
        provider_ref=_identifier(invoice, "invoice_id") if invoice is not None else None,
        transfer_ref=provider_ref,
        paid=paid if status in {"succeeded", "partially_paid"} else None,
        receipt=receipt if isinstance(receipt, str) and receipt else None,
        raw_status=raw_status,
        idempotency_key=_key(provider_ref, raw_status, actually_paid),
        repeat_deposit=doc.get("parent_payment_id") is not None,
    )
