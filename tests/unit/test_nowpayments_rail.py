"""NowPaymentsRail over real HTTP against FakeNowPayments; IPNs come back to a tiny receiver.

The receiver handles an IPN as payment_webhook does: the payment core checks the callback
URL's token (functions/payments/callbacks.py), then the rail verifies the signed body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import Money
from functions.payments.callbacks import address, callback_url
from functions.providers.base import (
    BadCallback,
    OutcomeUnknown,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    RailError,
    Report,
    Unauthorized,
)
from functions.providers.nowpayments import ipn
from functions.providers.nowpayments.rail import NowPaymentsRail, NowPaymentsSettings
from tests.fakes.interrupting import (
    Action,
    Interrupting,
    not_connected,
    reply_lost,
    too_many_requests,
)
from tests.fakes.nowpayments import FakeNowPayments

pytestmark = pytest.mark.unit

API_KEY = "np-api-key-7f3c9e"
IPN_SECRET = "np-ipn-secret-b81d44"
ORDER = "pay-0001"
INVOICE_PATH = "/v1/invoice"
TOKEN = hmac.new(
    IPN_SECRET.encode(), f"soko-callback:nowpayments:{ORDER}".encode(), hashlib.sha256
).hexdigest()[:32]


class Receiver(ThreadingHTTPServer):
    """Our side of the IPNs: hands each request to the rail, answers like payment_webhook."""

    daemon_threads = True

    def __init__(self, rail: NowPaymentsRail) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.rail = rail
        self.reports: list[Report] = []
        self.errors: list[RailError] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def url(self) -> str:
        """The ipn_callback_url the payment core gives ORDER."""
        return callback_url(self.base, self.rail, ORDER)


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server = self.server
        assert isinstance(server, Receiver)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            addressed = address(server.rail, self.path.removeprefix("/payments/nowpayments/"))
            report = server.rail.read_callback(addressed.rest, dict(self.headers.items()), body)
            if report.payment_id != addressed.payment_id:  # as payment_webhook answers 400
                raise BadCallback("the callback is about another payment than its URL names")
        except RailError as error:
            server.errors.append(error)
            status, payload = (401 if isinstance(error, Unauthorized) else 400), {"ok": False}
        else:
            server.reports.append(report)
            payload_obj, status = server.rail.acknowledgement()
            payload = dict(payload_obj) if isinstance(payload_obj, dict) else {}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake() -> Iterator[FakeNowPayments]:
    with FakeNowPayments(API_KEY, IPN_SECRET, hang_seconds=5.0) as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def invoices() -> Interrupting:
    """Counts (and, when told, interrupts) the rail's POST /invoice requests."""
    return Interrupting(INVOICE_PATH)


@pytest.fixture
def rail(
    fake: FakeNowPayments, sleeps: list[float], invoices: Interrupting
) -> Iterator[NowPaymentsRail]:
    settings = NowPaymentsSettings(base_url=fake.base_url, api_key=API_KEY, ipn_secret=IPN_SECRET)
    with httpx.Client(timeout=0.3, transport=invoices) as client:
        yield NowPaymentsRail(settings, client, sleep=sleeps.append)


@pytest.fixture
def receiver(rail: NowPaymentsRail) -> Iterator[Receiver]:
    server = Receiver(rail)
    thread = Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def request(receiver_url: str, minor: int = 1050, order: str = ORDER) -> PaymentRequest:
    amount = Money.of_minor(minor, "USD")
    return PaymentRequest(order, 42, amount, receiver_url, "Café ☕ box")


def assert_no_secrets(error: BaseException) -> None:
    seen: BaseException | None = error
    while seen is not None:
        for text in (str(seen), repr(seen), *map(str, seen.args)):
            assert API_KEY not in text
            assert IPN_SECRET not in text
        seen = seen.__cause__ or seen.__context__


# -- start -----------------------------------------------------------------------------------


def test_start_creates_an_invoice_with_a_decimal_string(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver
) -> None:
    started = rail.start(request(receiver.url))
    invoice = fake.invoices[started.provider_ref]
    assert invoice["price_amount"] == "10.50"
    assert invoice["price_currency"] == "usd"
    assert invoice["ipn_callback_url"] == f"{receiver.base}/payments/nowpayments/{ORDER}/{TOKEN}"
    assert invoice["order_id"] == ORDER
    assert invoice["order_description"] == "Café ☕ box"
    assert started.instructions.kind == "invoice_url"
    assert started.instructions.url == invoice["invoice_url"]
    assert "USD 10.50" in started.instructions.text


def test_start_refusals(rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver) -> None:
    with pytest.raises(ProviderRefused, match=r"AMOUNT_MINIMAL|too small"):
        rail.start(request(receiver.url, minor=50))  # the fake's minimum is 1 USD
    kes = PaymentRequest(ORDER, 42, Money.of_minor(100_00, "KES"), receiver.url, "box")
    with pytest.raises(ProviderRefused, match="priced in USD"):
        rail.start(kes)
    wrong = NowPaymentsSettings(base_url=fake.base_url, api_key="nope", ipn_secret=IPN_SECRET)
    with pytest.raises(ProviderRefused, match="403") as refused:
        NowPaymentsRail(wrong).start(request(receiver.url))
    assert_no_secrets(refused.value)
    assert fake.invoices == {}


def test_refusal_messages_redact_echoed_secrets() -> None:
    echo = httpx.MockTransport(
        lambda r: httpx.Response(400, json={"message": f"bad key {r.headers['x-api-key']}"})
    )
    settings = NowPaymentsSettings(api_key=API_KEY, ipn_secret=IPN_SECRET)
    with pytest.raises(ProviderRefused, match=r"bad key \*\*\*") as refused:
        NowPaymentsRail(settings, httpx.Client(transport=echo)).start(request("https://x/"))
    assert_no_secrets(refused.value)


# -- outages: an invoice is created at most once ---------------------------------------------


def test_an_invoice_answered_500_is_asked_once_and_its_outcome_unknown(
    rail: NowPaymentsRail,
    fake: FakeNowPayments,
    sleeps: list[float],
    receiver: Receiver,
    invoices: Interrupting,
) -> None:
    fake.outage("500")
    with pytest.raises(OutcomeUnknown, match="HTTP 500") as unknown:
        rail.start(request(receiver.url))
    assert invoices.attempts == 1
    assert sleeps == []
    assert_no_secrets(unknown.value)
    fake.outage(None)
    assert rail.start(request(receiver.url)).provider_ref in fake.invoices
    assert invoices.attempts == 2


def test_an_invoice_that_times_out_is_asked_once_and_its_outcome_unknown(
    rail: NowPaymentsRail,
    fake: FakeNowPayments,
    sleeps: list[float],
    receiver: Receiver,
    invoices: Interrupting,
) -> None:
    fake.outage("hang")
    began = time.monotonic()
    with pytest.raises(OutcomeUnknown, match="ReadTimeout") as unknown:
        rail.start(request(receiver.url))
    assert time.monotonic() - began < 2  # one 0.3 s timeout, not three, not the 5 s hang
    assert (invoices.attempts, sleeps) == (1, [])
    assert_no_secrets(unknown.value)


def test_an_invoice_whose_reply_is_lost_is_created_once(
    rail: NowPaymentsRail,
    fake: FakeNowPayments,
    sleeps: list[float],
    receiver: Receiver,
    invoices: Interrupting,
) -> None:
    invoices.actions.append(reply_lost())
    with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
        rail.start(request(receiver.url))
    [invoice] = fake.invoices.values()  # it exists at NOWPayments: once
    assert invoice["order_id"] == ORDER
    assert (invoices.attempts, sleeps) == (1, [])


@pytest.mark.parametrize("refusal", [not_connected(), too_many_requests], ids=["connect", "429"])
def test_an_invoice_request_that_never_arrived_is_retried(
    rail: NowPaymentsRail,
    fake: FakeNowPayments,
    sleeps: list[float],
    receiver: Receiver,
    invoices: Interrupting,
    refusal: Action,
) -> None:
    invoices.actions.append(refusal)
    started = rail.start(request(receiver.url))
    assert list(fake.invoices) == [started.provider_ref]
    assert (invoices.attempts, len(sleeps)) == (2, 1)


@pytest.mark.parametrize(
    ("refusal", "reason"),
    [(not_connected(), "ConnectError"), (too_many_requests, "HTTP 429")],
    ids=["connect", "429"],
)
def test_an_invoice_request_that_never_arrived_is_unavailable_not_unknown(
    rail: NowPaymentsRail,
    fake: FakeNowPayments,
    sleeps: list[float],
    receiver: Receiver,
    invoices: Interrupting,
    refusal: Action,
    reason: str,
) -> None:
    invoices.actions.extend([refusal] * 3)
    with pytest.raises(ProviderUnavailable, match=f"{reason} after 3 attempts") as caught:
        rail.start(request(receiver.url))
    assert not isinstance(caught.value, OutcomeUnknown)
    assert fake.invoices == {}
    assert (invoices.attempts, len(sleeps)) == (3, 2)


def test_a_status_query_is_retried_through_an_outage_then_unavailable(
    rail: NowPaymentsRail, fake: FakeNowPayments, sleeps: list[float], receiver: Receiver
) -> None:
    payment_id = fake.pay(rail.start(request(receiver.url)).provider_ref, ("waiting",))
    fake.outage("500")
    with pytest.raises(ProviderUnavailable, match="HTTP 500 after 3 attempts") as unavailable:
        rail.query(ORDER, str(payment_id), started_amount())
    assert not isinstance(unavailable.value, OutcomeUnknown)
    assert len(sleeps) == 2
    assert_no_secrets(unavailable.value)
    fake.outage(None)
    assert rail.query(ORDER, str(payment_id), started_amount()).status == "pending"


def test_hang_is_unavailable_within_the_client_timeout(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver
) -> None:
    fake.outage("hang")
    began = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="Timeout after 3 attempts") as unavailable:
        rail.query(ORDER, "5000000001", Money.of_minor(1050, "USD"))
    assert not isinstance(unavailable.value, OutcomeUnknown)
    assert time.monotonic() - began < 3  # 3 attempts of a 0.3 s timeout, not the 5 s hang
    assert_no_secrets(unavailable.value)


# -- the whole flow --------------------------------------------------------------------------


def test_a_paid_invoice_reports_pending_then_succeeded(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver
) -> None:
    started = rail.start(request(receiver.url))
    payment_id = fake.pay(started.provider_ref, rendering="js")
    assert [c.http_status for c in fake.callbacks] == [200] * 5
    assert [r.status for r in receiver.reports] == ["pending"] * 4 + ["succeeded"]
    last = receiver.reports[-1]
    assert last.payment_id == ORDER
    # Bound to the invoice we recorded at the start; the payment id is the money's own.
    assert {r.provider_ref for r in receiver.reports} == {started.provider_ref}
    assert last.transfer_ref == str(payment_id)
    assert last.paid == Money.of_minor(1050, "USD")
    assert last.verified
    assert not last.repeat_deposit
    assert last.idempotency_key == f"nowpayments:{payment_id}:finished"

    queried = rail.query(ORDER, str(payment_id), Money.of_minor(1050, "USD"))
    assert (queried.status, queried.verified, queried.paid) == ("succeeded", True, last.paid)
    assert (queried.provider_ref, queried.transfer_ref) == (started.provider_ref, str(payment_id))


def test_an_ipn_to_a_url_with_a_wrong_token_is_refused_though_signed(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver
) -> None:
    started = rail.start(request(receiver.url))
    wrong = f"{receiver.base}/payments/nowpayments/{ORDER}/{'0' * 32}"
    fake.invoices[started.provider_ref]["ipn_callback_url"] = wrong
    fake.pay(started.provider_ref, ("finished",))
    assert [c.http_status for c in fake.callbacks] == [401]
    assert receiver.reports == []
    assert [str(e) for e in receiver.errors] == ["wrong callback token"]


def test_duplicates_out_of_order_keep_one_key_per_status(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver
) -> None:
    started = rail.start(request(receiver.url))
    fake.pay(started.provider_ref, duplicate=2, order="shuffled")
    assert len(receiver.reports) == 10
    keys = {r.idempotency_key for r in receiver.reports}
    assert {k.rsplit(":", 1)[1] for k in keys} == {"waiting", "confirming", "confirmed"} | {
        "sending",
        "finished",
    }
    [transfer] = {r.transfer_ref for r in receiver.reports}
    assert {r.provider_ref for r in receiver.reports} == {started.provider_ref}
    assert rail.query(ORDER, transfer, started_amount()).status == "succeeded"


def started_amount() -> Money:
    return Money.of_minor(1050, "USD")


def test_underpayments_are_never_success(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver
) -> None:
    started = rail.start(request(receiver.url))
    # The fake asks 0.00013125 BTC for USD 10.50: 0.00013 of it is worth USD 10.40.
    short = fake.pay(started.provider_ref, ("finished",), actually_paid="0.00013")
    assert fake.payments[short]["pay_amount"] == Decimal("0.00013125")
    last = receiver.reports[-1]
    assert (last.status, last.raw_status, last.paid) == (
        "partially_paid",
        "finished",
        Money.of_minor(1040, "USD"),
    )
    queried = rail.query(ORDER, str(short), started_amount())
    assert (queried.status, queried.paid) == ("partially_paid", Money.of_minor(1040, "USD"))
    half = fake.partially_pay(started.provider_ref)  # 0.00006562 BTC, rounded to satoshis
    assert fake.payments[half]["actually_paid"] == Decimal("0.00006562")
    assert [(r.status, r.paid) for r in receiver.reports[-3:]] == [
        ("pending", None),
        ("pending", None),
        ("partially_paid", Money.of_minor(524, "USD")),  # 10.50 * 6562/13125 = 5.2496 -> 5.24
    ]


def test_repeat_deposits_are_flagged(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver
) -> None:
    started = rail.start(request(receiver.url))
    first = fake.pay(started.provider_ref)
    fake.repeat_deposit(first)
    again = receiver.reports[-2:]
    assert [(r.status, r.repeat_deposit) for r in again] == [
        ("pending", True),
        ("succeeded", True),
    ]
    assert {r.provider_ref for r in again} == {started.provider_ref}  # the same invoice
    assert {r.transfer_ref for r in again} != {str(first)}  # another movement of money
    assert again[0].transfer_ref == again[1].transfer_ref


def test_bad_signatures_are_refused_with_401(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver
) -> None:
    payment_id = fake.pay(rail.start(request(receiver.url)).provider_ref, ("waiting",))
    for signature in ("wrong", "missing"):
        assert fake.fire(payment_id, "finished", signature=signature).http_status == 401
    tampered = fake.fire(payment_id, "finished", tamper={"price_amount": 1000.5})
    assert tampered.http_status == 401
    reasons = ["wrong signature", "missing signature", "wrong signature"]
    assert [str(e) for e in receiver.errors] == reasons
    for error in receiver.errors:
        assert_no_secrets(error)
    _, body, headers = fake.ipn(payment_id, "finished")
    other = NowPaymentsSettings(base_url=fake.base_url, api_key=API_KEY, ipn_secret="other")
    with pytest.raises(Unauthorized):
        NowPaymentsRail(other).read_callback("", headers, body)


def test_query_refusals(rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver) -> None:
    payment_id = fake.pay(rail.start(request(receiver.url)).provider_ref, ("waiting",))
    amount = started_amount()
    assert rail.query(ORDER, str(payment_id), amount).status == "pending"
    for ref in (None, "", "../invoice", "999"):
        with pytest.raises(ProviderRefused):
            rail.query(ORDER, ref, amount)
    with pytest.raises(ProviderRefused, match="another order"):
        rail.query("someone-else", str(payment_id), amount)


def test_control_api_over_http(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver
) -> None:
    started = rail.start(request(receiver.url))
    control = fake.base_url.removesuffix("/v1") + "/_fake/"
    paid = httpx.post(control + "pay", json={"invoice": ORDER, "statuses": ["finished"]}).json()
    assert [c["http_status"] for c in paid["callbacks"]] == [200]
    fired = httpx.post(control + "fire", json={"payment_id": paid["payment_id"], "status": "x"})
    assert fired.json()["http_status"] == 400  # an unknown status is a bad callback
    assert httpx.post(control + "outage", json={"mode": "500"}).json() == {"ok": True}
    with pytest.raises(ProviderUnavailable):
        rail.query(ORDER, str(paid["payment_id"]), started_amount())
    assert len(httpx.get(control + "callbacks").json()) == 2
    assert httpx.get(control + "invoices").json()[0]["id"] == started.provider_ref


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(min_value=100, max_value=10**13))
def test_the_amount_sent_parses_back_to_the_same_money(
    rail: NowPaymentsRail, fake: FakeNowPayments, receiver: Receiver, minor: int
) -> None:
    started = rail.start(request(receiver.url, minor=minor))
    sent = fake.invoices[started.provider_ref]["price_amount"]
    assert isinstance(sent, str)
    assert Money.of_minor(ipn.to_minor(ipn.amount(sent, "p"), "USD", "p"), "USD") == Money.of_minor(
        minor, "USD"
    )


def test_settings_from_the_environment_and_lazy_client(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not NowPaymentsSettings.from_env().configured()
    monkeypatch.setenv("SOKO_NOWPAYMENTS_API_KEY", API_KEY)
    monkeypatch.setenv("SOKO_NOWPAYMENTS_IPN_SECRET", IPN_SECRET)
    settings = NowPaymentsSettings.from_env()
    assert settings.configured()
    assert (settings.base_url, settings.price_currency) == ("https://api.nowpayments.io/v1", "usd")
    assert API_KEY not in repr(settings)
    rail = NowPaymentsRail(settings)
    assert rail.configured()
    assert rail.name == "nowpayments"
    assert rail.acknowledgement() == ({"ok": True}, 200)


def test_the_fake_runs_as_a_process_until_sigint() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["--port", str(port), "--api-key", API_KEY, "--ipn-secret", IPN_SECRET]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.nowpayments", *args],
        cwd=Path(__file__).parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}/v1" in process.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        reply = httpx.post(f"{base}/v1/invoice", headers={"x-api-key": API_KEY}, json={})
        assert reply.status_code == 400
        assert httpx.get(f"{base}/_fake/invoices").json() == []
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_an_invoice_stops_being_pending_after_a_day_of_our_own_choosing(
    fake: FakeNowPayments, receiver: Receiver
) -> None:
    from datetime import UTC, datetime, timedelta

    settings = NowPaymentsSettings(base_url=fake.base_url, api_key=API_KEY, ipn_secret=IPN_SECRET)
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    with httpx.Client(timeout=0.3) as client:
        started = NowPaymentsRail(settings, client, now=lambda: now).start(request(receiver.url))
    assert started.expires_at == now + timedelta(hours=24)
