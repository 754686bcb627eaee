"""M-Pesa Daraja STK Push wire format: pure functions, no I/O.

Phone numbers, the password and Nairobi timestamp, whole-shilling amounts, the callback's
strict schema and the result-code table (docs: /work/shared/reference/payments.md).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events.money import Money, format_money
from functions.providers.base import (
    BadCallback,
    ProviderRefused,
    ProviderUnavailable,
    Report,
    Status,
)
from functions.providers.mpesa import MAX_SHILLINGS, MIN_SHILLINGS

NAIROBI: Final = timezone(timedelta(hours=3), "EAT")  # Kenya keeps no daylight saving time
KES_MINOR: Final = 100  # Money keeps KES in cents; Daraja takes whole shillings
MAX_CALLBACK_BYTES: Final = 64 * 1024
ACCOUNT_REFERENCE_MAX: Final = 12
TRANSACTION_DESC_MAX: Final = 13
STILL_PROCESSING: Final = "500.001.1001"  # the STK query's answer before the customer acts
INVALID_TOKEN: Final = "404.001.03"  # noqa: S105 - an error code, not a password
RESULTS: Final[Mapping[int, Status]] = {
    0: "succeeded",
    1: "failed",  # insufficient balance
    1019: "expired",
    1032: "failed",  # cancelled by the user
    1037: "failed",  # phone unreachable
    2001: "failed",  # wrong PIN
}
# Kenyan mobile numbers: 07XX/01XX locally, 2547XX/2541XX internationally.
_PHONE: Final = re.compile(r"(?:\+?254|0)([17][0-9]{8})")
_PHONE_NOISE: Final = re.compile(r"[\s\-().]")


def normalise_phone(phone: str | None) -> str:
    """`2547XXXXXXXX` or `2541XXXXXXXX` from 07…, 01…, +254… or 254…; else ProviderRefused."""
    match = _PHONE.fullmatch(_PHONE_NOISE.sub("", phone or ""))
    if match is None:
        raise ProviderRefused.plainly(
            "M-Pesa needs a Kenyan mobile number like 0712345678 or +254712345678"
        )
    return "254" + match[1]


def whole_shillings(amount: Money) -> int:
    """Daraja's Amount: whole shillings within 1 to 250,000, else ProviderRefused."""
    if amount.currency != "KES":
        raise ProviderRefused.plainly(f"M-Pesa takes KES only, not {amount.currency}")
    shillings, cents = divmod(amount.amount, KES_MINOR)
    if cents:
        raise ProviderRefused.plainly(
            f"M-Pesa takes whole shillings only, not {format_money(amount)}"
        )
    if not MIN_SHILLINGS <= shillings <= MAX_SHILLINGS:
        raise ProviderRefused.plainly(
            f"M-Pesa takes KES {MIN_SHILLINGS:,} to KES {MAX_SHILLINGS:,} in one payment"
        )
    return shillings


def timestamp(now: datetime) -> str:
    """`YYYYMMDDHHmmss` in Nairobi time, from an aware datetime."""
    if now.tzinfo is None:
        raise ValueError("the clock must give timezone-aware datetimes")
    return now.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


def password(shortcode: str, passkey: str, stamp: str) -> str:
    """base64(shortcode + passkey + timestamp), the same timestamp as the request's."""
    return base64.b64encode(f"{shortcode}{passkey}{stamp}".encode()).decode("ascii")


def status_of(code: int) -> Status:
    """Our status for a ResultCode; an unknown code is a failure (its raw text is kept)."""
    return RESULTS.get(code, "failed")


def error_of(response_json: object) -> tuple[str, str]:
    """(errorCode, errorMessage) of a Daraja error reply, empty strings when absent."""
    if not isinstance(response_json, dict):
        return "", ""
    code, message = response_json.get("errorCode"), response_json.get("errorMessage")
    return (
        code if isinstance(code, str) else "",
        message[:200] if isinstance(message, str) else "",
    )


def token_rejected(status_code: int, response_json: object) -> bool:
    """A 401, or Daraja's 404 "Invalid Access Token": the token needs a refresh."""
    if status_code == 401:
        return True
    return status_code == 404 and error_of(response_json)[0] == INVALID_TOKEN


def query_report(
    payment_id: str, checkout_id: str, amount: Money, data: Mapping[str, Any]
) -> Report:
    """Our report from an STK query reply, whose ResultCode is a string."""
    raw = data.get("ResultCode")
    if not isinstance(raw, str | int) or isinstance(raw, bool) or not str(raw).isdigit():
        raise ProviderUnavailable("mpesa: query reply without a ResultCode")
    status = status_of(int(raw))
    desc = data.get("ResultDesc")
    return Report(
        payment_id=payment_id,
        status=status,
        provider_ref=checkout_id,
        # The query reply carries neither the amount nor the receipt: a paid request was
        # paid in full, so it is the amount we asked for (the callback has the receipt).
        paid=amount if status == "succeeded" else None,
        raw_status=f"{raw}: {desc[:200] if isinstance(desc, str) else ''}",
        idempotency_key=f"mpesa:{checkout_id}",
        verified=True,  # our own question, with our own credentials
    )


# -- the callback -----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class _Item(_Strict):
    Name: str = Field(min_length=1, max_length=64)
    Value: Any = None  # Balance comes without a Value


class _Metadata(_Strict):
    Item: list[_Item] = Field(max_length=32)


class StkCallback(_Strict):
    MerchantRequestID: str = Field(min_length=1, max_length=64)
    CheckoutRequestID: str = Field(min_length=1, max_length=64)
    ResultCode: int
    ResultDesc: str = Field(max_length=512)
    CallbackMetadata: _Metadata | None = None

    def item(self, name: str) -> object:
        """An item's Value by Name (None when the item or its Value is missing)."""
        items = self.CallbackMetadata.Item if self.CallbackMetadata else []
        return next((i.Value for i in items if i.Name == name), None)


class _StkBody(_Strict):
    stkCallback: StkCallback


class _Envelope(_Strict):
    Body: _StkBody


def parse_callback(body: bytes) -> StkCallback:
    """`Body.stkCallback`, checked strictly; BadCallback with a short reason otherwise."""
    if len(body) > MAX_CALLBACK_BYTES:
        raise BadCallback("body too large")
    try:
        # Decimal keeps `"Amount": 1.00` exact: money never passes through a float.
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested too deep: not ours
        raise BadCallback("body is not JSON") from None
    if not isinstance(data, dict):
        raise BadCallback("body is not a JSON object")
    try:
        return _Envelope.model_validate(data).Body.stkCallback
    except ValidationError as err:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in err.errors()})
        raise BadCallback(f"invalid fields: {', '.join(fields)[:200]}") from None


def paid_amount(callback: StkCallback) -> Money:
    """The Amount item as KES minor units; BadCallback if missing or not whole cents."""
    value = callback.item("Amount")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise BadCallback("success without a numeric Amount")
    try:
        cents = Decimal(value) * KES_MINOR
    except InvalidOperation:
        raise BadCallback("Amount is not a number") from None
    if not cents.is_finite() or cents != cents.to_integral_value() or cents <= 0:
        raise BadCallback("Amount is not a positive amount of shillings")
    return Money.of_minor(int(cents), "KES")


def receipt_of(callback: StkCallback) -> str:
    """The MpesaReceiptNumber; BadCallback if missing or not a short alphanumeric code."""
    value = callback.item("MpesaReceiptNumber")
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9]{1,32}", value):
        raise BadCallback("success without a valid MpesaReceiptNumber")
    return value


def callback_report(payment_id: str, body: bytes) -> Report:
    """Our report from a callback body; never verified (M-Pesa callbacks are unsigned)."""
    callback = parse_callback(body)
    status = status_of(callback.ResultCode)
    succeeded = status == "succeeded"
    return Report(
        payment_id=payment_id,
        status=status,
        provider_ref=callback.CheckoutRequestID,
        paid=paid_amount(callback) if succeeded else None,
        receipt=receipt_of(callback) if succeeded else None,
        raw_status=f"{callback.ResultCode}: {callback.ResultDesc[:200]}",
        idempotency_key=f"mpesa:{callback.CheckoutRequestID}",
        verified=False,  # a hint until the payment webhook confirms it with `query`
    )
