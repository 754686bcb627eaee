"""A fake NOWPayments API on loopback that also plays the payer and sends signed IPNs.

    with FakeNowPayments(api_key="k", ipn_secret="s") as fake:
        rail = NowPaymentsRail(NowPaymentsSettings(base_url=fake.base_url, ...))
        started = rail.start(request)                # POST /v1/invoice
        fake.pay(started.provider_ref)               # IPNs to the invoice's ipn_callback_url
        fake.callbacks                               # what each IPN delivery got back

`python -m tests.fakes.nowpayments --port P --api-key K --ipn-secret S` serves until SIGINT;
the HTTP control API is described in tests/fakes/nowpayments_server.py.
"""

from __future__ import annotations

import argparse
import itertools
import random
import threading
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from tests.fakes.http_server import LoopbackFake, LoopbackServer
from tests.fakes.nowpayments_payer import FLOW, Callback, Payer
from tests.fakes.nowpayments_server import Answer, Handler, _error

__all__ = ["FLOW", "Callback", "FakeNowPayments", "main"]


def _positive(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number > 0 else None


class FakeNowPayments(Payer, LoopbackFake):
    def __init__(
        self,
        api_key: str = "fake-api-key",
        ipn_secret: str = "fake-ipn-secret",  # noqa: S107
        *,
        port: int = 0,
        rate: Decimal = Decimal("0.0000125"),  # BTC per unit of the price currency
        min_price_amount: Decimal = Decimal("1"),
        hang_seconds: float = 30.0,
        verbose: bool = False,
        seed: int = 0,
    ) -> None:
        self.api_key, self.ipn_secret = api_key, ipn_secret
        self.rate, self.min_price_amount, self.hang_seconds = rate, min_price_amount, hang_seconds
        self.invoices: dict[str, dict[str, Any]] = {}
        self.payments: dict[int, dict[str, Any]] = {}
        self.callbacks: list[Callback] = []
        self.outage_mode: str | None = None
        self._random = random.Random(seed)
        self._ids = itertools.count(5_000_000_001)
        self._lock = threading.RLock()
        self._released = threading.Event()
        self._http = LoopbackServer(
            ("127.0.0.1", port), Handler, self, name="fake-nowpayments", verbose=verbose
        )
        self._http.bind()  # now: base_url is known before start(), and stays after stop()
        self._base_url = f"{self._http.url}/v1"

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._base_url

    def stop(self) -> None:
        self._released.set()
        super().stop()
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    def outage(self, mode: Literal["500", "hang"] | None) -> None:
        """Answer the API with 500s, hang without answering, or (None) work again."""
        if mode not in ("500", "hang", None):
            raise ValueError(f"unknown outage {mode!r}")
        self.outage_mode = mode
        (self._released.clear if mode == "hang" else self._released.set)()

    def wait_out_outage(self) -> bool:
        """False when a request is to be dropped unanswered (after hanging a while)."""
        if self.outage_mode != "hang":
            return True
        self._released.wait(self.hang_seconds)  # until the outage ends or the fake stops
        return False

    def serve(self) -> None:
        """Serve in this thread until KeyboardInterrupt (SIGINT)."""
        try:
            self._http.bind().serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._released.set()
            self._http.stop()

    def reset(self) -> None:
        with self._lock:
            self.invoices.clear()
            self.payments.clear()
            self.callbacks.clear()
        self.outage(None)

    # -- the API ---------------------------------------------------------------------------

    def create_invoice(self, data: Any) -> Answer:
        if not isinstance(data, dict):
            return _error(400, "INVALID_REQUEST_PARAMS", "body must be an object")
        price = _positive(data.get("price_amount"))
        currency, url, order_id = (
            data.get(k) for k in ("price_currency", "ipn_callback_url", "order_id")
        )
        if price is None:
            return _error(400, "INVALID_REQUEST_PARAMS", '"price_amount" must be positive')
        if price < self.min_price_amount:
            return _error(400, "AMOUNT_MINIMAL_ERROR", "amountTo is too small")
        if not isinstance(currency, str) or not currency.isalpha():
            return _error(400, "INVALID_REQUEST_PARAMS", '"price_currency" is required')
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return _error(400, "INVALID_REQUEST_PARAMS", '"ipn_callback_url" must be a URL')
        if not isinstance(order_id, str) or not order_id:
            return _error(400, "INVALID_REQUEST_PARAMS", '"order_id" is required')
        with self._lock:
            invoice_id = str(next(self._ids))
            invoice = {
                "id": invoice_id,
                "order_id": order_id,
                "order_description": data.get("order_description"),
                "price_amount": str(data["price_amount"]),
                "price_currency": currency.lower(),
                "pay_currency": data.get("pay_currency"),
                "ipn_callback_url": url,
                "invoice_url": f"{self.base_url.removesuffix('/v1')}/payment/?iid={invoice_id}",
            }
            self.invoices[invoice_id] = invoice
        return 200, invoice

    def payment_status(self, payment_id: str) -> Answer:
        with self._lock:
            payment = self.payments.get(int(payment_id)) if payment_id.isdigit() else None
            if payment is None:
                return _error(404, "PAYMENT_NOT_FOUND", f"Payment {payment_id[:20]} not found")
            return 200, self.payment_body(payment["payment_id"])

    def payment_body(self, payment_id: int, status: str | None = None) -> dict[str, Any]:
        """The status reply (and IPN body) for a payment, as JSON numbers like the real one."""
        p = self.payments[payment_id]
        invoice = self.invoices[p["invoice_id"]]
        status = status or p["status"]
        paid = Decimal(0) if status == "waiting" else p["actually_paid"]
        amounts = {"pay_amount": p["pay_amount"], "actually_paid": paid}
        return {
            "payment_id": payment_id,
            "parent_payment_id": p["parent_payment_id"],
            "invoice_id": int(p["invoice_id"]),
            "payment_status": status,
            "pay_address": f"fake-address-{payment_id}",
            "price_amount": float(invoice["price_amount"]),
            "price_currency": invoice["price_currency"],
            **{k: float(v) for k, v in amounts.items()},
            "actually_paid_at_fiat": 0,
            "pay_currency": p["pay_currency"],
            "order_id": invoice["order_id"],
            "order_description": invoice["order_description"],
            "purchase_id": f"p{payment_id}",
            "outcome_amount": float(paid),
            "outcome_currency": p["pay_currency"],
            "fee": {"currency": p["pay_currency"], "depositFee": 0, "serviceFee": 0},
        }

    def _invoice(self, key: str) -> dict[str, Any]:
        with self._lock:
            if key in self.invoices:
                return self.invoices[key]
            for invoice in reversed(self.invoices.values()):
                if invoice["order_id"] == key:
                    return invoice
        raise KeyError(f"no invoice or order {key!r}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="fake-api-key")
    parser.add_argument("--ipn-secret", default="fake-ipn-secret")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    fake = FakeNowPayments(args.api_key, args.ipn_secret, port=args.port, verbose=args.verbose)
    print(f"fake NOWPayments on {fake.base_url}", flush=True)
    fake.serve()


if __name__ == "__main__":
    main()
