"""The Daraja API behind FakeMpesa: token, STK push and STK query, checked like the real one.

Pure state and request handling (no sockets): `DarajaApi.handle` maps one request to
(HTTP status, JSON body). Wire facts: /work/shared/reference/payments.md.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

JsonDict = dict[str, Any]
Answer = tuple[int, JsonDict]
NAIROBI = timezone(timedelta(hours=3))
TIMESTAMP_TOLERANCE = timedelta(minutes=10)
RESULT_DESCRIPTIONS = {
    0: "The service request is processed successfully.",
    1: "The balance is insufficient for the transaction.",
    1019: "Transaction has expired",
    1032: "Request cancelled by user",
    1037: "DS timeout user cannot be reached",
    2001: "The initiator information is invalid.",
}
TRANSACTION_TYPES = ("CustomerPayBillOnline", "CustomerBuyGoodsOnline")
_PHONE = re.compile(r"2547[0-9]{8}|2541[0-9]{8}")
_LOCAL_CALLBACK = re.compile(r"http://(127\.0\.0\.1|localhost)(:[0-9]+)?/.*")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class StkRequest:
    checkout_id: str
    merchant_id: str
    shortcode: str
    amount: int  # whole shillings
    phone: str
    callback_url: str
    account_reference: str
    description: str
    created_at: datetime
    result_code: int | None = None  # None while the prompt is on the phone
    receipt: str | None = None
    paid_at: datetime | None = None

    def to_json(self) -> JsonDict:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["paid_at"] = self.paid_at.isoformat() if self.paid_at else None
        return data


def error(status: int, code: str, message: str) -> Answer:
    return status, {"requestId": secrets.token_hex(8), "errorCode": code, "errorMessage": message}


def bad_request(what: str) -> Answer:
    return error(400, "400.002.02", f"Bad Request - Invalid {what}")


INVALID_TOKEN = error(401, "404.001.03", "Invalid Access Token")


@dataclass
class DarajaApi:
    consumer_key: str
    consumer_secret: str
    passkey: str
    shortcode: str = "174379"
    clock: Callable[[], datetime] = utcnow
    token_lifetime: int = 3599
    expires_in_as_string: bool = False  # older replies give expires_in as a string
    lock: threading.RLock = field(default_factory=threading.RLock)
    requests: dict[str, StkRequest] = field(default_factory=dict)
    token_calls: int = 0
    _token: tuple[str, datetime] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- routes -------------------------------------------------------------------------------

    def handle(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        url = urlsplit(target)
        with self.lock:
            if verb == "GET" and url.path == "/oauth/v1/generate":
                return self._generate(url.query, headers.get("authorization", ""))
            routes = {
                "/mpesa/stkpush/v1/processrequest": self._push,
                "/mpesa/stkpushquery/v1/query": self._query,
            }
            if verb != "POST" or url.path not in routes:
                return error(404, "404.001.01", "Resource not found")
            if not self._token_valid(headers.get("authorization", "")):
                return INVALID_TOKEN
            try:
                data = json.loads(body)
            except ValueError:
                return bad_request("JSON")
            if not isinstance(data, dict):
                return bad_request("JSON")
            return routes[url.path](data)

    def _generate(self, query: str, authorization: str) -> Answer:
        if parse_qs(query).get("grant_type") != ["client_credentials"]:
            return error(400, "400.008.02", "Invalid grant type passed")
        scheme, _, encoded = authorization.partition(" ")
        try:
            given = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            given = ""
        expected = f"{self.consumer_key}:{self.consumer_secret}"
        if scheme.lower() != "basic" or not hmac.compare_digest(given, expected):
            return error(400, "400.008.01", "Invalid Authentication passed")
        self.token_calls += 1
        token = secrets.token_urlsafe(21)
        # A new token invalidates the previous one, as Daraja may.
        self._token = (token, self.clock() + timedelta(seconds=self.token_lifetime))
        lifetime = str(self.token_lifetime) if self.expires_in_as_string else self.token_lifetime
        return 200, {"access_token": token, "expires_in": lifetime}

    def _token_valid(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        if self._token is None or scheme.lower() != "bearer":
            return False
        current, expires_at = self._token
        return hmac.compare_digest(token, current) and self.clock() < expires_at

    def revoke_tokens(self) -> None:
        self._token = None

    def _credentials_error(self, data: JsonDict) -> Answer | None:
        shortcode, stamp = data.get("BusinessShortCode"), data.get("Timestamp")
        if str(shortcode) != self.shortcode:
            return bad_request("BusinessShortCode")
        try:
            sent = datetime.strptime(str(stamp), "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
        except ValueError:
            return bad_request("Timestamp")
        if not isinstance(stamp, str) or abs(sent - self.clock()) > TIMESTAMP_TOLERANCE:
            return bad_request("Timestamp")
        raw = f"{self.shortcode}{self.passkey}{stamp}".encode()
        if data.get("Password") != base64.b64encode(raw).decode():
            return bad_request("Password")
        return None

    def _push(self, data: JsonDict) -> Answer:
        failure = self._credentials_error(data)
        if failure is not None:
            return failure
        amount = data.get("Amount")
        if isinstance(amount, str) and amount.isdigit():
            amount = int(amount)
        checks = {
            "TransactionType": data.get("TransactionType") in TRANSACTION_TYPES,
            "Amount": type(amount) is int and 1 <= amount <= 250_000,
            "PartyA": _PHONE.fullmatch(str(data.get("PartyA"))) is not None,
            "PartyB": re.fullmatch(r"[0-9]{5,7}", str(data.get("PartyB"))) is not None,
            "PhoneNumber": _PHONE.fullmatch(str(data.get("PhoneNumber"))) is not None,
            "CallBackURL": _callback_ok(data.get("CallBackURL")),
            "AccountReference": _text_ok(data.get("AccountReference"), 12),
            "TransactionDesc": _text_ok(data.get("TransactionDesc"), 13),
        }
        for name, ok in checks.items():
            if not ok:
                return bad_request(name)
        n = next(self._ids)
        now = self.clock()
        request = StkRequest(
            checkout_id=f"ws_CO_{now.astimezone(NAIROBI):%d%m%Y%H%M%S}{n:06d}",
            merchant_id=f"29115-{34620561 + n}-1",
            shortcode=self.shortcode,
            amount=int(amount),  # type: ignore[arg-type]  # checked above
            phone=str(data["PhoneNumber"]),
            callback_url=str(data["CallBackURL"]),
            account_reference=str(data["AccountReference"]),
            description=str(data["TransactionDesc"]),
            created_at=now,
        )
        self.requests[request.checkout_id] = request
        accepted = "Success. Request accepted for processing"
        return 200, {
            "MerchantRequestID": request.merchant_id,
            "CheckoutRequestID": request.checkout_id,
            "ResponseCode": "0",
            "ResponseDescription": accepted,
            "CustomerMessage": accepted,
        }

    def _query(self, data: JsonDict) -> Answer:
        failure = self._credentials_error(data)
        if failure is not None:
            return failure
        request = self.requests.get(str(data.get("CheckoutRequestID")))
        if request is None:
            return bad_request("CheckoutRequestID")
        if request.result_code is None:
            return error(500, "500.001.1001", "The transaction is being processed")
        return 200, {
            "ResponseCode": "0",
            "ResponseDescription": "The service request has been accepted successsfully",
            "MerchantRequestID": request.merchant_id,
            "CheckoutRequestID": request.checkout_id,
            "ResultCode": str(request.result_code),  # a string here, a number in callbacks
            "ResultDesc": RESULT_DESCRIPTIONS.get(request.result_code, "Failed"),
        }

    # -- the customer's side ----------------------------------------------------------------

    def settle(self, checkout_id: str, result_code: int) -> StkRequest:
        with self.lock:
            request = self.requests.get(checkout_id)
            if request is None:
                raise LookupError(f"no STK request {checkout_id!r}")
            if request.result_code is not None:
                raise ValueError(f"{checkout_id} is already settled ({request.result_code})")
            request.result_code = result_code
            if result_code == 0:
                alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
                request.receipt = "SOK" + "".join(secrets.choice(alphabet) for _ in range(7))
                request.paid_at = self.clock()
            return request


def _callback_ok(url: object) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    public = parts.scheme == "https" and bool(parts.hostname)
    return public or _LOCAL_CALLBACK.fullmatch(url) is not None


def _text_ok(value: object, limit: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= limit
