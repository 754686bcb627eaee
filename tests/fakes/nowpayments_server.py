"""HTTP for FakeNowPayments: `/v1/invoice`, `/v1/payment/<id>`, and control under `/_fake/`.

POST /_fake/pay             {"invoice", "statuses"?, "actually_paid"?, "rendering"?,
                             "duplicate"?, "order"?, "delay"?, "pay_currency"?}
POST /_fake/partially_pay   {"invoice", "actually_paid"?, ...same options}
POST /_fake/repeat_deposit  {"payment_id", "actually_paid"?, ...same options}
POST /_fake/fire            {"payment_id", "status", "signature"?, "tamper"?, "rendering"?}
POST /_fake/outage          {"mode": "500" | "hang" | null}
POST /_fake/reset
GET  /_fake/callbacks   GET /_fake/invoices   GET /_fake/payments
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from tests.fakes.http_server import JsonHandler

if TYPE_CHECKING:
    from tests.fakes.nowpayments import FakeNowPayments

Answer = tuple[int, Any]
_PAY_OPTIONS = {"statuses", "actually_paid", "rendering", "duplicate", "order", "delay"}
_PAY_OPTIONS |= {"pay_currency"}


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"status": False, "statusCode": status, "code": code, "message": message}


class Handler(JsonHandler["FakeNowPayments"]):
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls
    server_version = "nginx"
    sys_version = ""
    log_name = "fake-nowpayments"
    content_type = "application/json; charset=utf-8"

    def respond(self) -> None:
        body = self.read_body()
        fake = self.fake
        path = self.path.split("?", 1)[0]
        try:
            if path.startswith("/_fake/"):
                answer = control(fake, self.command, path.removeprefix("/_fake/").strip("/"), body)
            else:
                if not fake.wait_out_outage():
                    self.close_connection = True  # "hang": the client times out first
                    return
                answer = self._api(fake, path, body)
        except Exception as error:  # a bug in the fake: say so instead of dropping the socket
            answer = _error(500, "FAKE_BUG", f"{type(error).__name__}: {error}")
        self.send_json(*answer)

    def _api(self, fake: FakeNowPayments, path: str, body: bytes) -> Answer:
        if fake.outage_mode == "500":
            return _error(500, "INTERNAL_ERROR", "Internal server error")
        if self.headers.get("x-api-key") != fake.api_key:
            return _error(403, "INVALID_API_KEY", "Invalid api key")
        if self.command == "POST" and path == "/v1/invoice":
            try:
                data = json.loads(body)
            except ValueError:
                return _error(400, "INVALID_REQUEST_PARAMS", "body is not JSON")
            return fake.create_invoice(data)
        if self.command == "GET" and path.startswith("/v1/payment/"):
            return fake.payment_status(path.removeprefix("/v1/payment/"))
        return _error(404, "NOT_FOUND", f"Cannot {self.command} {path}")


def _options(data: dict[str, Any]) -> dict[str, Any]:
    options = {k: v for k, v in data.items() if k in _PAY_OPTIONS}
    if "statuses" in options:
        options["statuses"] = tuple(options["statuses"])
    return options


def control(fake: FakeNowPayments, verb: str, route: str, body: bytes) -> Answer:
    """Serve `/_fake/<route>`; a request the fake cannot carry out gets 400."""
    try:
        data: dict[str, Any] = json.loads(body) if body else {}
        if verb == "GET" and route == "callbacks":
            return 200, [asdict(c) for c in fake.callbacks]
        if verb == "GET" and route == "invoices":
            return 200, list(fake.invoices.values())
        if verb == "GET" and route == "payments":
            return 200, [fake.payment_body(p) for p in fake.payments]
        if verb != "POST":
            return _error(404, "NOT_FOUND", route)
        if route == "pay":
            payment_id = fake.pay(data["invoice"], **_options(data))
        elif route == "partially_pay":
            payment_id = fake.partially_pay(data["invoice"], **_options(data))
        elif route == "repeat_deposit":
            payment_id = fake.repeat_deposit(data["payment_id"], **_options(data))
        elif route == "fire":
            options = {k: data[k] for k in ("signature", "tamper", "rendering") if k in data}
            callback = fake.fire(int(data["payment_id"]), str(data["status"]), **options)
            return 200, asdict(callback)
        elif route == "outage":
            fake.outage(data.get("mode"))
            return 200, {"ok": True}
        elif route == "reset":
            fake.reset()
            return 200, {"ok": True}
        else:
            return _error(404, "NOT_FOUND", route)
        callbacks = [asdict(c) for c in fake.callbacks if c.payment_id == payment_id]
        return 200, {"payment_id": payment_id, "callbacks": callbacks}
    except (KeyError, TypeError, ValueError) as error:
        return _error(400, "FAKE_BAD_REQUEST", f"{type(error).__name__}: {error}")
