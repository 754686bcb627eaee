"""Pakasir (Indonesia, QRIS, IDR): create a QRIS payment, read its webhook, ask for the truth.

Pakasir's webhook is unsigned: it is authenticated only by an unguessable secret in our
webhook URL path, and its report is never `verified`. The payment webhook confirms it with
`query`, which asks the detail API with our own api_key. That key travels in the detail
call's query string, so no message built here ever contains a URL or a raw reply.
Amounts on the wire are whole rupiah; our Money keeps IDR in ISO minor units (x100).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events import Money
from events.money import format_money
from functions.providers import shared
from functions.providers.base import (
    DECLINED,
    NOT_AVAILABLE,
    BadCallback,
    Instructions,
    OutcomeUnknown,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    Report,
    Started,
    Status,
    Unauthorized,
)
from functions.providers.http import HttpRail
from functions.providers.pakasir import ENV_PREFIX, MIN_AMOUNT_IDR, PakasirSettings
from functions.runtime import secrets

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

__all__ = ["MIN_AMOUNT_IDR", "PakasirRail", "PakasirSettings", "build"]

QRIS_LIFETIME: Final = timedelta(minutes=10)  # our own rule, whatever Pakasir says
MAX_CALLBACK_BYTES: Final = 64 * 1024
IDR_MINOR: Final = 100  # ISO exponent 2: Money(amount=1_000_000, "IDR") is Rp 10,000
STATUSES: Final[Mapping[str, Status]] = {
    "completed": "succeeded",
    "pending": "pending",
    "canceled": "failed",
    "cancelled": "failed",
    "expired": "expired",
}


class _Transaction(BaseModel):
    """The webhook body, and the detail reply's `transaction`: checked strictly."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    amount: int = Field(gt=0)
    order_id: str = Field(min_length=1, max_length=128)
    project: str = Field(min_length=1, max_length=128)
    status: str = Field(min_length=1, max_length=32)
    payment_method: str = Field(max_length=64)
    completed_at: str | None = Field(max_length=64)


def _customer_text(status_code: int) -> str:
    """Pakasir's 4xx words are for us; a rejected key is ours to fix, not the payer's."""
    return NOT_AVAILABLE if status_code in (401, 403) else DECLINED


def _whole_rupiah(amount: Money) -> int:
    if amount.currency != "IDR":
        raise ProviderRefused.plainly(f"QRIS takes IDR only, not {amount.currency}")
    rupiah, cents = divmod(amount.amount, IDR_MINOR)
    if cents:
        raise ProviderRefused.plainly("QRIS takes whole rupiah only, without cents")
    return rupiah


def _parse_time(value: object) -> datetime | None:
    """An aware datetime from Pakasir's ISO text (nanoseconds, `Z`), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace(" ", "T", 1)
    head, dot, rest = text.partition(".")
    if dot:  # Python parses at most 6 fraction digits: drop the rest, keep the offset
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    # A time without an offset could be UTC or Jakarta time: too ambiguous to trust.
    return parsed if parsed.tzinfo is not None else None


class PakasirRail(HttpRail[PakasirSettings]):
    """The Rail for Pakasir QRIS payments; `name` is the webhook path segment."""

    name = "pakasir"
    # Pakasir calls one webhook URL per project, set in its dashboard: no per-payment token
    # is possible. A webhook names the payment by its order id (ours), and is only ever
    # confirmed by a detail query about that payment's own order id.
    callback_scope: Literal["payment", "rail"] = "rail"
    signed = False

    # -- calls to Pakasir -------------------------------------------------------------------

    def start(self, request: PaymentRequest) -> Started:
        rupiah = _whole_rupiah(request.amount)
        if rupiah < MIN_AMOUNT_IDR:
            raise ProviderRefused.plainly(
                f"QRIS takes at least IDR {MIN_AMOUNT_IDR:,} (Pakasir's minimum)"
            )
        body = {
            "project": self.settings.project,
            "order_id": request.payment_id,
            "amount": rupiah,
            "api_key": self._api_key(),
        }
        path = f"/api/transactioncreate/{self.settings.method}"
        payment = self._call("POST", path, "payment", creates=True, json=body)
        total, qris = payment.get("total_payment"), payment.get("payment_number")
        # The order exists at Pakasir now: an unusable reply is settled by the detail query.
        if isinstance(total, bool) or not isinstance(total, int) or total < rupiah:
            raise OutcomeUnknown("pakasir: create reply has no valid total_payment")
        if not isinstance(qris, str) or not qris.strip():
            raise OutcomeUnknown("pakasir: create reply has no payment_number")
        expires_at = self._now() + QRIS_LIFETIME
        theirs = _parse_time(payment.get("expired_at"))
        if theirs is not None:
            expires_at = min(expires_at, theirs)
        to_pay = format_money(Money.of_minor(total * IDR_MINOR, "IDR"))
        fee = format_money(Money.of_minor((total - rupiah) * IDR_MINOR, "IDR"))
        text = (
            f"Scan this QRIS code with any Indonesian bank or e-wallet app and pay {to_pay}"
            f" (including a fee of {fee}) within {QRIS_LIFETIME.seconds // 60} minutes."
        )
        instructions = Instructions(kind="qr", text=text, qr_payload=qris)
        return Started(request.payment_id, instructions, expires_at)

    def query(self, payment_id: str, provider_ref: str | None, amount: Money) -> Report:
        order_id = provider_ref or payment_id
        params = {
            "project": self.settings.project,
            "amount": str(_whole_rupiah(amount)),
            "order_id": order_id,
            "api_key": self._api_key(),
        }
        raw = self._call("GET", "/api/transactiondetail", "transaction", params=params)
        try:
            tx = _Transaction.model_validate(raw)
        except ValidationError as err:
            fields = sorted({str(e["loc"][0]) for e in err.errors() if e["loc"]})
            raise ProviderUnavailable(f"pakasir: detail reply is malformed: {fields}") from None
        if tx.order_id != order_id or tx.project != self.settings.project:
            raise ProviderUnavailable("pakasir: detail reply is about another transaction")
        return self._report(payment_id, tx, verified=True, status=STATUSES.get(tx.status))

    def _call(
        self, method: str, path: str, key: str, *, creates: bool = False, **request: Any
    ) -> dict[str, Any]:
        url = self.settings.base_url.rstrip("/") + path
        response = self._http.send(method, url, creates=creates, **request)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            reason = f"pakasir: HTTP {response.status_code}{self._reason(data)}"
            raise ProviderRefused(reason, _customer_text(response.status_code))
        inner = data.get(key) if isinstance(data, dict) else None
        if not isinstance(inner, dict):
            problem = OutcomeUnknown if creates else ProviderUnavailable
            raise problem(f"pakasir: reply without {key!r} ({path})")
        return inner

    def _reason(self, data: object) -> str:
        """The provider's short error text, if any, with our credentials blanked out."""
        text = data.get("error") or data.get("message") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text:
            return ""
        try:
            key = self._api_key()
        except ProviderUnavailable:
            key = ""
        return ": " + (text.replace(key, "[redacted]") if key else text)[:200]

    def _api_key(self) -> str:
        try:
            return secrets.reveal(self.settings.api_key.get_secret_value())
        except secrets.SecretUnavailable as err:
            raise ProviderUnavailable(f"{ENV_PREFIX}API_KEY {err}") from None

    # -- the webhook --------------------------------------------------------------------------

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        try:
            secret = secrets.reveal(self.settings.webhook_secret.get_secret_value())
        except secrets.SecretUnavailable:
            raise Unauthorized("pakasir webhook secret is not configured") from None
        if not hmac.compare_digest(path.encode(), secret.encode()):
            raise Unauthorized("wrong webhook path")
        if len(body) > MAX_CALLBACK_BYTES:
            raise BadCallback("body too large")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested too deep: not ours
            raise BadCallback("body is not JSON") from None
        if not isinstance(data, dict):
            raise BadCallback("body is not a JSON object")
        try:
            tx = _Transaction.model_validate(data)
        except ValidationError as err:
            fields = sorted({str(e["loc"][0]) for e in err.errors() if e["loc"]})
            raise BadCallback(f"invalid fields: {', '.join(fields)}") from None
        if tx.project != self.settings.project:
            raise BadCallback("another project")
        status = STATUSES.get(tx.status)
        if status is None:
            raise BadCallback(f"unknown status {tx.status[:32]!r}")
        # Unsigned: a hint only. The payment webhook confirms it with `query`.
        return self._report(tx.order_id, tx, verified=False, status=status)

    def acknowledgement(self) -> tuple[object, int]:
        return {"ok": True}, 200

    def callback_key(self) -> str:
        raise NotImplementedError("rail-scoped: the webhook path holds the project's secret")

    def callback_path(self, payment_id: str) -> str:
        # Pakasir's webhook URL is set once per project in its dashboard, not per payment:
        # it must be <public base>/payments/pakasir/<webhook secret>.
        return secrets.reveal(self.settings.webhook_secret.get_secret_value())

    def _report(
        self, payment_id: str, tx: _Transaction, verified: bool, status: Status | None
    ) -> Report:
        # An unknown status from the detail call moves no money: report it as pending.
        status = status or "pending"
        paid = Money.of_minor(tx.amount * IDR_MINOR, "IDR") if status == "succeeded" else None
        return Report(
            payment_id=payment_id,
            status=status,
            # The order id is our payment id, and what the start recorded as the reference.
            provider_ref=tx.order_id,
            paid=paid,
            raw_status=tx.status,
            idempotency_key=f"pakasir:{tx.order_id}:{tx.status}",
            verified=verified,
        )


def build(rt: Runtime) -> PakasirRail:
    """The adapter the registry builds (the spec in functions/providers/pakasir/)."""
    settings = PakasirSettings.from_env()
    gate = shared.gate(rt, PakasirRail.name, settings)
    return PakasirRail(settings, now=rt.clock.now, pacer=gate)
