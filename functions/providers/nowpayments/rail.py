"""NOWPayments: crypto invoices priced in fiat, signed IPN callbacks, a status API.

Wire facts: /work/shared/reference/payments.md (NOWPayments). `start` creates an invoice
whose page the user pays on; each status change arrives as an IPN signed with the IPN
secret (nowpayments_sig), and `query` asks `GET /payment/{id}` with our API key.

The provider_ref from `start` is the invoice id, which every IPN names (`invoice_id`), so a
report is bound to the invoice we recorded; IPNs and `GET /payment/` speak of payment ids
(an invoice gets one once the user pays, and another for a re-deposit): a report carries it
as its transfer_ref, and status queries ask about the one a verified IPN taught us.
The invoice is created at most once: a reply that did not come back is OutcomeUnknown.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import httpx

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
    Unauthorized,
)
from functions.providers.http import ProviderHttp
from functions.providers.nowpayments import NowPaymentsSettings, ipn, sig
from functions.providers.pace import Gate
from functions.runtime import secrets

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

__all__ = ["NowPaymentsRail", "NowPaymentsSettings", "build"]

MAX_CALLBACK_BYTES = 64 * 1024
_REASON_CHARS = 200
_PAYMENT_REF = re.compile(r"[0-9A-Za-z_-]{1,64}")
# Its minimum depends on the coin and moves with the market: we cannot check it beforehand.
_TOO_SMALL = re.compile(r"AMOUNT_MINIMAL|too small|minimal amount", re.IGNORECASE)
TOO_SMALL = (
    "the amount is below the smallest crypto payment accepted right now. Try a larger amount."
)


# Ours, not NOWPayments': an invoice nobody paid stops being pending after a day, so the
# reconcile job (which cannot ask about it before its first IPN) is not crowded by abandoned
# invoices. A payment that arrives later is still credited: a verified success after
# expiry is real money (functions/domain/payments.py).
INVOICE_LIFETIME = timedelta(hours=24)


class NowPaymentsRail:
    """The Rail for NOWPayments; nothing connects until the first provider call."""

    name = "nowpayments"
    callback_scope: Literal["payment", "rail"] = "payment"
    signed = True  # IPNs carry x-nowpayments-sig

    def __init__(
        self,
        settings: NowPaymentsSettings,
        client: httpx.Client | None = None,
        *,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        pacer: Gate | None = None,  # build() gives the rail's quota and pace
    ) -> None:
        self.settings = settings
        self._http = ProviderHttp(
            client, attempts=attempts, sleep=sleep, timeout_s=timeout, pacer=pacer
        )
        self._now = now

    def configured(self) -> bool:
        """True when the settings hold what this rail needs."""
        return self.settings.configured()

    # -- provider calls -------------------------------------------------------------------

    def start(self, request: PaymentRequest) -> Started:
        amount = request.amount
        if amount.currency != self.settings.price_currency.upper():
            raise ProviderRefused.plainly(
                f"crypto payments are priced in {self.settings.price_currency.upper()}, "
                f"not {amount.currency}"
            )
        if not amount.is_positive():
            raise ProviderRefused.plainly("the amount must be positive")
        payload = {
            "price_amount": ipn.decimal_text(amount.amount, amount.currency),
            "price_currency": amount.currency.lower(),
            "ipn_callback_url": request.callback_url,
            "order_id": request.payment_id,
            "order_description": request.description,
        }
        response = self._call("POST", "/invoice", json=payload, creates=True)
        # From here the invoice exists at NOWPayments: an unreadable reply is not a failure.
        try:
            reply = self._json(response)
        except ProviderUnavailable as err:
            raise OutcomeUnknown(str(err)) from None
        invoice_id, url = reply.get("id"), reply.get("invoice_url")
        if isinstance(invoice_id, bool) or not isinstance(invoice_id, int | str) or not url:
            raise OutcomeUnknown("NOWPayments: invoice reply without id or invoice_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise OutcomeUnknown("NOWPayments: invoice_url is not a URL")
        return Started(
            provider_ref=str(invoice_id),
            instructions=Instructions(
                kind="invoice_url",
                url=url,
                text=f"Pay {format_money(amount)} in crypto on the NOWPayments page.",
            ),
            expires_at=self._now() + INVOICE_LIFETIME,
        )

    def query(self, payment_id: str, provider_ref: str | None, amount: Money) -> Report:
        if not provider_ref or not _PAYMENT_REF.fullmatch(provider_ref):
            raise ProviderRefused("no NOWPayments payment id to ask about")
        reply = self._json(self._call("GET", f"/payment/{provider_ref}"))
        try:
            found = ipn.report(reply)
        except ipn.Malformed as err:
            raise ProviderUnavailable(f"NOWPayments: unreadable status reply: {err}") from None
        if found.payment_id != payment_id:
            raise ProviderRefused("NOWPayments payment belongs to another order")
        return _verified(found)

    def _call(self, method: str, path: str, **request: Any) -> httpx.Response:
        try:
            api_key = secrets.reveal(self.settings.api_key.get_secret_value())
        except secrets.SecretUnavailable as err:
            raise ProviderUnavailable(f"SOKO_NOWPAYMENTS_API_KEY {err}") from None
        url = self.settings.base_url.rstrip("/") + path
        response = self._http.send(method, url, headers={"x-api-key": api_key}, **request)
        if 400 <= response.status_code < 500:
            reason = self._redact(_reason(response))
            raise ProviderRefused(reason, _customer_text(response.status_code, reason))
        if not 200 <= response.status_code < 300:
            raise ProviderUnavailable(f"NOWPayments: HTTP {response.status_code}")
        return response

    def _json(self, response: httpx.Response) -> Mapping[str, Any]:
        try:
            reply = sig.parse(response.content, parse_float=Decimal)
        except sig.NotJson:
            raise ProviderUnavailable("NOWPayments: reply is not JSON") from None
        if not isinstance(reply, Mapping):
            raise ProviderUnavailable("NOWPayments: reply is not a JSON object")
        return reply

    def _redact(self, text: str) -> str:
        for secret in (self.settings.api_key, self.settings.ipn_secret):
            value = secret.get_secret_value().strip()
            if value:
                text = text.replace(value, "***")
        return text

    # -- callbacks ------------------------------------------------------------------------

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        if len(body) > MAX_CALLBACK_BYTES:
            raise BadCallback("body too large")
        signature = _header(headers, sig.SIGNATURE_HEADER)
        if not signature:
            raise Unauthorized("missing signature")
        try:
            secret = secrets.reveal(self.settings.ipn_secret.get_secret_value())
        except secrets.SecretUnavailable:
            raise Unauthorized("IPN secret not configured") from None
        try:
            value = sig.parse(body)
        except sig.NotJson:
            raise BadCallback("body is not JSON") from None
        try:
            verified = sig.verify(value, secret, signature)
        except RecursionError:  # nested too deep to re-render: no IPN is shaped like that
            raise BadCallback("body nested too deep") from None
        if not verified:
            raise Unauthorized("wrong signature")
        try:
            found = ipn.report(sig.parse(body, parse_float=Decimal))
        except (ipn.Malformed, sig.NotJson) as err:
            raise BadCallback(str(err)) from None
        if path.strip("/") and path.strip("/") != found.payment_id:
            raise BadCallback("order_id does not match the callback URL")
        return _verified(found)

    def acknowledgement(self) -> tuple[object, int]:
        return {"ok": True}, 200

    def callback_key(self) -> str:
        """The key of the per-payment callback tokens: the IPN secret (another message)."""
        try:
            return secrets.reveal(self.settings.ipn_secret.get_secret_value())
        except secrets.SecretUnavailable as err:
            raise ProviderUnavailable(f"SOKO_NOWPAYMENTS_IPN_SECRET {err}") from None

    def callback_path(self, payment_id: str) -> str:
        raise NotImplementedError("payment-scoped: functions/payments/callbacks.py builds it")


def _verified(found: Report) -> Report:
    return dataclasses.replace(found, verified=True)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value.strip()
    return ""


def _customer_text(status_code: int, reason: str) -> str:
    """NOWPayments' 4xx words are for developers ("amountTo is too small"): the payer is
    told what they can do about it, and a rejected API key is ours to fix."""
    if status_code in (401, 403):
        return NOT_AVAILABLE
    if _TOO_SMALL.search(reason):
        return TOO_SMALL
    return DECLINED


def _reason(response: httpx.Response) -> str:
    """The provider's short reason for a 4xx, from its `message` when it gives one."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    text = message if isinstance(message, str) and message else response.text
    return f"NOWPayments: HTTP {response.status_code}: {text[:_REASON_CHARS]}"


def build(rt: Runtime) -> NowPaymentsRail:
    """The adapter the registry builds (the spec in functions/providers/nowpayments/)."""
    settings = NowPaymentsSettings.from_env()
    gate = shared.gate(rt, NowPaymentsRail.name, settings)
    return NowPaymentsRail(settings, now=rt.clock.now, pacer=gate)
