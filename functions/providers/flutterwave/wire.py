"""Flutterwave v3 wire format: pure functions, no I/O.

Our payment id is the charge's `tx_ref`, so a webhook and a verification name the payment
by our own id. Amounts are JSON numbers in major units, read as Decimal (never a float).
Which charge a currency takes (payments.md): KES `mpesa`, UGX `mobile_money_uganda`, GHS
`mobile_money_ghana` (both with the operator's `network`), RWF, ZMW, TZS their countries'
types, XAF and XOF `mobile_money_franco`; others get a hosted payment link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events.money import Money, currency
from functions.providers.base import BadCallback, ProviderUnavailable, Report, Status

MAX_WEBHOOK_BYTES: Final = 64 * 1024
MAX_MINOR: Final = 2**63  # what a stored integer holds: a larger amount is not one
CHARGE_TYPES: Final[Mapping[str, str]] = {
    "KES": "mpesa",
    "UGX": "mobile_money_uganda",
    "GHS": "mobile_money_ghana",
    "RWF": "mobile_money_rwanda",
    "ZMW": "mobile_money_zambia",
    "TZS": "mobile_money_tanzania",
    "XAF": "mobile_money_franco",
    "XOF": "mobile_money_franco",
}
# The `network` a charge type needs, by our operator key (functions/phones/numbers.py).
NETWORKS: Final[Mapping[str, Mapping[str, str]]] = {
    "mobile_money_uganda": {"mtn": "MTN", "airtel": "AIRTEL"},
    "mobile_money_ghana": {"mtn": "MTN", "telecel": "VODAFONE", "airteltigo": "TIGO"},
}
STATUSES: Final[Mapping[str, Status]] = {
    "successful": "succeeded",
    "succeeded": "succeeded",  # v4's word
    "failed": "failed",
    "cancelled": "failed",
    "pending": "pending",
}


def amount_of(value: object, code: str) -> Money | None:
    """A Flutterwave amount (major units) as Money; None when not an exact minor amount."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        return None
    try:
        minor = Decimal(value) * 10 ** currency(code).exponent
    except (InvalidOperation, ValueError):
        return None
    if not minor.is_finite() or minor != minor.to_integral_value() or not 0 <= minor < MAX_MINOR:
        return None
    return Money.of_minor(int(minor), code)


def major(amount: Money) -> int | str:
    """What Flutterwave is sent: whole units as a number, else a decimal string."""
    exponent = currency(amount.currency).exponent
    whole, minor = divmod(amount.amount, 10**exponent)
    return int(whole) if minor == 0 else f"{whole}.{minor:0{exponent}d}"


def signature_ok(secret_hash: str, headers: Mapping[str, str], body: bytes) -> bool:
    """`verif-hash` is the secret hash verbatim; `flutterwave-signature` is base64(HMAC-
    SHA256(secret hash, raw body)) in integrations and the plain hash in a docs mirror
    (payments.md): any of them, compared in constant time."""
    given = {k.lower(): v for k, v in headers.items()}
    mac = hmac.new(secret_hash.encode(), body, hashlib.sha256).digest()
    expected = {
        "verif-hash": (secret_hash,),
        "flutterwave-signature": (base64.b64encode(mac).decode(), secret_hash),
    }
    return any(
        hmac.compare_digest(given[name].encode(), candidate.encode())
        for name, candidates in expected.items()
        if name in given
        for candidate in candidates
    )


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Transaction(_Strict):
    """A charge as the webhook's `data` and the verification's `data` give it."""

    id: int | str = Field(union_mode="left_to_right")
    tx_ref: str = Field(min_length=1, max_length=100)
    amount: int | Decimal = Field(union_mode="left_to_right")
    currency: str = Field(min_length=3, max_length=3)
    status: str = Field(min_length=1, max_length=32)
    flw_ref: str | None = Field(default=None, max_length=100)
    charged_amount: int | Decimal | None = Field(default=None, union_mode="left_to_right")


def _loads(body: bytes) -> object:
    return json.loads(body, parse_float=Decimal)


def load_webhook(body: bytes) -> Transaction:
    """The `charge.completed` event's data; BadCallback for anything else."""
    if len(body) > MAX_WEBHOOK_BYTES:
        raise BadCallback("body too large")
    try:
        data = _loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadCallback("body is not JSON") from None
    if not isinstance(data, dict):
        raise BadCallback("body is not a JSON object")
    event = data.get("event") or data.get("type")
    if event != "charge.completed":
        raise BadCallback("not a charge.completed event")
    try:
        return Transaction.model_validate(data.get("data"))
    except ValidationError as err:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in err.errors()})
        raise BadCallback(f"invalid fields: {', '.join(fields)[:200]}") from None


def verified_transaction(data: object) -> Transaction:
    """The verification reply's `data`; ProviderUnavailable when it has none we can read."""
    inner = data.get("data") if isinstance(data, dict) else None
    try:
        return Transaction.model_validate(inner)
    except ValidationError as err:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in err.errors()})
        raise ProviderUnavailable(f"flutterwave: verify reply invalid: {fields}") from None


def report_of(payment_id: str, tx: Transaction, asked: Money | None, *, verified: bool) -> Report:
    """Our report. Verified (our own question): success needs our tx_ref (checked by the
    caller), our currency and at least the amount asked; an overpayment is worth what was
    asked, less or another currency is held for an admin with what arrived."""
    status = STATUSES.get(tx.status.lower(), "pending")  # an unknown word moves nothing
    paid: Money | None = None
    if status == "succeeded" and asked is not None:
        arrived = amount_of(tx.amount, tx.currency) if tx.currency == asked.currency else None
        if arrived is None:
            status = "partially_paid"  # another currency: not ours to value
        elif arrived < asked:
            status, paid = "partially_paid", arrived
        else:
            paid = asked
    return Report(
        payment_id=payment_id,
        status=status,
        provider_ref=tx.tx_ref,  # our payment id: what the start recorded
        paid=paid,
        receipt=tx.flw_ref if status == "succeeded" else None,
        raw_status=f"{tx.status} {tx.amount} {tx.currency}"[:200],
        idempotency_key=f"flutterwave:{tx.id}:{tx.status}",
        verified=verified,
        transfer_ref=str(tx.id),
    )
