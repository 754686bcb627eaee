"""`FakeFlutterwave`: Flutterwave v3 charges on loopback, and the payer. What payments.md says
it does: Bearer secret key on every call; `POST /v3/charges?type=…` (mpesa answers with the
pending charge; the other mobile-money types with `meta.authorization.redirect`, a page to
confirm on); `POST /v3/payments` a hosted link; a duplicate tx_ref refused; verification by
id and by tx_ref; `charge.completed` webhooks to the account's one URL, carrying the secret
hash as `verif-hash` (or `flutterwave-signature`, HMAC of the body).

    POST /_fake/pay     {"tx_ref", "amount"?, "currency"?}    POST /_fake/fail {"tx_ref"}
    POST /_fake/webhook {"tx_ref", "times"?, "delay"?, "signature"?: "verif-hash"|"hmac"|"none"}
    POST /_fake/outage  {"mode", "calls"?}    GET /_fake/pending    GET /_fake/charges

A hosted link is paid like a charge: the payer pays its tx_ref.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.fakes.http_server import LoopbackServer
from tests.fakes.mobile_money import (
    Answer,
    Delivery,
    Handler,
    Json,
    MobileMoneyFake,
    utcnow,
)

TYPES = {
    "mpesa": "KES",
    "mobile_money_uganda": "UGX",
    "mobile_money_ghana": "GHS",
    "mobile_money_rwanda": "RWF",
    "mobile_money_zambia": "ZMW",
    "mobile_money_tanzania": "TZS",
    "mobile_money_franco": "XAF XOF",
}


@dataclass
class Charge:
    id: int
    tx_ref: str
    amount: Decimal
    currency: str
    phone: str
    payment_type: str
    created_at: datetime
    status: str = "pending"
    paid_amount: Decimal | None = None
    paid_currency: str | None = None

    @property
    def flw_ref(self) -> str:
        return f"FLW-MOCK-{self.id:08d}"

    def data(self) -> Json:
        amount = self.paid_amount if self.paid_amount is not None else self.amount
        return {
            "id": self.id,
            "tx_ref": self.tx_ref,
            "flw_ref": self.flw_ref,
            "amount": amount,
            "charged_amount": amount,
            "currency": self.paid_currency or self.currency,
            "status": self.status,
            "payment_type": self.payment_type,
            "customer": {"phone_number": self.phone},
        }


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def dumps(payload: Any) -> bytes:
    """JSON as Flutterwave writes it: amounts as numbers."""
    return json.dumps(payload, cls=_Encoder).encode()


class FlutterwaveHandler(Handler):
    def encode(self, payload: Any) -> bytes:
        return json.dumps(payload, cls=_Encoder).encode()


class FakeFlutterwave(MobileMoneyFake):
    def __init__(
        self,
        secret_key: str = "FLWSECK_TEST-fake",  # noqa: S107
        secret_hash: str = "fake-flutterwave-secret-hash",  # noqa: S107
        webhook_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(clock)
        self.secret_key, self.secret_hash, self.webhook_url = secret_key, secret_hash, webhook_url
        self.charges: dict[str, Charge] = {}  # by tx_ref
        self._ids = itertools.count(4_100_000)
        self._http = LoopbackServer((host, port), FlutterwaveHandler, self, name="fake-flutterwave")

    # -- the payer's side -------------------------------------------------------------------

    def settle(
        self, tx_ref: str, status: str, amount: str | None = None, currency: str | None = None
    ) -> Charge:
        with self.lock:
            charge = self.charges[tx_ref]
            charge.status = status
            charge.paid_amount = Decimal(amount) if amount is not None else None
            charge.paid_currency = currency
            return charge

    def event(self, tx_ref: str) -> Json:
        with self.lock:
            return {"event": "charge.completed", "data": self.charges[tx_ref].data()}

    def webhook(
        self, tx_ref: str, times: int = 1, delay: float = 0.0, signature: str = "verif-hash"
    ) -> list[Delivery]:
        if self.webhook_url is None:
            return []
        payload = json.loads(json.dumps(self.event(tx_ref), cls=_Encoder))
        return self.send(
            self.webhook_url, payload, headers=self.signed(json.dumps(payload).encode(), signature),
            times=times, delay=delay,
        )  # fmt: skip

    def signed(self, body: bytes, signature: str = "verif-hash") -> dict[str, str]:
        """The headers Flutterwave sends with this exact body."""
        if signature == "verif-hash":
            return {"verif-hash": self.secret_hash}
        if signature == "hmac":
            mac = hmac.new(self.secret_hash.encode(), body, hashlib.sha256).digest()
            return {"flutterwave-signature": base64.b64encode(mac).decode()}
        return {}

    # -- the API ----------------------------------------------------------------------------

    def api(
        self, verb: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        if headers.get("authorization") != f"Bearer {self.secret_key}":
            return 401, {"status": "error", "message": "Invalid authorization key", "data": None}
        if verb == "POST" and path == "/v3/charges":
            return self._charge(query.get("type", ""), body)
        if verb == "POST" and path == "/v3/payments":
            return self._link(body)
        if verb == "GET" and path == "/v3/transactions/verify_by_reference":
            found = self.charges.get(query.get("tx_ref", ""))
            return self._verified(found)
        if verb == "GET" and path.startswith("/v3/transactions/") and path.endswith("/verify"):
            wanted = path.removeprefix("/v3/transactions/").removesuffix("/verify")
            found = next((c for c in self.charges.values() if str(c.id) == wanted), None)
            return self._verified(found)
        return 404, {"status": "error", "message": f"no {verb} {path}", "data": None}

    def _verified(self, found: Charge | None) -> Answer:
        if found is None:
            return 404, {"status": "error", "message": "No transaction was found", "data": None}
        return 200, {
            "status": "success",
            "message": "Transaction fetched successfully",
            "data": found.data(),
        }

    def _parsed(self, body: bytes, kind: str, currencies: str) -> tuple[Charge | None, str]:
        try:
            data = json.loads(body, parse_float=Decimal)
        except ValueError:
            return None, "Invalid JSON"
        if not isinstance(data, dict):
            return None, "Invalid JSON"
        given = data.get("customer")
        customer: Json = given if isinstance(given, dict) else {}
        tx_ref, code = data.get("tx_ref"), data.get("currency")
        email = data.get("email") or customer.get("email")  # a hosted link's is the customer's
        try:
            amount = Decimal(str(data.get("amount")))
        except ArithmeticError:
            return None, "amount is required"
        if (
            not isinstance(tx_ref, str)
            or not tx_ref
            or not isinstance(email, str)
            or "@" not in email
        ):
            return None, "tx_ref and email are required"
        if not amount.is_finite() or amount <= 0:
            return None, "Invalid amount"
        if not isinstance(code, str) or code not in currencies.split():
            return None, f"Invalid currency {code} for {kind}"
        if tx_ref in self.charges:
            return None, "Duplicate transaction reference"
        phone = data.get("phone_number") or customer.get("phonenumber") or ""
        if kind != "card" and (not isinstance(phone, str) or not phone.isdigit()):
            return None, "phone_number is required"
        if kind in ("mobile_money_uganda", "mobile_money_ghana") and not data.get("network"):
            return None, "network is required"
        charge = Charge(next(self._ids), tx_ref, amount, code, str(phone), kind, self.clock())
        return charge, ""

    def _charge(self, kind: str, body: bytes) -> Answer:
        if kind not in TYPES:
            return 400, {"status": "error", "message": f"Invalid charge type {kind}", "data": None}
        charge, problem = self._parsed(body, kind, TYPES[kind])
        if charge is None:
            return 400, {"status": "error", "message": problem, "data": None}
        self.charges[charge.tx_ref] = charge
        if kind == "mpesa":
            return 200, {"status": "success", "message": "Charge initiated", "data": charge.data()}
        redirect = f"{self.base_url}/_fake/authorize/{charge.id}"
        meta = {"authorization": {"redirect": redirect, "mode": "redirect"}}
        return 200, {"status": "success", "message": "Charge initiated", "meta": meta}

    def _link(self, body: bytes) -> Answer:
        charge, problem = self._parsed(body, "card", "NGN KES UGX GHS USD ZMW RWF TZS XAF XOF")
        if charge is None:
            return 400, {"status": "error", "message": problem, "data": None}
        self.charges[charge.tx_ref] = charge
        link = f"{self.base_url}/_fake/hosted/{charge.tx_ref}"
        return 200, {"status": "success", "message": "Hosted Link", "data": {"link": link}}

    # -- control ----------------------------------------------------------------------------

    def command(self, verb: str, route: str, data: Json) -> Json:
        if verb == "GET" and route in ("pending", "charges"):
            with self.lock:
                shown = [
                    {"externalId": c.tx_ref, **json.loads(json.dumps(c.data(), cls=_Encoder))}
                    for c in self.charges.values()
                    if route == "charges" or c.status == "pending"
                ]
            return {"requests": shown}
        tx_ref = str(data.get("tx_ref") or data.get("external_id"))
        if route in ("pay", "fail"):
            status = "successful" if route == "pay" else "failed"
            charge = self.settle(tx_ref, status, data.get("amount"), data.get("currency"))
            settled = {
                "externalId": tx_ref,
                "amount": str(charge.amount),
                "currency": charge.currency,
            }
            return {"request": settled}
        if route in ("webhook", "callback"):
            sent = self.webhook(
                tx_ref, int(data.get("times", 1)), float(data.get("delay", 0)),
                str(data.get("signature", "verif-hash")),
            )  # fmt: skip
            return {"answered": [d.answered for d in sent]}
        raise LookupError(f"no control route {route!r}")
