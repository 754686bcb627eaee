"""Airtel Money Collections wire format: pure functions, no I/O.

Our payment id is Airtel's `transaction.id`, so an enquiry and a callback name the payment
by our own id. Amounts are whole units of the market currency. Enquiry statuses: TS success,
TF failed, TE expired, TA (ambiguous) and TIP (in progress) mean ask again later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events.money import Money, currency
from functions.providers.base import BadCallback, ProviderRefused, Report, Status

MAX_CALLBACK_BYTES: Final = 16 * 1024
ACCEPTED: Final = "DP00800001006"  # the push reached the payer's phone (an acknowledgement)
STATUSES: Final[Mapping[str, Status]] = {
    "TS": "succeeded",
    "TF": "failed",
    "TE": "expired",
    "TA": "pending",  # ambiguous: Airtel itself does not know yet
    "TIP": "pending",  # in progress: the payer has not answered
}


def whole_units(amount: Money, label: str = "Airtel Money") -> int:
    exponent = currency(amount.currency).exponent
    whole, minor = divmod(amount.amount, 10**exponent)
    if minor:
        raise ProviderRefused.plainly(f"{label} takes whole {amount.currency} amounts")
    return int(whole)


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class CallbackTransaction(_Strict):
    id: str = Field(min_length=1, max_length=64)
    status_code: str = Field(min_length=1, max_length=8)
    message: str = Field(default="", max_length=256)
    airtel_money_id: str | None = Field(default=None, max_length=64)


class _Callback(_Strict):
    transaction: CallbackTransaction
    hash: str | None = Field(default=None, max_length=256)


def load_callback(body: bytes) -> tuple[CallbackTransaction, str | None, dict[str, Any]]:
    """(the transaction, its `hash` if any, the raw transaction object); BadCallback else."""
    if len(body) > MAX_CALLBACK_BYTES:
        raise BadCallback("body too large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadCallback("body is not JSON") from None
    if not isinstance(data, dict):
        raise BadCallback("body is not a JSON object")
    try:
        parsed = _Callback.model_validate(data)
    except ValidationError as err:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in err.errors()})
        raise BadCallback(f"invalid fields: {', '.join(fields)[:200]}") from None
    if parsed.transaction.status_code not in STATUSES:
        raise BadCallback(f"unknown status_code {parsed.transaction.status_code[:8]!r}")
    return parsed.transaction, parsed.hash, data["transaction"]


def callback_hashes(key: str, transaction: Mapping[str, Any]) -> tuple[str, ...]:
    """The hashes a genuine callback may carry: base64(HMAC-SHA256(key, payload)). Which
    bytes Airtel signs is unconfirmed (payments.md), so both common serialisations of the
    transaction object are accepted; the money still waits for an enquiry."""
    forms = {
        json.dumps(transaction, separators=(",", ":")),
        json.dumps(transaction),
    }
    return tuple(
        base64.b64encode(hmac.new(key.encode(), form.encode(), hashlib.sha256).digest()).decode()
        for form in sorted(forms)
    )


def sign(key: str, transaction: Mapping[str, Any]) -> str:
    """What Airtel puts in `hash` (compact form): for the fake and the tests."""
    form = json.dumps(transaction, separators=(",", ":"))
    return base64.b64encode(hmac.new(key.encode(), form.encode(), hashlib.sha256).digest()).decode()


def report_of(
    payment_id: str, status_code: str, message: str, money_id: str | None,
    asked: Money | None, *, verified: bool,
) -> Report:  # fmt: skip
    """Our report; an enquiry carries no amount: a paid push was paid in full (its amount
    was fixed by us), so what arrived is what was asked."""
    status = STATUSES.get(status_code, "pending")  # an unknown code moves nothing
    return Report(
        payment_id=payment_id,
        status=status,
        provider_ref=payment_id,  # Airtel's transaction id is our payment id
        paid=asked if status == "succeeded" else None,  # None: a callback, which says none
        receipt=money_id if status == "succeeded" else None,
        raw_status=f"{status_code}: {message[:160]}",
        idempotency_key=f"airtel:{payment_id}:{status_code}",
        verified=verified,
    )
