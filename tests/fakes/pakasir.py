"""A fake Pakasir on loopback: QRIS create, detail, payment simulation, cancel, webhooks.

Pakasir's API under `/api/...`; control under `/_fake/...` (JSON answers):

    POST /_fake/pay {"order_id"}            POST /_fake/cancel {"order_id"}
    POST /_fake/fire_webhook {"order_id", "status"?, "times"?, "delay"?, "amount"?, "to_path"?}
    POST /_fake/outage {"mode": "500" | "hang" | null}
    POST /_fake/webhook {"url"}             POST /_fake/reset
    GET  /_fake/pending_orders              GET  /_fake/deliveries

Webhooks go to the project's configured URL, synchronously unless a delay is given.
Run alone: `python -m tests.fakes.pakasir --port P --project X --api-key K [--webhook-url U]`.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx

from tests.fakes.http_server import JsonHandler, LoopbackFake, LoopbackServer

MIN_AMOUNT = 500
WIB = timezone(timedelta(hours=7), "WIB")
Json = dict[str, Any]
Outage = Literal["500", "hang"] | None


@dataclass
class Order:
    order_id: str
    amount: int
    fee: int
    payment_method: str
    payment_number: str
    expired_at: str
    status: str = "pending"
    completed_at: str | None = None

    def payment(self, project: str) -> Json:
        fields = ("order_id", "amount", "fee", "payment_method", "payment_number", "expired_at")
        return {"project": project, **{k: getattr(self, k) for k in fields}} | {
            "total_payment": self.amount + self.fee
        }

    def transaction(self, project: str) -> Json:
        fields = ("amount", "order_id", "status", "payment_method", "completed_at")
        return {"project": project, **{k: getattr(self, k) for k in fields}}


@dataclass(frozen=True)
class Delivery:
    url: str
    body: Json
    status: int | None  # None: no answer (see error)
    error: str | None = None


def default_fee(amount: int) -> int:
    return amount * 7 // 1000 + 310  # QRIS-like: 0.7% plus a flat part, whole rupiah


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def qris_string(order_id: str, total: int) -> str:
    """A dynamic EMVCo/QRIS payload with a valid CRC-16/CCITT trailer."""
    merchant = _tlv("00", "ID.CO.SOKOFAKE.WWW") + _tlv("01", "936000000000000001")
    national = _tlv("00", "ID.CO.QRIS.WWW") + _tlv("02", "ID1020000000001") + _tlv("03", "UMI")
    text = "".join((_tlv("00", "01"), _tlv("01", "12"), _tlv("26", merchant)))
    text += _tlv("51", national) + _tlv("52", "5499") + _tlv("53", "360")
    text += _tlv("54", str(total)) + _tlv("58", "ID") + _tlv("59", "SOKO FAKE STORE")
    text += _tlv("60", "JAKARTA") + _tlv("62", _tlv("05", order_id[:25])) + "6304"
    crc = 0xFFFF
    for byte in text.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return f"{text}{crc:04X}"


class FakePakasir(LoopbackFake):
    """Pakasir's API for one project, with its webhook URL set like the project setting."""

    def __init__(
        self,
        project: str = "soko-test",
        api_key: str = "fake-pakasir-api-key-0123456789",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        clock: Callable[[], float] = time.time,
        lifetime: timedelta = timedelta(minutes=30),
        fee: Callable[[int], int] = default_fee,
    ) -> None:
        self.project, self.api_key, self.webhook_url = project, api_key, webhook_url
        self.clock, self.lifetime, self.fee = clock, lifetime, fee
        self.orders: dict[str, Order] = {}
        self.deliveries: list[Delivery] = []
        self.outage_mode: Outage = None
        self.released = threading.Event()  # set: hanging requests may go
        self.released.set()
        self._lock = threading.RLock()
        self._http = LoopbackServer((host, port), _Handler, self, name="fake-pakasir")

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._http.server is not None, "start() the fake first"
        host, port = self._http.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.released.set()
        super().stop()

    # -- control --------------------------------------------------------------------------

    def set_webhook(self, url: str | None) -> None:
        self.webhook_url = url

    def outage(self, mode: Outage) -> None:
        if mode not in ("500", "hang", None):
            raise ValueError(f"unknown outage mode {mode!r}")
        self.outage_mode = mode
        (self.released.clear if mode == "hang" else self.released.set)()

    def reset(self) -> None:
        with self._lock:
            self.orders.clear()
            self.deliveries.clear()
        self.outage(None)

    def pending_orders(self) -> list[Json]:
        with self._lock:
            orders = [o for o in self.orders.values() if o.status == "pending"]
            return [o.payment(self.project) for o in orders]

    def pay(self, order_id: str) -> list[Delivery]:
        """The customer scans and pays: completed, then the webhook (if one is set)."""
        with self._lock:
            order = self._order(order_id)
            order.status = "completed"
            order.completed_at = self._now().astimezone(WIB).isoformat(timespec="milliseconds")
        return self.fire_webhook(order_id) if self.webhook_url else []

    def cancel(self, order_id: str) -> None:
        with self._lock:
            order = self._order(order_id)
            if order.status != "pending":
                raise ValueError(f"order {order_id} is {order.status}")
            order.status = "canceled"

    def fire_webhook(
        self,
        order_id: str,
        status: str = "completed",
        times: int = 1,
        delay: float = 0.0,
        amount: int | None = None,
        to_path: str | None = None,
    ) -> list[Delivery]:
        """POST the webhook body `times` times (in the background after `delay`, if any).

        `amount` forges a different amount; `to_path` replaces the URL's path (a wrong secret).
        """
        with self._lock:
            order = self._order(order_id)
            body = order.transaction(self.project) | {"status": status}
            if amount is not None:
                body["amount"] = amount
        if not self.webhook_url:
            raise RuntimeError("no webhook URL is set on the fake")
        url = self.webhook_url
        if to_path is not None:
            url = urlunsplit(urlsplit(url)._replace(path=to_path))
        if delay > 0:

            def later() -> None:
                time.sleep(delay)
                for _ in range(times):
                    self._post(url, body)

            threading.Thread(target=later, daemon=True).start()
            return []
        return [self._post(url, body) for _ in range(times)]

    def _post(self, url: str, body: Json) -> Delivery:
        try:
            with httpx.Client(timeout=10.0, trust_env=False) as client:
                delivery = Delivery(url, body, client.post(url, json=body).status_code)
        except httpx.HTTPError as err:
            delivery = Delivery(url, body, None, type(err).__name__)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def _order(self, order_id: str) -> Order:
        if order_id not in self.orders:
            raise LookupError(f"no order {order_id!r}")
        return self.orders[order_id]

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- Pakasir's API ----------------------------------------------------------------------

    def api(self, verb: str, path: str, query: str, body: bytes) -> tuple[int, Json]:
        if verb == "GET" and path == "/api/transactiondetail":
            data: Any = {k: v[0] for k, v in parse_qs(query).items()}
        else:
            try:
                data = json.loads(body or b"null")
            except ValueError:
                data = None
            if not isinstance(data, dict):
                return 400, {"error": "invalid request body"}
        if data.get("project") != self.project:
            return 404, {"error": "project not found"}
        if data.get("api_key") != self.api_key:
            return 401, {"error": "invalid api key"}
        with self._lock:
            if verb == "POST" and path.startswith("/api/transactioncreate/"):
                return self._create(path.removeprefix("/api/transactioncreate/"), data)
            order = self.orders.get(str(data.get("order_id")))
            if order is None or str(data.get("amount")) != str(order.amount):
                return 404, {"error": "transaction not found"}
            if verb == "GET" and path == "/api/transactiondetail":
                return 200, {"transaction": order.transaction(self.project)}
            if verb == "POST" and path == "/api/transactioncancel":
                if order.status != "pending":
                    return 400, {"error": f"transaction is {order.status}"}
                order.status = "canceled"
                return 200, {"success": True}
        if verb == "POST" and path == "/api/paymentsimulation":
            self.pay(order.order_id)
            return 200, {"success": True}
        return 404, {"error": "not found"}

    def _create(self, method: str, data: Json) -> tuple[int, Json]:
        amount, order_id = data.get("amount"), data.get("order_id")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < MIN_AMOUNT:
            return 400, {"error": f"amount must be an integer of at least {MIN_AMOUNT}"}
        if not isinstance(order_id, str) or not order_id or method != "qris":
            return 400, {"error": "invalid order_id or payment method"}
        existing = self.orders.get(order_id)
        if existing is not None:  # the same request again: the same payment
            if existing.amount != amount or existing.status != "pending":
                return 400, {"error": "order_id already used"}
            return 200, {"payment": existing.payment(self.project)}
        fee = self.fee(amount)
        expires = self._now() + self.lifetime
        stamp = f"{expires:%Y-%m-%dT%H:%M:%S}.{expires.microsecond:06d}123Z"  # nanoseconds
        order = Order(order_id, amount, fee, method, qris_string(order_id, amount + fee), stamp)
        self.orders[order_id] = order
        return 200, {"payment": order.payment(self.project)}

    def control(self, verb: str, route: str, body: bytes) -> tuple[int, Any]:
        try:
            data = json.loads(body) if body else {}
            if verb == "GET" and route == "pending_orders":
                return 200, self.pending_orders()
            if verb == "GET" and route == "deliveries":
                return 200, [asdict(d) for d in self.deliveries]
            if verb != "POST" or not isinstance(data, dict):
                return 404, {"ok": False, "description": f"no route {verb} /_fake/{route}"}
            if route == "pay":
                return 200, {
                    "ok": True,
                    "deliveries": [asdict(d) for d in self.pay(data["order_id"])],
                }
            if route == "fire_webhook":
                return 200, {
                    "ok": True,
                    "deliveries": [asdict(d) for d in self.fire_webhook(**data)],
                }
            actions: dict[str, Callable[[], None]] = {
                "cancel": lambda: self.cancel(data["order_id"]),
                "outage": lambda: self.outage(data.get("mode")),
                "webhook": lambda: self.set_webhook(data.get("url")),
                "reset": self.reset,
            }
            if route not in actions:
                return 404, {"ok": False, "description": f"no route {verb} /_fake/{route}"}
            actions[route]()
            return 200, {"ok": True}
        except (KeyError, TypeError, ValueError, LookupError, RuntimeError) as err:
            return 400, {"ok": False, "description": f"{type(err).__name__}: {err}"}


class _Handler(JsonHandler[FakePakasir]):
    log_name = ""  # quiet, verbose or not: the query has the key

    def respond(self) -> None:
        fake, url = self.fake, urlsplit(self.path)
        body = self.read_body()
        if url.path.startswith("/_fake/"):
            status, payload = fake.control(self.command, url.path[7:].strip("/"), body)
        elif fake.outage_mode == "hang":
            fake.released.wait(timeout=60)
            self.close_connection = True
            return
        elif fake.outage_mode == "500":
            status, payload = 500, {"error": "internal server error"}
        else:
            try:
                status, payload = fake.api(self.command, url.path, url.query, body)
            except Exception as err:  # a bug in the fake: say so rather than drop the socket
                status, payload = 500, {"error": f"fake bug: {type(err).__name__}"}
        self.send_json(status, payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake Pakasir until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--project", default="soko-test")
    parser.add_argument("--api-key", default="fake-pakasir-api-key-0123456789")
    parser.add_argument("--webhook-url")
    args = parser.parse_args(argv)
    fake = FakePakasir(
        args.project, args.api_key, host=args.host, port=args.port, webhook_url=args.webhook_url
    )
    with fake:
        print(f"fake-pakasir: {fake.base_url} project={args.project}", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):  # SIGINT may be ignored when backgrounded
            signal.signal(sig, lambda _sig, _frame: stop.set())
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
