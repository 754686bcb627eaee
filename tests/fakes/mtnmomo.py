"""`FakeMtnMomo`: MTN MoMo Collections on loopback, and the payer's phone, for tests and the
local stack. It keeps what the real API is documented to do (payments.md): a token per API
user that expires, every call checked for its subscription key, target environment and
Bearer token; a request to pay answered 202 with an empty body, a repeated X-Reference-Id
409; the status GET 200 whatever the outcome; callbacks (PUT by default) to X-Callback-Url
without the reference id. The payer's side, over HTTP or from Python:

    POST /_fake/pay      {"reference"?, "external_id"?, "amount"?, "currency"?}
    POST /_fake/fail     {"reference"?, "external_id"?, "reason"?}   (default APPROVAL_REJECTED)
    POST /_fake/callback {"reference"?, "external_id"?, "method"?, "times"?, "delay"?}
    POST /_fake/outage   {"mode": "500" | "hang" | "accept_then_500" | null}
    POST /_fake/revoke_tokens            GET /_fake/pending     GET /_fake/requests

A payment with no `reference` given is the newest one with that `external_id` (our id).

    python -m tests.fakes.mtnmomo --port P --subscription-key S --api-user U --api-key K
"""

from __future__ import annotations

import argparse
import base64
import signal
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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

PAY_PATH = "/collection/v1_0/requesttopay"
TOKEN_PATH = "/collection/token/"


@dataclass
class RequestToPay:
    reference: str
    external_id: str
    amount: str
    currency: str
    party_id: str
    callback_url: str | None
    created_at: datetime
    status: str = "PENDING"
    reason: str | None = None
    financial_id: str | None = None
    paid_amount: str | None = None  # what was taken, when the payer paid another amount
    paid_currency: str | None = None

    def to_json(self) -> Json:
        body: Json = {
            "amount": self.paid_amount or self.amount,
            "currency": self.paid_currency or self.currency,
            "externalId": self.external_id,
            "payer": {"partyIdType": "MSISDN", "partyId": self.party_id},
            "payerMessage": "",
            "payeeNote": "",
            "status": self.status,
        }
        if self.financial_id:
            body["financialTransactionId"] = self.financial_id
        if self.reason:
            body["reason"] = self.reason
        return body


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"code": code, "message": message}


class FakeMtnMomo(MobileMoneyFake):
    def __init__(
        self,
        subscription_key: str = "fake-mtn-subscription-key",
        api_user: str = "5f1a3c52-0000-4000-8000-000000000001",
        api_key: str = "fake-mtn-api-key",
        target_environment: str = "mtnuganda",
        currency: str = "UGX",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(clock)
        self.subscription_key, self.api_user, self.api_key = subscription_key, api_user, api_key
        self.target_environment, self.currency = target_environment, currency
        self.tokens = Tokens(clock)
        self.requests: dict[str, RequestToPay] = {}
        self._http = LoopbackServer((host, port), Handler, self, name="fake-mtnmomo")

    # -- the payer's side -------------------------------------------------------------------

    def find(self, reference: str | None = None, external_id: str | None = None) -> RequestToPay:
        with self.lock:
            if reference is not None:
                return self.requests[reference]
            matching = [r for r in self.requests.values() if r.external_id == external_id]
            if not matching:
                raise LookupError(f"no request to pay for {external_id!r}")
            return max(matching, key=lambda r: r.created_at)

    def pay(
        self, request: RequestToPay, amount: str | None = None, currency: str | None = None
    ) -> None:
        """The payer approves with their PIN (in `amount`/`currency` if given: a fault)."""
        with self.lock:
            request.status, request.reason = "SUCCESSFUL", None
            request.financial_id = str(uuid.uuid4().int)[:10]
            request.paid_amount, request.paid_currency = amount, currency

    def fail(self, request: RequestToPay, reason: str = "APPROVAL_REJECTED") -> None:
        with self.lock:
            request.status, request.reason = "FAILED", reason

    def callback(
        self, request: RequestToPay, method: str = "PUT", times: int = 1, delay: float = 0.0
    ) -> list[Delivery]:
        """MTN's callback: the status body without the reference id, to X-Callback-Url."""
        if request.callback_url is None:
            return []
        return self.send(
            request.callback_url, request.to_json(), method=method, times=times, delay=delay
        )

    # -- the API ----------------------------------------------------------------------------

    def api(
        self, verb: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        if headers.get("ocp-apim-subscription-key") != self.subscription_key:
            return 401, {
                "statusCode": 401,
                "message": "Access denied due to invalid subscription key.",
            }
        if verb == "POST" and path == TOKEN_PATH:
            return self._token(headers)
        if not self.tokens.valid(headers.get("authorization")):
            return 401, {"message": "Access denied due to invalid or expired token."}
        if headers.get("x-target-environment") != self.target_environment:
            return _error(400, "INVALID_TARGET_ENVIRONMENT", "Wrong X-Target-Environment")
        if verb == "POST" and path == PAY_PATH:
            return self._request_to_pay(headers, body)
        if verb == "GET" and path.startswith(PAY_PATH + "/"):
            found = self.requests.get(path.removeprefix(PAY_PATH + "/"))
            if found is None:
                return _error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
            return 200, found.to_json()
        return _error(404, "NOT_FOUND", f"no {verb} {path}")

    def _token(self, headers: dict[str, str]) -> Answer:
        expected = base64.b64encode(f"{self.api_user}:{self.api_key}".encode()).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return 401, {"error": "login_failed", "message": "Access denied"}
        token, lifetime = self.tokens.mint()
        return 200, {"access_token": token, "token_type": "access_token", "expires_in": lifetime}

    def _request_to_pay(self, headers: dict[str, str], raw: bytes) -> Answer:
        reference = headers.get("x-reference-id", "")
        try:
            if uuid.UUID(reference).version != 4:
                raise ValueError(reference)
        except ValueError:
            return _error(400, "INVALID_REFERENCE_ID", "X-Reference-Id must be a UUIDv4")
        if reference in self.requests:
            return _error(409, "RESOURCE_ALREADY_EXIST", "Duplicated reference id.")
        body = json_body(raw) or {}
        payer = body.get("payer") if isinstance(body.get("payer"), dict) else {}
        amount, code = body.get("amount"), body.get("currency")
        party = payer.get("partyId") if isinstance(payer, dict) else None
        if not isinstance(amount, str) or not amount.replace(".", "", 1).isdigit():
            return _error(400, "INVALID_AMOUNT", "amount must be a decimal string")
        if code != self.currency:
            return _error(
                500, "NOT_ALLOWED_TARGET_ENVIRONMENT", f"{code} not in {self.target_environment}"
            )
        if not isinstance(party, str) or not party.isdigit() or len(party) < 10:
            return _error(400, "INVALID_PARTY_ID", "partyId must be an MSISDN")
        external = body.get("externalId")
        self.requests[reference] = RequestToPay(
            reference, str(external), amount, code, party, headers.get("x-callback-url"),
            self.clock(),
        )  # fmt: skip
        return 202, None

    # -- control ----------------------------------------------------------------------------

    def command(self, verb: str, route: str, data: Json) -> Json:
        if verb == "GET" and route in ("pending", "requests"):
            with self.lock:
                shown = [
                    {"reference": r.reference, **r.to_json()}
                    for r in self.requests.values()
                    if route == "requests" or r.status == "PENDING"
                ]
            return {"requests": shown}
        if route == "revoke_tokens":
            self.tokens.revoke()
            return {}
        found = self.find(data.get("reference"), data.get("external_id"))
        if route == "pay":
            self.pay(found, data.get("amount"), data.get("currency"))
        elif route == "fail":
            self.fail(found, str(data.get("reason", "APPROVAL_REJECTED")))
        elif route == "callback":
            sent = self.callback(
                found, str(data.get("method", "PUT")), int(data.get("times", 1)),
                float(data.get("delay", 0)),
            )  # fmt: skip
            return {"answered": [d.answered for d in sent]}
        else:
            raise LookupError(f"no control route {route!r}")
        return {"request": {"reference": found.reference, **found.to_json()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake MTN MoMo Collections API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--subscription-key", required=True)
    parser.add_argument("--api-user", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--target-environment", default="mtnuganda")
    parser.add_argument("--currency", default="UGX")
    args = parser.parse_args(argv)
    fake = FakeMtnMomo(
        args.subscription_key, args.api_user, args.api_key, args.target_environment,
        args.currency, args.host, args.port,
    )  # fmt: skip
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with fake:
        print(f"fake MTN MoMo at {fake.base_url} (control: {fake.base_url}/_fake/)", flush=True)
        while not stopping.wait(0.5):
            pass


if __name__ == "__main__":
    main()


__all__ = ["FakeMtnMomo", "RequestToPay"]
