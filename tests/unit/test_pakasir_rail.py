"""PakasirRail over real HTTP against FakePakasir: create, webhook, query, outages, QR."""

from __future__ import annotations

import functools
import json
import struct
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from events import Money
from functions.payments.callbacks import Addressed, address, callback_url
from functions.providers.base import (
    BadCallback,
    OutcomeUnknown,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    Unauthorized,
)
from functions.providers.pakasir.qr import qr_png
from functions.providers.pakasir.rail import MIN_AMOUNT_IDR, PakasirRail, PakasirSettings
from functions.providers.quota import MemoryQuotaStore, Quota
from tests.fakes.interrupting import (
    Action,
    Interrupting,
    not_connected,
    reply_lost,
    too_many_requests,
)
from tests.fakes.pakasir import FakePakasir
from tests.fakes.telegram import FakeClock

pytestmark = pytest.mark.unit

SECRET = "wh-3f9c2a71d0b84e6a9e51c7d2b6a0f418"
KEY = "fake-pakasir-api-key-0123456789"
CREATE_PATH = "/api/transactioncreate/qris"


def idr(rupiah: int) -> Money:
    return Money.of_minor(rupiah * 100, "IDR")


def request(
    rupiah: int = 10_000, payment_id: str = "pay-1", amount: Money | None = None
) -> PaymentRequest:
    return PaymentRequest(
        payment_id=payment_id,
        user_id=42,
        amount=amount or idr(rupiah),
        callback_url=f"https://soko.example/payments/pakasir/{SECRET}",
        description="Top-up",
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakePakasir]:
    with FakePakasir(api_key=KEY, clock=clock) as server:
        yield server


@functools.cache
def _client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, trust_env=False)  # shared: each costs ~0.1 s of TLS


def make_rail(
    fake: FakePakasir,
    clock: FakeClock,
    timeout: float = 2.0,
    transport: httpx.BaseTransport | None = None,
    **kw: Any,
) -> PakasirRail:
    settings = PakasirSettings(
        base_url=fake.base_url,
        project=fake.project,
        api_key=SecretStr(kw.pop("api_key", KEY)),
        webhook_secret=SecretStr(SECRET),
    )
    client = _client(timeout)
    if transport is not None:  # closed with the transport, by the test that made it
        client = httpx.Client(timeout=timeout, transport=transport, trust_env=False)
    now = kw.pop("now", lambda: datetime.fromtimestamp(clock(), UTC))
    return PakasirRail(settings, client, now, sleep=kw.pop("sleep", lambda _s: None), **kw)


@pytest.fixture
def rail(fake: FakePakasir, clock: FakeClock) -> PakasirRail:
    return make_rail(fake, clock)


def body(**changes: Any) -> bytes:
    data = {
        "amount": 10_000,
        "order_id": "pay-1",
        "project": "soko-test",
        "status": "completed",
        "payment_method": "qris",
        "completed_at": "2024-09-10T08:07:02.819+07:00",
    }
    return json.dumps(data | changes).encode()


def chain(err: BaseException | None) -> str:
    """Every message and argument of an exception and of those it came from."""
    text = ""
    while err is not None:
        text += f"{err!s} {err.args!r} {type(err).__name__}\n"
        err = err.__cause__ or err.__context__
    return text


# -- start ----------------------------------------------------------------------------------


def test_start_creates_a_qris_payment(rail: PakasirRail, fake: FakePakasir) -> None:
    started = rail.start(request(10_000))
    order = fake.orders["pay-1"]
    assert (order.amount, order.fee) == (10_000, 380)
    assert started.provider_ref == "pay-1"
    assert started.instructions.kind == "qr"
    assert started.instructions.qr_payload == order.payment_number
    assert started.instructions.qr_payload.startswith("000201")
    assert "IDR 10,380" in started.instructions.text  # what the customer pays, fee included
    assert fake.pending_orders()[0]["order_id"] == "pay-1"


def test_a_start_over_the_deployments_quota_is_not_sent_and_counts_as_unavailable(
    fake: FakePakasir, clock: FakeClock
) -> None:
    now = lambda: datetime.fromtimestamp(clock(), UTC)  # noqa: E731
    rail = make_rail(fake, clock, pacer=Quota(MemoryQuotaStore(), "pakasir", 1, now))
    rail.start(request(10_000))
    with pytest.raises(ProviderUnavailable, match="calls for this minute are spent"):
        rail.start(request(20_000, payment_id="pay-2"))
    assert list(fake.orders) == ["pay-1"]  # the second never reached Pakasir


def test_expiry_is_capped_at_ten_minutes(rail: PakasirRail, clock: FakeClock) -> None:
    started = rail.start(request())  # the fake says 30 minutes
    assert started.expires_at == datetime.fromtimestamp(clock(), UTC) + timedelta(minutes=10)


def test_an_earlier_provider_expiry_wins(fake: FakePakasir, clock: FakeClock) -> None:
    fake.lifetime = timedelta(minutes=5)
    started = make_rail(fake, clock).start(request())
    assert started.expires_at == datetime.fromtimestamp(clock(), UTC) + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (idr(MIN_AMOUNT_IDR - 1), "minimum"),
        (Money.of_minor(1_000_050, "IDR"), "whole rupiah"),
        (Money.of_minor(1_000, "USD"), "IDR only"),
    ],
)
def test_start_refuses_amounts_pakasir_cannot_take(
    rail: PakasirRail, fake: FakePakasir, amount: Money, words: str
) -> None:
    with pytest.raises(ProviderRefused, match=words):
        rail.start(request(amount=amount))
    assert fake.orders == {}  # refused before any call


def test_minimum_itself_is_accepted(rail: PakasirRail) -> None:
    assert rail.start(request(MIN_AMOUNT_IDR)).provider_ref == "pay-1"


def test_a_refusal_never_shows_the_api_key(fake: FakePakasir, clock: FakeClock) -> None:
    with pytest.raises(ProviderRefused, match="401") as caught:
        make_rail(fake, clock, api_key="wrong-key-abcdefghijkl").start(request())
    assert "wrong-key-abcdefghijkl" not in chain(caught.value)


def test_an_error_echoing_the_key_is_redacted() -> None:
    def echo(req: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": f"bad request {req.url}"})

    settings = PakasirSettings(project="p", api_key=SecretStr(KEY), webhook_secret=SecretStr("s"))
    rail = PakasirRail(settings, httpx.Client(transport=httpx.MockTransport(echo)))
    with pytest.raises(ProviderRefused) as caught:
        rail.query("pay-1", None, idr(10_000))
    assert KEY not in str(caught.value)
    assert "[redacted]" in str(caught.value)


# -- webhook --------------------------------------------------------------------------------


def test_the_webhook_url_is_one_per_project_and_holds_the_secret(rail: PakasirRail) -> None:
    assert (rail.callback_scope, rail.signed) == ("rail", False)
    with pytest.raises(NotImplementedError):
        rail.callback_key()  # no per-payment tokens: Pakasir calls one URL per project
    for payment_id in ("pay-1", "pay-2"):
        url = callback_url("https://soko.example/", rail, payment_id)
        assert url == f"https://soko.example/payments/pakasir/{SECRET}"
    # The payment core passes a rail-scoped path through; the rail checks its own secret.
    assert address(rail, SECRET) == Addressed(None, SECRET)
    assert address(rail, "wrong") == Addressed(None, "wrong")
    with pytest.raises(Unauthorized):
        rail.read_callback(address(rail, "wrong").rest, {}, body())


@pytest.mark.parametrize("path", ["", "wrong", SECRET + "/", SECRET[:-1], SECRET.upper()])
def test_a_wrong_path_secret_is_unauthorized(rail: PakasirRail, path: str) -> None:
    with pytest.raises(Unauthorized):
        rail.read_callback(address(rail, path).rest, {}, body())


def test_no_configured_secret_accepts_nothing(fake: FakePakasir) -> None:
    rail = PakasirRail(PakasirSettings(base_url=fake.base_url, project=fake.project))
    assert not rail.configured()
    with pytest.raises(Unauthorized):
        rail.read_callback("", {}, body())


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"completed"',
        json.dumps({"order_id": "pay-1", "status": "completed"}).encode(),  # fields missing
        body(amount="10000"),
        body(amount=10_000.0),
        body(amount=True),
        body(amount=0),
        body(order_id=123),
        body(order_id=""),
        body(status=None),
        body(completed_at=5),
        body(project="someone-else"),
        body(status="refunded"),
        body(payment_method="x" * (64 * 1024)),  # over 64 KiB
    ],
)
def test_malformed_callbacks_are_bad(rail: PakasirRail, raw: bytes) -> None:
    with pytest.raises(BadCallback):
        rail.read_callback(SECRET, {}, raw)


def test_completed_callback_is_an_unverified_success(rail: PakasirRail) -> None:
    report = rail.read_callback(SECRET, {"content-type": "application/json"}, body())
    assert (report.payment_id, report.status, report.paid) == ("pay-1", "succeeded", idr(10_000))
    # The order id is our payment id, and the reference the start recorded.
    assert (report.provider_ref, report.transfer_ref) == ("pay-1", None)
    assert report.idempotency_key == "pakasir:pay-1:completed"
    assert report.verified is False


@pytest.mark.parametrize(
    ("raw_status", "status"),
    [("canceled", "failed"), ("cancelled", "failed"), ("pending", "pending")],
)
def test_other_statuses_are_mapped(rail: PakasirRail, raw_status: str, status: str) -> None:
    report = rail.read_callback(SECRET, {}, body(status=raw_status, completed_at=None))
    assert (report.status, report.paid, report.verified) == (status, None, False)
    assert report.idempotency_key == f"pakasir:pay-1:{raw_status}"


class _Receiver(BaseHTTPRequestHandler):
    got: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        self.got.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    got: list[tuple[str, bytes]] = []
    handler = type("Handler", (_Receiver,), {"got": got})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/payments/pakasir/{SECRET}", got
    server.shutdown()
    server.server_close()


def test_paying_fires_a_webhook_the_rail_accepts(
    rail: PakasirRail, fake: FakePakasir, receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    url, got = receiver
    fake.set_webhook(url)
    rail.start(request(25_000))
    assert [d.status for d in fake.pay("pay-1")] == [200]
    path, raw = got[0]
    assert path == f"/payments/pakasir/{SECRET}"
    addressed = address(rail, path.removeprefix("/payments/pakasir/"))
    report = rail.read_callback(addressed.rest, {}, raw)
    assert (report.payment_id, report.status, report.paid, report.verified) == (
        "pay-1",
        "succeeded",
        idr(25_000),
        False,
    )
    # Confirmed by asking about the payment's own order id (the reference it started with).
    assert rail.query("pay-1", "pay-1", idr(25_000)).status == "succeeded"
    assert rail.query("pay-1", report.provider_ref, idr(25_000)).status == "succeeded"


def test_fake_webhook_repeats_delays_and_wrong_paths(
    rail: PakasirRail, fake: FakePakasir, receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    url, got = receiver
    fake.set_webhook(url)
    rail.start(request())
    fake.fire_webhook("pay-1", times=2, to_path="/payments/pakasir/guess")
    assert fake.fire_webhook("pay-1", delay=0.05) == []
    deadline = time.monotonic() + 5
    while len(got) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [p for p, _ in got] == ["/payments/pakasir/guess"] * 2 + [f"/payments/pakasir/{SECRET}"]
    with pytest.raises(Unauthorized):
        rail.read_callback("guess", {}, got[0][1])


# -- query ----------------------------------------------------------------------------------


def test_query_reports_pending_then_completed(rail: PakasirRail, fake: FakePakasir) -> None:
    rail.start(request(10_000))
    pending = rail.query("pay-1", "pay-1", idr(10_000))
    assert (pending.status, pending.paid, pending.verified) == ("pending", None, True)
    fake.pay("pay-1")
    done = rail.query("pay-1", "pay-1", idr(10_000))
    assert (done.status, done.paid, done.verified) == ("succeeded", idr(10_000), True)
    assert done.idempotency_key == "pakasir:pay-1:completed"


def test_query_reports_a_cancelled_payment(rail: PakasirRail, fake: FakePakasir) -> None:
    rail.start(request())
    fake.cancel("pay-1")
    assert rail.query("pay-1", None, idr(10_000)).status == "failed"


def test_a_forged_webhook_does_not_fool_the_query(
    rail: PakasirRail, fake: FakePakasir, receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    url, got = receiver
    fake.set_webhook(url)
    rail.start(request(10_000))
    fake.fire_webhook("pay-1", status="completed", amount=100_000)  # never paid; forged amount
    hint = rail.read_callback(SECRET, {}, got[0][1])
    assert (hint.status, hint.paid, hint.verified) == ("succeeded", idr(100_000), False)
    truth = rail.query("pay-1", hint.provider_ref, idr(10_000))
    assert (truth.status, truth.paid, truth.verified) == ("pending", None, True)


def test_query_of_an_unknown_order_is_refused(rail: PakasirRail) -> None:
    with pytest.raises(ProviderRefused, match="404"):
        rail.query("nope", None, idr(10_000))


# -- outages and secrecy ----------------------------------------------------------------------


def test_a_status_query_is_retried_through_an_outage_then_unavailable(
    fake: FakePakasir, clock: FakeClock
) -> None:
    sleeps: list[float] = []
    rail = make_rail(fake, clock, sleep=sleeps.append)
    rail.start(request())
    fake.outage("500")
    with pytest.raises(ProviderUnavailable, match="HTTP 500 after 3 attempts") as caught:
        rail.query("pay-1", "pay-1", idr(10_000))
    assert not isinstance(caught.value, OutcomeUnknown)
    assert len(sleeps) == 2
    assert KEY not in chain(caught.value)


def test_a_create_answered_500_is_sent_once_and_its_outcome_unknown(
    fake: FakePakasir, clock: FakeClock
) -> None:
    sleeps: list[float] = []
    with Interrupting(CREATE_PATH) as creates:
        rail = make_rail(fake, clock, transport=creates, sleep=sleeps.append)
        fake.outage("500")
        with pytest.raises(OutcomeUnknown, match="HTTP 500") as caught:
            rail.start(request(payment_id="pay-2"))
        assert (creates.attempts, sleeps) == (1, [])
        assert KEY not in chain(caught.value)
        fake.outage(None)
        assert rail.start(request(payment_id="pay-2")).provider_ref == "pay-2"


def test_a_hanging_provider_is_unavailable_quickly(fake: FakePakasir, clock: FakeClock) -> None:
    rail = make_rail(fake, clock, timeout=0.2, attempts=2)
    fake.outage("hang")
    began = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="Timeout after 2 attempts") as caught:
        rail.query("pay-1", None, idr(10_000))
    assert not isinstance(caught.value, OutcomeUnknown)
    assert time.monotonic() - began < 3
    assert KEY not in chain(caught.value)
    fake.outage(None)
    assert rail.start(request()).provider_ref == "pay-1"


def test_a_create_that_times_out_is_sent_once_and_its_outcome_unknown(
    fake: FakePakasir, clock: FakeClock
) -> None:
    sleeps: list[float] = []
    with Interrupting(CREATE_PATH) as creates:
        rail = make_rail(fake, clock, timeout=0.2, transport=creates, sleep=sleeps.append)
        fake.outage("hang")
        began = time.monotonic()
        with pytest.raises(OutcomeUnknown, match="ReadTimeout") as caught:
            rail.start(request())
        assert time.monotonic() - began < 2  # one 0.2 s timeout, no second attempt
        assert (creates.attempts, sleeps) == (1, [])
        assert KEY not in chain(caught.value)


def test_a_create_whose_reply_is_lost_is_sent_once(fake: FakePakasir, clock: FakeClock) -> None:
    sleeps: list[float] = []
    with Interrupting(CREATE_PATH, reply_lost()) as creates:
        rail = make_rail(fake, clock, transport=creates, sleep=sleeps.append)
        with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
            rail.start(request())
        assert list(fake.orders) == ["pay-1"]  # Pakasir has the QRIS payment: made once
        assert (creates.attempts, sleeps) == (1, [])


@pytest.mark.parametrize("refusal", [not_connected(), too_many_requests], ids=["connect", "429"])
def test_a_create_that_never_arrived_is_retried(
    fake: FakePakasir, clock: FakeClock, refusal: Action
) -> None:
    sleeps: list[float] = []
    with Interrupting(CREATE_PATH, refusal) as creates:
        rail = make_rail(fake, clock, transport=creates, sleep=sleeps.append)
        assert rail.start(request()).provider_ref == "pay-1"
        assert list(fake.orders) == ["pay-1"]
        assert (creates.attempts, len(sleeps)) == (2, 1)


@pytest.mark.parametrize(
    ("refusal", "reason"),
    [(not_connected(), "ConnectError"), (too_many_requests, "HTTP 429")],
    ids=["connect", "429"],
)
def test_a_create_that_never_arrived_is_unavailable_not_unknown(
    fake: FakePakasir, clock: FakeClock, refusal: Action, reason: str
) -> None:
    sleeps: list[float] = []
    with Interrupting(CREATE_PATH, refusal, refusal, refusal) as creates:
        rail = make_rail(fake, clock, transport=creates, sleep=sleeps.append)
        with pytest.raises(ProviderUnavailable, match=f"{reason} after 3 attempts") as caught:
            rail.start(request())
        assert not isinstance(caught.value, OutcomeUnknown)
        assert KEY not in chain(caught.value)
        assert fake.orders == {}
        assert (creates.attempts, len(sleeps)) == (3, 2)


# -- the rest ---------------------------------------------------------------------------------


def test_acknowledgement(rail: PakasirRail) -> None:
    assert rail.acknowledgement() == ({"ok": True}, 200)


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not PakasirSettings.from_env().configured()
    monkeypatch.setenv("SOKO_PAKASIR_PROJECT", "shop")
    monkeypatch.setenv("SOKO_PAKASIR_API_KEY", KEY)
    monkeypatch.setenv("SOKO_PAKASIR_WEBHOOK_SECRET", SECRET)
    settings = PakasirSettings.from_env()
    assert settings.configured()
    assert (settings.base_url, settings.method) == ("https://app.pakasir.com", "qris")
    assert KEY not in repr(settings)


def test_qr_png_renders_the_payload(rail: PakasirRail) -> None:
    import segno

    payload = rail.start(request()).instructions.qr_payload
    assert payload is not None
    png = qr_png(payload)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == segno.make_qr(payload, error="m").symbol_size(scale=8, border=4)
    assert png == qr_png(payload)


def test_fake_control_over_http(rail: PakasirRail, fake: FakePakasir) -> None:
    rail.start(request())
    with httpx.Client(base_url=fake.base_url) as http:
        pending = http.get("/_fake/pending_orders").json()
        assert [o["order_id"] for o in pending] == ["pay-1"]
        assert http.post("/_fake/pay", json={"order_id": "pay-1"}).json()["ok"] is True
        assert http.get("/_fake/pending_orders").json() == []
        assert http.post("/_fake/outage", json={"mode": "500"}).json() == {"ok": True}
        assert http.post("/api/transactiondetail").status_code == 500
        assert http.post("/_fake/nope").status_code == 404
    fake.outage(None)
    assert rail.query("pay-1", None, idr(10_000)).status == "succeeded"
