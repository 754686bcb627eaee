"""MTN MoMo Collections wire format: pure functions, no I/O.

The X-Reference-Id is derived from our payment id (a UUIDv4 layout over a hash of it), so
it is known before the request is sent, the same on every retry (MTN refuses a second
request with one reference id: 409), and recomputable by anyone holding the payment id.
Amounts are decimal strings in the market currency; Money keeps minor units (UGX has none).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events.money import Money, currency
from functions.providers.base import BadCallback, ProviderUnavailable, Report, Status

MAX_CALLBACK_BYTES: Final = 16 * 1024
MAX_MINOR: Final = 2**63  # what a stored integer holds: a larger amount is not one
STATUSES: Final[Mapping[str, Status]] = {
    "PENDING": "pending",
    "SUCCESSFUL": "succeeded",
    "FAILED": "failed",
    "REJECTED": "failed",
    "TIMEOUT": "expired",
}
EXPIRED_REASONS: Final = frozenset({"EXPIRED", "COULD_NOT_PERFORM_TRANSACTION"})


def reference_id(payment_id: str) -> str:
    """Our X-Reference-Id for this payment: a UUIDv4 (random-looking, fixed per payment)."""
    digest = hashlib.sha256(f"soko-mtnmomo:{payment_id}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def amount_text(amount: Money) -> str:
    """`"1500"` (UGX) or `"15.00"` (EUR): the decimal string MTN takes."""
    exponent = currency(amount.currency).exponent
    whole, minor = divmod(amount.amount, 10**exponent)
    return f"{whole}.{minor:0{exponent}d}" if exponent else str(whole)


def money_of(text: object, code: object) -> Money | None:
    """The amount a status body reports, in minor units; None when unreadable."""
    if not isinstance(text, str | int) or isinstance(text, bool) or not isinstance(code, str):
        return None
    try:
        exponent = currency(code).exponent
        minor = Decimal(str(text)) * 10**exponent
    except (InvalidOperation, ValueError):
        return None
    if not minor.is_finite() or minor != minor.to_integral_value() or not 0 < minor < MAX_MINOR:
        return None
    return Money.of_minor(int(minor), code)


def reason_of(value: object) -> str:
    """`reason` is a string live and `{code, message}` in old SDKs: the code either way."""
    if isinstance(value, dict):
        value = value.get("code")
    return value[:64] if isinstance(value, str) else ""


def status_of(word: str, reason: str) -> Status | None:
    status = STATUSES.get(word)
    if status == "failed" and reason in EXPIRED_REASONS:
        return "expired"  # nobody entered the PIN in time
    return status


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class _Party(_Strict):
    partyIdType: str = Field(max_length=16)
    partyId: str = Field(max_length=32)


class StatusBody(_Strict):
    """A request to pay as MTN reports it: the status reply, and (≈) the callback body."""

    externalId: str = Field(min_length=1, max_length=64)
    amount: str | int = Field(union_mode="left_to_right")
    currency: str = Field(min_length=3, max_length=3)
    status: str = Field(min_length=1, max_length=32)
    financialTransactionId: str | None = Field(default=None, max_length=64)
    payer: _Party | None = None
    reason: Any = None


def parse_status(data: object, *, callback: bool) -> StatusBody:
    """The body checked strictly: BadCallback (a callback) or ProviderUnavailable (a reply)."""
    problem = BadCallback if callback else ProviderUnavailable
    if not isinstance(data, dict):
        raise problem("mtnmomo: body is not a JSON object")
    try:
        return StatusBody.model_validate(data)
    except ValidationError as err:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in err.errors()})
        raise problem(f"mtnmomo: invalid fields: {', '.join(fields)[:200]}") from None


def load_callback(body: bytes) -> StatusBody:
    if len(body) > MAX_CALLBACK_BYTES:
        raise BadCallback("body too large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadCallback("body is not JSON") from None
    return parse_status(data, callback=True)


def report_of(
    payment_id: str, reference: str | None, asked: Money, body: StatusBody, *, verified: bool
) -> Report:
    """Our report: `reference` is the X-Reference-Id asked about (None: a callback, which
    names none). Money in another currency than asked is held for an admin, never valued."""
    reason = reason_of(body.reason)
    status = status_of(body.status, reason) or "pending"  # an unknown word moves nothing
    paid = money_of(body.amount, body.currency) if status == "succeeded" else None
    if status == "succeeded" and (paid is None or paid.currency != asked.currency):
        status, paid = "partially_paid", None  # held: what arrived is not ours to value
    raw = f"{body.status}{f' {reason}' if reason else ''} {body.amount} {body.currency}"
    return Report(
        payment_id=payment_id,
        status=status,
        provider_ref=reference,
        paid=paid,
        receipt=body.financialTransactionId if status == "succeeded" else None,
        raw_status=raw[:200],
        idempotency_key=f"mtnmomo:{payment_id}:{body.status}",
        verified=verified,
    )
