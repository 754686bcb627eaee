"""MpesaRail over real HTTP against FakeMpesa: token sharing, STK push, callback, query.

The callback URL is built and checked by the payment core (functions/payments/callbacks.py):
/payments/mpesa/<payment id>/<token>; the rail only reads the body of one that passed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from events import Money
from functions.payments.callbacks import Addressed, address, callback_url
from functions.providers.base import (
    BadCallback,
    OutcomeUnknown,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    RailError,
    Unauthorized,
)
from functions.providers.mpesa import wire
from functions.providers.mpesa.rail import (
    PUSH_PATH,
    QUERY_PATH,
    TOKEN_PATH,
    MpesaRail,
    MpesaSettings,
)
from functions.providers.token_cache import MemoryTokenCache
from tests.fakes.interrupting import (
    Action,
    Interrupting,
    not_connected,
    reply_lost,
    too_many_requests,
)
from tests.fakes.mpesa import FakeMpesa

pytestmark = pytest.mark.unit

KEY, SECRET, PASSKEY = "key-3f9a", "consumer-secret-5be1c0", "passkey-bfb279f9aa9bdbcf158e97dd"
CALLBACK_SECRET = "cb-7Qx2LmW9pZ4rT8vK"
PAYMENT_ID = "pay-0123456789abcdef"


def expected_token(key: str, rail: str, payment_id: str) -> str:
    """The callback token as specified: HMAC-SHA256 of "soko-callback:<rail>:<payment id>"
    under the rail's callback key, 32 hex characters (computed here independently)."""
    message = f"soko-callback:{rail}:{payment_id}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


TOKEN = expected_token(CALLBACK_SECRET, "mpesa", PAYMENT_ID)


class Clock:
    def __init__(self) -> None:
        self.current = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class Receiver:
    """Our payment webhook's stand-in: records what M-Pesa POSTs to the CallBackURL."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.received.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, rail: MpesaRail, payment_id: str = PAYMENT_ID) -> str:
        """The CallBackURL the payment core gives this payment."""
        return callback_url(self.base, rail, payment_id)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeMpesa]:
    with FakeMpesa(KEY, SECRET, PASSKEY, clock=clock) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture
def cache() -> MemoryTokenCache:
    return MemoryTokenCache()


Sleeps = list[float]
MakeRail = Callable[..., MpesaRail]


def hits_on(fake: FakeMpesa, path: str) -> int:
    return [hit for _, hit in fake.hits].count(path)


@pytest.fixture
def sleeps() -> Sleeps:
    return []


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:  # one TLS context for the module: faster
        yield client


@pytest.fixture
def make_rail(
    fake: FakeMpesa, clock: Clock, cache: MemoryTokenCache, sleeps: Sleeps, http: httpx.Client
) -> Iterator[MakeRail]:
    clients: list[httpx.Client] = []

    def make(
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
        **overrides: Any,
    ) -> MpesaRail:
        values: dict[str, Any] = {
            "base_url": fake.base_url,
            "consumer_key": KEY,
            "consumer_secret": SECRET,
            "passkey": PASSKEY,
            "shortcode": "174379",
            "callback_secret": CALLBACK_SECRET,
            **overrides,
        }
        client = http
        if timeout is not None or transport is not None:
            client = httpx.Client(timeout=timeout or 5.0, transport=transport)
            clients.append(client)
        settings = MpesaSettings(**values)
        return MpesaRail(settings, client, clock, token_cache=cache, sleep=sleeps.append)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def rail(make_rail: MakeRail) -> MpesaRail:
    return make_rail()


def kes(shillings: int, cents: int = 0) -> Money:
    return Money.of_minor(shillings * 100 + cents, "KES")


def request(
    url: str | None = None, amount: Money | None = None, phone: str | None = "0712345678"
) -> PaymentRequest:
    url = url or f"https://soko.example/payments/mpesa/{PAYMENT_ID}/{TOKEN}"
    return PaymentRequest(PAYMENT_ID, 7, amount or kes(1500), url, "Wallet deposit for Soko", phone)


# -- the shared token -----------------------------------------------------------------------


def test_token_is_fetched_once_and_shared_by_two_instances(
    fake: FakeMpesa, make_rail: MakeRail, cache: MemoryTokenCache, clock: Clock
) -> None:
    first, second = make_rail(), make_rail()
    first.start(request())
    second.start(request())
    second.query(PAYMENT_ID, fake.requests()[0]["checkout_id"], kes(1500))
    assert fake.api.token_calls == 1
    cached = cache.get(first.token.name)
    assert cached is not None
    assert cached[1] == clock() + timedelta(seconds=3599)


def test_expires_in_given_as_a_string_is_understood(
    fake: FakeMpesa, rail: MpesaRail, cache: MemoryTokenCache, clock: Clock
) -> None:
    fake.api.expires_in_as_string = True
    rail.start(request())
    cached = cache.get(rail.token.name)
    assert cached is not None
    assert cached[1] == clock() + timedelta(seconds=3599)


def test_token_is_refreshed_60_seconds_before_expiry(
    fake: FakeMpesa, rail: MpesaRail, clock: Clock
) -> None:
    rail.start(request())
    clock.advance(3599 - 61)
    rail.start(request())
    assert fake.api.token_calls == 1
    clock.advance(2)
    rail.start(request())
    assert fake.api.token_calls == 2


def test_a_rejected_token_is_refreshed_once_and_the_call_retried(
    fake: FakeMpesa, rail: MpesaRail
) -> None:
    rail.start(request())
    fake.revoke_tokens()  # as if a token minted elsewhere had replaced it
    assert rail.start(request()).provider_ref.startswith("ws_CO_")
    assert fake.api.token_calls == 2
    assert hits_on(fake, PUSH_PATH) == 3


def test_an_instance_with_a_stale_token_takes_the_newer_one_from_the_cache(
    fake: FakeMpesa, make_rail: MakeRail
) -> None:
    first, second = make_rail(), make_rail()
    first.start(request())
    second.start(request())
    fake.revoke_tokens()
    first.start(request())  # 401, mints the second token and shares it
    second.start(request())  # 401 with its old copy: the cache has a newer one, no mint
    assert fake.api.token_calls == 2


def test_wrong_consumer_credentials_are_refused_without_naming_them(
    make_rail: MakeRail,
) -> None:
    with pytest.raises(ProviderRefused) as caught:
        make_rail(consumer_secret="not-the-secret-8c1d").start(request())
    assert "not-the-secret-8c1d" not in str(caught.value)


# -- STK push -------------------------------------------------------------------------------


def test_stk_push_happy_path(fake: FakeMpesa, rail: MpesaRail, receiver: Receiver) -> None:
    started = rail.start(request(receiver.url(rail)))
    assert started.provider_ref.startswith("ws_CO_")
    assert started.instructions.kind == "stk_prompt"
    assert started.instructions.text == "Check your phone and enter your M-Pesa PIN to pay."
    [pending] = fake.pending_requests()
    assert pending["checkout_id"] == started.provider_ref
    assert pending["amount"] == 1500
    assert pending["phone"] == "254712345678"
    assert pending["account_reference"] == PAYMENT_ID[:12]
    assert pending["description"] == "Wallet deposit for Soko"[:13]
    assert pending["callback_url"] == f"{receiver.base}/payments/mpesa/{PAYMENT_ID}/{TOKEN}"
    assert hits_on(fake, PUSH_PATH) == 1


def test_timestamp_is_nairobi_time_and_the_password_uses_it() -> None:
    stamp = wire.timestamp(datetime(2026, 1, 1, 22, 30, 5, tzinfo=UTC))
    assert stamp == "20260102013005"
    expected = base64.b64encode(b"174379" + PASSKEY.encode() + stamp.encode()).decode()
    assert wire.password("174379", PASSKEY, stamp) == expected


def test_the_fake_refuses_a_wrong_passkey(make_rail: MakeRail) -> None:
    with pytest.raises(ProviderRefused, match="Invalid Password") as caught:
        make_rail(passkey="another-passkey-1234").start(request())
    assert "another-passkey-1234" not in str(caught.value)


def push_directly(fake: FakeMpesa, rail: MpesaRail, **changes: Any) -> httpx.Response:
    token = rail.token.get()
    stamp = changes.pop("stamp", wire.timestamp(fake.api.clock()))
    body = {
        "BusinessShortCode": "174379",
        "Password": wire.password("174379", PASSKEY, stamp),
        "Timestamp": stamp,
        "TransactionType": "CustomerPayBillOnline",
        "Amount": 10,
        "PartyA": "254712345678",
        "PartyB": "174379",
        "PhoneNumber": "254712345678",
        "CallBackURL": "https://soko.example/cb",
        "AccountReference": "ref",
        "TransactionDesc": "desc",
        **changes,
    }
    url = f"{fake.base_url}/mpesa/stkpush/v1/processrequest"
    return httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize(
    ("changes", "invalid"),
    [
        ({}, None),
        ({"Password": base64.b64encode(b"174379wrong20260101000000").decode()}, "Password"),
        ({"BusinessShortCode": "600000"}, "BusinessShortCode"),
        ({"Amount": 0}, "Amount"),
        ({"Amount": 250_001}, "Amount"),
        ({"Amount": 10.5}, "Amount"),
        ({"PhoneNumber": "0712345678"}, "PhoneNumber"),
        ({"CallBackURL": "http://soko.example/cb"}, "CallBackURL"),
        ({"AccountReference": "x" * 13}, "AccountReference"),
        ({"TransactionDesc": "x" * 14}, "TransactionDesc"),
        ({"TransactionType": "Other"}, "TransactionType"),
    ],
)
def test_the_fake_validates_stk_push_fields(
    fake: FakeMpesa, rail: MpesaRail, changes: dict[str, Any], invalid: str | None
) -> None:
    response = push_directly(fake, rail, **changes)
    if invalid is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert response.json()["errorMessage"] == f"Bad Request - Invalid {invalid}"


def test_the_fake_refuses_a_password_made_with_another_timestamp(
    fake: FakeMpesa, rail: MpesaRail
) -> None:
    later = wire.timestamp(fake.api.clock() + timedelta(minutes=1))
    response = push_directly(fake, rail, Timestamp=later)
    assert response.json()["errorMessage"] == "Bad Request - Invalid Password"


def test_the_fake_refuses_a_utc_timestamp(fake: FakeMpesa, rail: MpesaRail) -> None:
    utc_stamp = fake.api.clock().strftime("%Y%m%d%H%M%S")  # forgot the +3 hours
    response = push_directly(fake, rail, stamp=utc_stamp)
    assert response.json()["errorMessage"] == "Bad Request - Invalid Timestamp"


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("0712345678", "254712345678"),
        ("0112345678", "254112345678"),
        ("+254712345678", "254712345678"),
        ("254112345678", "254112345678"),
        ("0712 345 678", "254712345678"),
        ("+254-712-345-678", "254712345678"),
    ],
)
def test_phone_numbers_are_normalised(
    fake: FakeMpesa, rail: MpesaRail, given: str, sent: str
) -> None:
    rail.start(request(phone=given))
    assert fake.requests()[0]["phone"] == sent


@pytest.mark.parametrize(
    "phone", [None, "", "0812345678", "712345678", "07123456789", "+255712345678", "abc"]
)
def test_other_phone_numbers_are_refused_before_calling(
    fake: FakeMpesa, rail: MpesaRail, phone: str | None
) -> None:
    with pytest.raises(ProviderRefused, match="Kenyan mobile number like 0712345678"):
        rail.start(request(phone=phone))
    assert fake.hits == []


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (kes(10, 50), "whole shillings"),
        (kes(0), "KES 1 to KES 250,000"),
        (kes(250_001), "KES 1 to KES 250,000"),
        (Money.of_minor(1000, "USD"), "KES only"),
    ],
)
def test_amount_rules(fake: FakeMpesa, rail: MpesaRail, amount: Money, reason: str) -> None:
    with pytest.raises(ProviderRefused, match=reason):
        rail.start(request(amount=amount))
    assert fake.hits == []


@pytest.mark.parametrize("shillings", [1, 250_000])
def test_amount_limits_are_inclusive(fake: FakeMpesa, rail: MpesaRail, shillings: int) -> None:
    rail.start(request(amount=kes(shillings)))
    assert fake.requests()[0]["amount"] == shillings


# -- the callback -----------------------------------------------------------------------------


def through_the_core(rail: MpesaRail, path: str, body: bytes) -> Any:
    """What payment_webhook does with a callback: check its token, then let the rail read it."""
    addressed = address(rail, path.removeprefix("/payments/mpesa/"))
    assert addressed.payment_id == PAYMENT_ID
    return rail.read_callback(addressed.rest, {}, body)


def delivered(fake: FakeMpesa, rail: MpesaRail, receiver: Receiver, settle: str) -> Any:
    checkout_id = rail.start(request(receiver.url(rail))).provider_ref
    getattr(fake, settle)(checkout_id)
    assert fake.fire_callback(checkout_id).results == [200]
    [(path, body)] = receiver.received
    assert path == f"/payments/mpesa/{PAYMENT_ID}/{TOKEN}"
    return checkout_id, through_the_core(rail, path, body)


def test_a_paid_callback_reports_success_with_receipt_and_amount(
    fake: FakeMpesa, rail: MpesaRail, receiver: Receiver
) -> None:
    checkout_id, report = delivered(fake, rail, receiver, "pay")
    assert report.payment_id == PAYMENT_ID
    assert report.status == "succeeded"
    assert report.paid == kes(1500)
    assert report.receipt == fake.requests()[0]["receipt"]
    assert report.provider_ref == checkout_id
    assert report.idempotency_key == f"mpesa:{checkout_id}"
    assert report.verified is False  # unsigned: the webhook confirms it with `query`


@pytest.mark.parametrize(("settle", "status"), [("fail", "failed"), ("expire", "expired")])
def test_cancelled_and_expired_callbacks(
    fake: FakeMpesa, rail: MpesaRail, receiver: Receiver, settle: str, status: str
) -> None:
    _, report = delivered(fake, rail, receiver, settle)
    assert (report.status, report.paid, report.receipt) == (status, None, None)
    assert report.raw_status.startswith("1032: " if settle == "fail" else "1019: ")
    assert report.verified is False


def callback(code: Any = 0, items: Any = None, **changes: Any) -> dict[str, Any]:
    if items is None:
        items = [{"Name": "Amount", "Value": 1}, {"Name": "MpesaReceiptNumber", "Value": "NLJ7R"}]
    stk = {"MerchantRequestID": "m-1", "CheckoutRequestID": "ws_CO_1", "ResultCode": code}
    stk |= {"ResultDesc": "done", "CallbackMetadata": {"Item": items}, **changes}
    return {"Body": {"stkCallback": stk}}


def read(rail: MpesaRail, body: Any, path: str = PAYMENT_ID) -> Any:
    """The rail's read of a callback whose token the core checked: `path` is our payment id."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return rail.read_callback(path, {}, raw)


# -- callback URLs: built and checked by the payment core -------------------------------------


def test_the_rail_is_payment_scoped_unsigned_and_keyed_by_its_callback_secret(
    rail: MpesaRail,
) -> None:
    assert (rail.callback_scope, rail.signed) == ("payment", False)
    assert rail.callback_key() == CALLBACK_SECRET
    with pytest.raises(NotImplementedError):
        rail.callback_path(PAYMENT_ID)  # the core builds payment-scoped URLs


def test_the_callback_url_names_the_payment_and_its_token(rail: MpesaRail) -> None:
    url = callback_url("https://soko.example/", rail, PAYMENT_ID)
    assert url == f"https://soko.example/payments/mpesa/{PAYMENT_ID}/{TOKEN}"
    assert len(TOKEN) == 32
    assert CALLBACK_SECRET not in url
    other = callback_url("https://soko.example", rail, "pay-other")
    other_token = expected_token(CALLBACK_SECRET, "mpesa", "pay-other")
    assert other == f"https://soko.example/payments/mpesa/pay-other/{other_token}"
    assert other_token != TOKEN  # one payment's URL opens no other's
    rest = url.removeprefix("https://soko.example/payments/mpesa/")
    assert address(rail, rest) == Addressed(PAYMENT_ID, PAYMENT_ID)
    assert address(rail, f"/{rest}/") == Addressed(PAYMENT_ID, PAYMENT_ID)


def test_the_rail_reads_the_payment_id_the_core_gives_it(make_rail: MakeRail) -> None:
    # The token was checked before: the rail checks no secret of its own any more.
    report = read(make_rail(callback_secret=""), callback(), "pay-other")
    assert (report.payment_id, report.status, report.provider_ref) == (
        "pay-other",
        "succeeded",
        "ws_CO_1",
    )


@pytest.mark.parametrize(
    "rest",
    [
        pytest.param(f"{PAYMENT_ID}/{'0' * 32}", id="zeros"),
        pytest.param(f"{PAYMENT_ID}/{TOKEN[:-1]}", id="truncated"),
        pytest.param(f"{PAYMENT_ID}/{TOKEN}0", id="extended"),
        pytest.param(f"{PAYMENT_ID}/{TOKEN.upper()}", id="uppercase"),
        pytest.param(f"{PAYMENT_ID}/{TOKEN}/more", id="extra-segment"),
        pytest.param(
            f"{PAYMENT_ID}/{expected_token(CALLBACK_SECRET, 'mpesa', 'pay-other')}",
            id="another-payments-token",
        ),
        pytest.param(f"pay-other/{TOKEN}", id="this-token-on-another-payment"),
        pytest.param(
            f"{PAYMENT_ID}/{expected_token(CALLBACK_SECRET, 'nowpayments', PAYMENT_ID)}",
            id="another-rails-token",
        ),
        pytest.param(
            f"{PAYMENT_ID}/{expected_token('another-key', 'mpesa', PAYMENT_ID)}",
            id="another-key",
        ),
        pytest.param(f"{PAYMENT_ID}/{CALLBACK_SECRET}", id="the-secret-itself"),
    ],
)
def test_a_wrong_callback_token_is_unauthorized(rail: MpesaRail, rest: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        address(rail, rest)
    assert CALLBACK_SECRET not in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("rest", [PAYMENT_ID, f"{PAYMENT_ID}/", f"/{PAYMENT_ID}", "", "/"])
def test_a_callback_without_a_token_is_unauthorized(rail: MpesaRail, rest: str) -> None:
    # Unlike NOWPayments' IPNs, M-Pesa's callbacks are unsigned: the token is all there is.
    with pytest.raises(Unauthorized):
        address(rail, rest)


@pytest.mark.parametrize(
    "rest", [f"{CALLBACK_SECRET}/{PAYMENT_ID}", f"wrong/{PAYMENT_ID}", f"/{CALLBACK_SECRET}/"]
)
def test_an_old_style_secret_path_is_unauthorized(rail: MpesaRail, rest: str) -> None:
    # Payments started before tokens settle by the reconcile job's status query instead.
    with pytest.raises(Unauthorized) as caught:
        address(rail, rest)
    assert CALLBACK_SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "payment_id", ["..", "a b", "pay%2F1", "x" * 65, "pay.1"], ids=lambda p: p[:8]
)
def test_a_path_naming_no_payment_of_ours_is_unauthorized_even_with_its_token(
    rail: MpesaRail, payment_id: str
) -> None:
    with pytest.raises(Unauthorized):
        address(rail, f"{payment_id}/{expected_token(CALLBACK_SECRET, 'mpesa', payment_id)}")


@pytest.mark.parametrize("secret", ["", "   "])
def test_an_unconfigured_callback_secret_accepts_nothing(make_rail: MakeRail, secret: str) -> None:
    rail = make_rail(callback_secret=secret)
    for rest in (
        f"{PAYMENT_ID}/{expected_token(secret, 'mpesa', PAYMENT_ID)}",
        f"{PAYMENT_ID}/{expected_token('', 'mpesa', PAYMENT_ID)}",
        f"{PAYMENT_ID}/{TOKEN}",
        PAYMENT_ID,
        f"{secret}/{PAYMENT_ID}",
    ):
        with pytest.raises(Unauthorized):
            address(rail, rest)
    with pytest.raises(ProviderUnavailable):
        callback_url("https://soko.example", rail, PAYMENT_ID)  # and no URL is handed out


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"\xff\xfe",
        {"Body": {}},
        {"Body": {"stkCallback": "x"}},
        callback(code="0"),  # a string where Daraja sends a number
        callback(code=True),
        callback(code=0.0),
        callback(CheckoutRequestID=None),
        callback(CheckoutRequestID=""),
        callback(ResultDesc=5),
        callback(items=[{"Value": 1}]),  # an item without a Name
        callback(items="x"),
        callback(items=[{"Name": "Amount", "Value": 1}]),  # paid without a receipt
        callback(items=[{"Name": "MpesaReceiptNumber", "Value": "NLJ7R"}]),  # nor an amount
        callback(items=[{"Name": "Amount", "Value": "1"}, {"Name": "MpesaReceiptNumber"}]),
        callback(items=[{"Name": "Amount", "Value": 1.005}, {"Name": "MpesaReceiptNumber"}]),
        b'{"Body": {"stkCallback": {"pad": "' + b"x" * 70_000 + b'"}}}',
    ],
)
def test_malformed_callbacks_are_bad(rail: MpesaRail, body: Any) -> None:
    with pytest.raises(BadCallback):
        read(rail, body)


def test_a_decimal_amount_and_an_item_without_value_are_read_by_name(rail: MpesaRail) -> None:
    raw = json.dumps(callback()).replace('"Value": 1}', '"Value": 1.00}, {"Name": "Balance"}')
    report = read(rail, raw.encode())
    assert (report.paid, report.receipt) == (kes(1), "NLJ7R")


def test_an_unknown_result_code_fails_and_keeps_the_raw_status(rail: MpesaRail) -> None:
    report = read(rail, callback(code=9999, ResultDesc="Something new", CallbackMetadata=None))
    assert (report.status, report.raw_status) == ("failed", "9999: Something new")


def test_repeated_delayed_callbacks_carry_one_idempotency_key(
    fake: FakeMpesa, rail: MpesaRail, receiver: Receiver
) -> None:
    checkout_id = rail.start(request(receiver.url(rail))).provider_ref
    fake.pay(checkout_id)
    assert fake.fire_callback(checkout_id, times=2, delay=0.05).join() == [200, 200]
    keys = {through_the_core(rail, path, body).idempotency_key for path, body in receiver.received}
    assert keys == {f"mpesa:{checkout_id}"}


def test_acknowledgement(rail: MpesaRail) -> None:
    assert rail.acknowledgement() == ({"ResultCode": 0, "ResultDesc": "Accepted"}, 200)


# -- query --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settle", "status", "paid"),
    [(None, "pending", None), ("pay", "succeeded", kes(1500)), ("fail", "failed", None)],
)
def test_query_reports_the_truth(
    fake: FakeMpesa, rail: MpesaRail, settle: str | None, status: str, paid: Money | None
) -> None:
    checkout_id = rail.start(request()).provider_ref
    if settle:
        getattr(fake, settle)(checkout_id)
    report = rail.query(PAYMENT_ID, checkout_id, kes(1500))
    assert (report.status, report.paid, report.verified) == (status, paid, True)
    assert report.provider_ref == checkout_id
    queries = [path for _, path in fake.hits if path.endswith("/query")]
    assert len(queries) == 1  # "being processed" is an answer, not retried


def test_query_of_an_expired_request(fake: FakeMpesa, rail: MpesaRail) -> None:
    checkout_id = rail.start(request()).provider_ref
    fake.expire(checkout_id)
    assert rail.query(PAYMENT_ID, checkout_id, kes(1500)).status == "expired"


@pytest.mark.parametrize("ref", [None, "ws_CO_unknown"])
def test_query_without_a_known_request_is_refused(rail: MpesaRail, ref: str | None) -> None:
    with pytest.raises(ProviderRefused):
        rail.query(PAYMENT_ID, ref, kes(1500))


# -- outages: an STK push is sent at most once -------------------------------------------------
#
# A second push would prompt the customer a second time: the push is resent only when the
# failure proves Daraja never got it (no connection, a 429). Status queries and token mints
# change nothing at Daraja and keep retrying 5xx and timeouts.


def test_an_stk_push_answered_500_is_sent_once_and_its_outcome_unknown(
    fake: FakeMpesa, rail: MpesaRail, sleeps: Sleeps
) -> None:
    rail.token.get()
    fake.outage("500")
    with pytest.raises(OutcomeUnknown, match="HTTP 500"):
        rail.start(request())
    assert hits_on(fake, PUSH_PATH) == 1
    assert sleeps == []
    fake.outage(None)
    assert rail.start(request()).provider_ref.startswith("ws_CO_")
    assert hits_on(fake, PUSH_PATH) == 2


def test_an_stk_push_that_times_out_is_sent_once_and_its_outcome_unknown(
    fake: FakeMpesa, make_rail: MakeRail, sleeps: Sleeps
) -> None:
    rail = make_rail(timeout=0.2)
    rail.token.get()
    fake.outage("hang")
    began = time.monotonic()
    with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
        rail.start(request())
    assert time.monotonic() - began < 2  # one 0.2 s timeout, no second attempt
    assert hits_on(fake, PUSH_PATH) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "lost",
    [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError],
    ids=lambda k: k.__name__,
)
def test_an_stk_push_whose_reply_is_lost_prompts_the_customer_once(
    fake: FakeMpesa, make_rail: MakeRail, sleeps: Sleeps, lost: type[httpx.TransportError]
) -> None:
    transport = Interrupting(PUSH_PATH, reply_lost(lost))
    rail = make_rail(transport=transport)
    with pytest.raises(OutcomeUnknown, match=lost.__name__) as caught:
        rail.start(request())
    assert isinstance(caught.value, ProviderUnavailable)  # callers catching that still work
    [prompt] = fake.pending_requests()  # Daraja did prompt the phone: once
    assert (prompt["account_reference"], prompt["amount"]) == (PAYMENT_ID[:12], 1500)
    assert (transport.attempts, hits_on(fake, PUSH_PATH)) == (1, 1)
    assert sleeps == []


@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param(not_connected(httpx.ConnectError), id="ConnectError"),
        pytest.param(not_connected(httpx.ConnectTimeout), id="ConnectTimeout"),
        pytest.param(not_connected(httpx.UnsupportedProtocol), id="UnsupportedProtocol"),
        pytest.param(too_many_requests, id="429"),
    ],
)
def test_an_stk_push_that_never_reached_daraja_is_retried(
    fake: FakeMpesa, make_rail: MakeRail, sleeps: Sleeps, refusal: Action
) -> None:
    transport = Interrupting(PUSH_PATH, refusal)
    started = make_rail(transport=transport).start(request())
    assert transport.attempts == 2
    assert hits_on(fake, PUSH_PATH) == 1
    assert [r["checkout_id"] for r in fake.requests()] == [started.provider_ref]
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    ("refusal", "reason"),
    [(not_connected(httpx.ConnectError), "ConnectError"), (too_many_requests, "HTTP 429")],
    ids=["ConnectError", "429"],
)
def test_an_stk_push_that_never_reached_daraja_is_unavailable_not_unknown(
    fake: FakeMpesa, make_rail: MakeRail, sleeps: Sleeps, refusal: Action, reason: str
) -> None:
    transport = Interrupting(PUSH_PATH, refusal, refusal, refusal)
    with pytest.raises(ProviderUnavailable, match=f"{reason} after 3 attempts") as caught:
        make_rail(transport=transport).start(request())
    assert not isinstance(caught.value, OutcomeUnknown)  # nothing was asked of Daraja
    assert (transport.attempts, hits_on(fake, PUSH_PATH)) == (3, 0)
    assert fake.requests() == []
    assert len(sleeps) == 2


def test_a_status_query_is_retried_through_an_outage_then_unavailable(
    fake: FakeMpesa, rail: MpesaRail, sleeps: Sleeps
) -> None:
    checkout_id = rail.start(request()).provider_ref
    fake.outage("500")
    with pytest.raises(ProviderUnavailable, match="HTTP 500 after 3 attempts") as caught:
        rail.query(PAYMENT_ID, checkout_id, kes(1500))
    assert not isinstance(caught.value, OutcomeUnknown)
    assert hits_on(fake, QUERY_PATH) == 3
    assert len(sleeps) == 2
    fake.outage(None)
    assert rail.query(PAYMENT_ID, checkout_id, kes(1500)).status == "pending"


def test_a_hanging_status_query_is_unavailable_within_the_client_timeout(
    fake: FakeMpesa, make_rail: MakeRail
) -> None:
    rail = make_rail(timeout=0.2)
    checkout_id = rail.start(request()).provider_ref
    fake.outage("hang")
    began = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="ReadTimeout after 3 attempts") as caught:
        rail.query(PAYMENT_ID, checkout_id, kes(1500))
    assert not isinstance(caught.value, OutcomeUnknown)
    assert time.monotonic() - began < 3
    assert hits_on(fake, QUERY_PATH) == 3


def test_minting_a_token_is_retried_and_no_push_is_sent_without_one(
    fake: FakeMpesa, rail: MpesaRail, sleeps: Sleeps
) -> None:
    fake.outage("500")
    with pytest.raises(ProviderUnavailable, match="HTTP 500 after 3 attempts") as caught:
        rail.start(request())
    assert not isinstance(caught.value, OutcomeUnknown)  # the push never went out
    assert [path for _, path in fake.hits] == [TOKEN_PATH] * 3
    assert len(sleeps) == 2
    fake.outage(None)
    assert rail.start(request()).provider_ref.startswith("ws_CO_")


# -- secrets, settings, the fake itself ---------------------------------------------------------


def test_no_secret_reaches_a_message_or_a_log(
    fake: FakeMpesa, make_rail: MakeRail, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rail = make_rail()
    messages: list[str] = []
    attempts: list[Callable[[], object]] = [
        lambda: make_rail(consumer_secret=SECRET + "x").start(request()),
        lambda: make_rail(passkey=PASSKEY + "x").start(request()),
        lambda: rail.start(request(phone="12")),
        lambda: address(rail, f"{CALLBACK_SECRET}/{PAYMENT_ID}"),
        lambda: address(rail, f"{PAYMENT_ID}/{'0' * 32}"),
        lambda: address(make_rail(callback_secret=""), f"{PAYMENT_ID}/{TOKEN}"),
        lambda: read(rail, b"{"),
        lambda: rail.query(PAYMENT_ID, "ws_CO_unknown", kes(1)),
    ]

    def during_an_outage() -> object:
        fake.outage("500")
        return make_rail().start(request())  # the token is cached: the push is unknown

    attempts.append(during_an_outage)
    for attempt in attempts:
        with pytest.raises(RailError) as caught:
            attempt()
        messages.append(repr(caught.value))
    token = rail.token.current()
    assert token
    text = "\n".join(messages) + caplog.text
    assert "OutcomeUnknown" in messages[-1]
    for secret in (SECRET, PASSKEY, CALLBACK_SECRET, TOKEN, token, KEY + ":" + SECRET):
        assert secret not in text


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not MpesaSettings.from_env().configured()
    assert MpesaSettings.from_env().base_url == "https://api.safaricom.co.ke"
    for name, value in {
        "CONSUMER_KEY": KEY,
        "CONSUMER_SECRET": SECRET,
        "PASSKEY": PASSKEY,
        "SHORTCODE": "174379",
        "CALLBACK_SECRET": CALLBACK_SECRET,
    }.items():
        monkeypatch.setenv(f"SOKO_MPESA_{name}", value)
    settings = MpesaSettings.from_env()
    assert settings.configured()
    assert settings.transaction_type == "CustomerPayBillOnline"
    assert PASSKEY not in repr(settings)
    assert SECRET not in repr(settings)


def test_nothing_connects_at_construction() -> None:
    settings = MpesaSettings(base_url="http://127.0.0.1:9", shortcode="174379")
    rail = MpesaRail(settings, token_cache=MemoryTokenCache())
    assert rail._http.created is False
    assert rail.name == "mpesa"


def test_the_fake_is_driven_over_its_control_api(
    fake: FakeMpesa, rail: MpesaRail, receiver: Receiver, http: httpx.Client
) -> None:
    checkout_id = rail.start(request(receiver.url(rail))).provider_ref
    control = f"{fake.base_url}/_fake"
    [pending] = http.get(f"{control}/pending").json()["requests"]
    assert pending["checkout_id"] == checkout_id
    assert http.post(f"{control}/pay", json={"checkout_id": checkout_id}).status_code == 200
    fired = http.post(f"{control}/fire_callback", json={"checkout_id": checkout_id}).json()
    assert fired["results"] == [200]
    assert http.post(f"{control}/pay", json={"checkout_id": checkout_id}).status_code == 400
    assert http.get(f"{control}/pending").json()["requests"] == []
    assert len(receiver.received) == 1


def test_the_fake_runs_from_the_command_line() -> None:
    command = [sys.executable, "-m", "tests.fakes.mpesa", "--port", "0"]
    command += ["--consumer-key", KEY, "--consumer-secret", SECRET, "--passkey", PASSKEY]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        base_url = process.stdout.readline().split()[3]
        token = httpx.get(
            f"{base_url}/oauth/v1/generate?grant_type=client_credentials", auth=(KEY, SECRET)
        )
        assert token.status_code == 200
        assert token.json()["expires_in"] == 3599
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


class BrokenCache:
    def get(self, name: str) -> tuple[str, datetime] | None:
        raise ConnectionError("firestore is down")

    def put(self, name: str, token: str, expires_at: datetime) -> None:
        raise ConnectionError("firestore is down")


def test_a_broken_token_cache_does_not_stop_payments(
    fake: FakeMpesa, clock: Clock, http: httpx.Client
) -> None:
    settings = MpesaSettings(
        base_url=fake.base_url,
        consumer_key=KEY,
        consumer_secret=SECRET,
        passkey=PASSKEY,
        shortcode="174379",
    )
    rail = MpesaRail(settings, http, clock, token_cache=BrokenCache())
    rail.start(request())
    rail.start(request())
    assert fake.api.token_calls == 1  # the instance keeps its own copy meanwhile


@pytest.mark.parametrize(
    ("status", "reply", "rejected"),
    [
        (401, {}, True),
        (404, {"errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}, True),
        (404, {"errorCode": "404.001.01"}, False),
        (400, {"errorCode": "404.001.03"}, False),
    ],
)
def test_what_counts_as_a_rejected_token(status: int, reply: Any, rejected: bool) -> None:
    assert wire.token_rejected(status, reply) is rejected
