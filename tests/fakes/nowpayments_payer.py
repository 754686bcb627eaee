"""The payer side of FakeNowPayments: payments for invoices and their signed IPNs.

Each IPN goes over real HTTP to the invoice's ipn_callback_url, signed with the IPN secret
in the Python or the JavaScript rendering; what the receiver answered is kept in `callbacks`.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import httpx

from functions.providers.nowpayments.sig import SIGNATURE_HEADER, Rendering, sign

FLOW = ("waiting", "confirming", "confirmed", "sending", "finished")
Signature = Literal["valid", "wrong", "missing"]
Order = Literal["as_given", "shuffled", "reversed"]
SATOSHI = Decimal("0.00000001")


@dataclass(frozen=True)
class Callback:
    """One IPN delivery and what the receiver answered (http_status 0: no answer)."""

    payment_id: int
    status: str
    url: str
    signature: str
    rendering: str
    http_status: int
    response: str


class Payer:
    """Mixed into FakeNowPayments, which provides the state and the status body."""

    ipn_secret: str
    rate: Decimal
    invoices: dict[str, dict[str, Any]]
    payments: dict[int, dict[str, Any]]
    callbacks: list[Callback]
    _lock: threading.RLock
    _ids: itertools.count[int]
    _random: random.Random
    _sender: httpx.Client | None = None  # made on the first IPN, closed by stop()

    def payment_body(self, payment_id: int, status: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def _invoice(self, key: str) -> dict[str, Any]:
        raise NotImplementedError

    def pay(
        self,
        invoice_or_order: str | int,
        statuses: Sequence[str] = FLOW,
        actually_paid: Decimal | str | None = None,
        *,
        rendering: Rendering = "python",
        duplicate: int = 1,
        order: Order = "as_given",
        delay: float = 0.0,
        pay_currency: str = "btc",
        parent_payment_id: int | None = None,
    ) -> int:
        """Create a payment for the invoice and send an IPN per status; the payment id."""
        invoice = self._invoice(str(invoice_or_order))
        pay_amount = (Decimal(invoice["price_amount"]) * self.rate).quantize(SATOSHI)
        with self._lock:
            payment_id = next(self._ids)
            self.payments[payment_id] = {
                "payment_id": payment_id,
                "invoice_id": invoice["id"],
                "parent_payment_id": parent_payment_id,
                "status": statuses[-1] if statuses else "waiting",  # where the flow ends
                "pay_amount": pay_amount,
                "actually_paid": pay_amount if actually_paid is None else Decimal(actually_paid),
                "pay_currency": pay_currency,
            }
        deliveries = [s for s in statuses for _ in range(duplicate)]
        if order == "shuffled":
            self._random.shuffle(deliveries)
        elif order == "reversed":
            deliveries.reverse()
        for status in deliveries:
            time.sleep(delay)
            self._deliver(payment_id, status, rendering=rendering)
        return payment_id

    def partially_pay(
        self,
        invoice_or_order: str | int,
        actually_paid: Decimal | str | None = None,
        **options: Any,
    ) -> int:
        """Pay less than asked: waiting, confirming, partially_paid (default: half)."""
        if actually_paid is None:
            price = Decimal(self._invoice(str(invoice_or_order))["price_amount"])
            actually_paid = ((price * self.rate) / 2).quantize(SATOSHI)
        statuses = options.pop("statuses", ("waiting", "confirming", "partially_paid"))
        return self.pay(invoice_or_order, statuses, actually_paid, **options)

    def repeat_deposit(
        self, payment_id: int, actually_paid: Decimal | str | None = None, **options: Any
    ) -> int:
        """A second deposit to the payment's address: a new payment with parent_payment_id."""
        invoice_id = self.payments[int(payment_id)]["invoice_id"]
        statuses = options.pop("statuses", ("confirming", "finished"))
        return self.pay(
            invoice_id, statuses, actually_paid, parent_payment_id=int(payment_id), **options
        )

    def fire(
        self,
        payment_id: int,
        status: str,
        signature: Signature = "valid",
        tamper: dict[str, Any] | None = None,
        rendering: Rendering = "python",
    ) -> Callback:
        """Send one IPN now (the payment's status becomes `status`); `tamper` after signing."""
        with self._lock:
            self.payments[payment_id]["status"] = status
        return self._deliver(payment_id, status, signature, tamper, rendering)

    def ipn(
        self,
        payment_id: int,
        status: str,
        signature: Signature = "valid",
        tamper: dict[str, Any] | None = None,
        rendering: Rendering = "python",
    ) -> tuple[str, bytes, dict[str, str]]:
        """The (url, body, headers) of an IPN, without sending it."""
        body = self.payment_body(payment_id, status)
        secret = self.ipn_secret if signature == "valid" else "not-" + self.ipn_secret
        headers = {"content-type": "application/json"}
        if signature != "missing":
            headers[SIGNATURE_HEADER] = sign(body, secret, rendering)
        body.update(tamper or {})
        data = json.dumps(body, ensure_ascii=rendering == "python").encode()
        return (
            self._invoice(self.payments[payment_id]["invoice_id"])["ipn_callback_url"],
            data,
            headers,
        )

    def sign_body(self, body: bytes, rendering: Rendering = "python") -> dict[str, str]:
        """Headers signing arbitrary JSON bytes with the IPN secret, as a sender would."""
        return {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(json.loads(body), self.ipn_secret, rendering),
        }

    def _deliver(
        self,
        payment_id: int,
        status: str,
        signature: Signature = "valid",
        tamper: dict[str, Any] | None = None,
        rendering: Rendering = "python",
    ) -> Callback:
        url, body, headers = self.ipn(payment_id, status, signature, tamper, rendering)
        try:
            if self._sender is None:
                self._sender = httpx.Client(timeout=5.0)
            response = self._sender.post(url, content=body, headers=headers)
            answer = (response.status_code, response.text[:500])
        except httpx.HTTPError as error:
            answer = (0, type(error).__name__)
        callback = Callback(payment_id, status, url, signature, rendering, *answer)
        with self._lock:
            self.callbacks.append(callback)
        return callback
