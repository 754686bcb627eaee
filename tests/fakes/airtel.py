"""`FakeAirtel`: Airtel Money Collections on loopback, and the payer's phone. What payments.md
says the API does: a client-credentials token whose `expires_in` is a short string, every
call checked for its Bearer token, X-Country and X-Currency; a USSD push acknowledged with
DP00800001006; an enquiry answering TIP until the payer acts (TA when told to be unsure);
callbacks POSTed to the app's one callback URL, with a `hash` when a key is set.

    POST /_fake/pay       {"id"}           POST /_fake/fail {"id"}   (TF)
    POST /_fake/expire    {"id"}  (TE)     POST /_fake/ambiguous {"id"}  (TA)
    POST /_fake/callback  {"id", "times"?, "delay"?, "hash"?: false}
    POST /_fake/outage    {"mode", "calls"?}   POST /_fake/revoke_tokens
    GET  /_fake/pending   the pushes still waiting on a phone

`id` is our payment id (Airtel's transaction id).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from functions.providers.airtel.wire import sign
from tests.fakes.http_server import LoopbackServer
from tests.fakes.mobile_money import (
    Answer,
    Delivery,
    Handler,
    Json,
    MobileMoneyFake,
    Tokens,
    json_body,
    utcnow,
)

TOKEN_PATH = "/auth/oauth2/token"
PAY_PATH = "/merchant/v1/payments/"
ENQUIRY_PATH = "/standard/v1/payments/"
MESSAGES = {
    "TIP": "Transaction in progress",
    "TS": "Paid successfully",
    "TF": "Transaction failed",
    "TE": "Transaction expired",
    "TA": "Transaction ambiguous",
}


def _status(success: bool, response_code: str, message: str, http: str = "200") -> Json:
    return {
        "code": http,
        "message": message,
        "result_code": "ESB000010" if success else "ESB000001",
        "response_code": response_code,
        "success": success,
    }


@dataclass
class Push:
    id: str
    amount: int
    msisdn: str
    created_at: datetime
    status: str = "TIP"
    money_id: str | None = None

    def transaction(self) -> Json:
        body: Json = {"id": self.id, "message": MESSAGES[self.status], "status_code": self.status}
        if self.money_id:
            body["airtel_money_id"] = self.money_id
        return body


class FakeAirtel(MobileMoneyFake):
    def __init__(
        self,
        client_id: str = "fake-airtel-client",
        client_secret: str = "fake-airtel-secret",  # noqa: S107
        country: str = "UG",
        currency: str = "UGX",
        callback_url: str | None = None,
        hash_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(clock)
        self.client_id, self.client_secret = client_id, client_secret
        self.country, self.currency = country, currency
        self.callback_url, self.hash_key = callback_url, hash_key
        self.tokens = Tokens(clock, lifetime=timedelta(seconds=180))
        self.pushes: dict[str, Push] = {}
        self._http = LoopbackServer((host, port), Handler, self, name="fake-airtel")

    # -- the payer's side -------------------------------------------------------------------

    def settle(self, transaction_id: str, status: str) -> Push:
        with self.lock:
            push = self.pushes[transaction_id]
            push.status = status
            if status == "TS":
                push.money_id = f"MP{secrets.randbelow(10**10):010d}"
            return push

    def callback(
        self, transaction_id: str, times: int = 1, delay: float = 0.0, hashed: bool = True
    ) -> list[Delivery]:
        if self.callback_url is None:
            return []
        with self.lock:
            transaction = self.pushes[transaction_id].transaction()
        if transaction["status_code"] in ("TIP", "TA"):
            raise LookupError(f"{transaction_id} is not settled: Airtel calls back once it is")
        if transaction["status_code"] == "TE":
            transaction["status_code"] = "TF"  # callbacks say TS or TF only
        payload: Json = {"transaction": transaction}
        if self.hash_key and hashed:
            payload["hash"] = sign(self.hash_key, transaction)
        return self.send(self.callback_url, payload, times=times, delay=delay)

    # -- the API ----------------------------------------------------------------------------

    def api(
        self, verb: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        if verb == "POST" and path == TOKEN_PATH:
            return self._token(body)
        if not self.tokens.valid(headers.get("authorization")):
            return 401, {"status": _status(False, "DP00800001000", "Unauthorized", "401")}
        if headers.get("x-country") != self.country or headers.get("x-currency") != self.currency:
            return 400, {
                "status": _status(False, "DP00800001008", "Invalid country or currency", "400")
            }
        if verb == "POST" and path == PAY_PATH:
            return self._push(body)
        if verb == "GET" and path.startswith(ENQUIRY_PATH):
            push = self.pushes.get(path.removeprefix(ENQUIRY_PATH).strip("/"))
            if push is None:
                return 404, {
                    "status": _status(False, "DP00800001010", "Transaction not found", "404")
                }
            tx = push.transaction()
            tx["status"] = tx.pop("status_code")
            return 200, {
                "data": {"transaction": tx},
                "status": _status(True, "DP00800001001", "SUCCESS"),
            }
        return 404, {"status": _status(False, "", f"no {verb} {path}", "404")}

    def _token(self, raw: bytes) -> Answer:
        body = json_body(raw) or {}
        if (body.get("client_id"), body.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {"error": "invalid_client", "error_description": "Invalid client"}
        if body.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        token, lifetime = self.tokens.mint()
        return 200, {"access_token": token, "expires_in": str(lifetime), "token_type": "bearer"}

    def _push(self, raw: bytes) -> Answer:
        body = json_body(raw) or {}
        subscriber, transaction = body.get("subscriber"), body.get("transaction")
        if not isinstance(subscriber, dict) or not isinstance(transaction, dict):
            return 400, {"status": _status(False, "DP00800001003", "Invalid request", "400")}
        msisdn, amount, tx_id = (
            subscriber.get("msisdn"),
            transaction.get("amount"),
            transaction.get("id"),
        )
        if not isinstance(msisdn, str) or not msisdn.isdigit() or len(msisdn) != 9:
            return 400, {"status": _status(False, "DP00800001003", "Invalid msisdn", "400")}
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            return 400, {"status": _status(False, "DP00800001003", "Invalid amount", "400")}
        if transaction.get("currency") != self.currency or not isinstance(tx_id, str):
            return 400, {"status": _status(False, "DP00800001003", "Invalid transaction", "400")}
        if tx_id in self.pushes:
            return 400, {
                "status": _status(False, "DP00800001002", "Duplicate transaction id", "400")
            }
        self.pushes[tx_id] = Push(tx_id, amount, msisdn, self.clock())
        data = {"transaction": {"id": tx_id, "status": "Success."}}
        return 200, {"data": data, "status": _status(True, "DP00800001006", "Success.")}

    # -- control ----------------------------------------------------------------------------

    def command(self, verb: str, route: str, data: Json) -> Json:
        if verb == "GET" and route == "pending":
            with self.lock:
                shown = [
                    {"externalId": p.id, "amount": p.amount, "msisdn": p.msisdn}
                    for p in self.pushes.values()
                    if p.status in ("TIP", "TA")
                ]
            return {"requests": shown}
        if route == "revoke_tokens":
            self.tokens.revoke()
            return {}
        tx_id = str(data.get("id") or data.get("external_id"))
        codes = {"pay": "TS", "fail": "TF", "expire": "TE", "ambiguous": "TA"}
        if route in codes:
            push = self.settle(tx_id, codes[route])
            return {
                "request": {"externalId": push.id, "amount": push.amount, "currency": self.currency}
            }
        if route == "callback":
            sent = self.callback(
                tx_id, int(data.get("times", 1)), float(data.get("delay", 0)),
                bool(data.get("hash", True)),
            )  # fmt: skip
            return {"answered": [d.answered for d in sent]}
        raise LookupError(f"no control route {route!r}")
