"""Fuzzing every inbound HTTP entry point on memory adapters, through functions-framework.

The HTTP-triggered functions (infra/topology.py: telegram_webhook, payment_webhook, health,
and scheduled_job, which Cloud Scheduler calls over HTTP) get random methods, paths, headers
and bodies. Each example runs on fresh memory adapters, seeded through the Telegram webhook
with a user, an admin, a product in stock and one started payment per rail (M-Pesa, Pakasir,
NOWPayments, the test rail, Stars, a manual transfer). The real rails talk to an in-process
provider (httpx.MockTransport) in a mood each example draws (healthy, refusing, down, slow,
answering garbage), the Bot API is the RecordingBot, and no socket may be opened.

Properties:
- whatever arrives, nothing answers 5xx, except a payment callback's 503 while the provider
  misbehaves (the documented "try again": the reconcile job settles it regardless);
- a request that does not authenticate writes nothing: no event, idempotency record, read
  model or publish, and calls neither a provider nor the Bot API;
- hostile content behind the right credentials (signed NOWPayments IPNs, Telegram updates
  with the right secret, unsigned callbacks on their own callback URL, scheduler runs)
  never answers 5xx either.
"""

from __future__ import annotations

import copy
import json
import math
import re
import socket
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qs, quote, unquote_to_bytes

import flask
import httpx
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from functions.jobs import JOBS
from functions.jobs.endpoint import SECRET_HEADER as SCHEDULER_HEADER
from functions.providers.base import BadCallback, Rail, Report
from functions.providers.mpesa.rail import MpesaRail, MpesaSettings
from functions.providers.nowpayments import sig
from functions.providers.nowpayments.rail import NowPaymentsRail, NowPaymentsSettings
from functions.providers.pakasir.rail import PakasirRail, PakasirSettings
from functions.providers.token_cache import MemoryTokenCache
from functions.runtime import bootstrap, logs
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import (
    FixedClock,
    MemoryEventStore,
    MemoryPublisher,
    MemoryReadModels,
)
from functions.telegram.webhook import SECRET_HEADER as TELEGRAM_HEADER
from tests import builders
from tests.builders import (
    SCHEDULER_SECRET,
    WEBHOOK_SECRET,
    button_update,
    pre_checkout_update,
    recorded,
    text_update,
)
from tests.fakes.recording_bot import RecordingBot
from tests.functions.conftest import client_for, everything_written, post_update
from tests.functions.fake_rail import PATH_SECRET, FakeRail
from tests.functions.shop_helpers import ADMIN

pytestmark = pytest.mark.functions

USER = 7
OTHER_USER = 1111111
BASE = "https://functions.example/payment_webhook"
MPESA_SECRET = "mpesa-callback-secret-for-tests"
PAKASIR_SECRET = "pakasir-webhook-secret-for-tests"
PAKASIR_PROJECT = "soko-fuzz"
IPN_SECRET = "nowpayments-ipn-secret-for-tests"
SIGNATURE_HEADER = sig.SIGNATURE_HEADER
ENTRY_POINTS = ("telegram_webhook", "payment_webhook", "scheduled_job", "health")
RAILS = ("mpesa", "pakasir", "fake", "nowpayments")  # the rails with provider callbacks
SETTINGS = {
    "public_base_url": BASE,
    "stars_enabled": True,
    "admin_ids": frozenset({ADMIN}),
    "manual_transfer_details": "IBAN PL61 1090 1014 0000 0712 1981 2874",
}
# Each example is a fresh world of a few dozen requests: a few seconds per property.
FUZZ = settings(
    max_examples=200,
    derandomize=True,  # the same examples on every run: CI stays stable
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # every example builds its own runtime
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# -- the provider: every rail's API, in a mood ---------------------------------------------

MOODS = ("ok", "refuse", "down", "timeout", "garbage")
TRUTHS = ("succeeded", "pending", "failed", "expired")
MPESA_RESULT = {"succeeded": "0", "failed": "1032", "expired": "1019"}
PAKASIR_STATUS = {"succeeded": "completed", "pending": "pending", "failed": "canceled",
                  "expired": "expired"}  # fmt: skip
NOWPAYMENTS_STATUS = {"succeeded": "finished", "pending": "waiting", "failed": "failed",
                      "expired": "expired"}  # fmt: skip


def _json(request: httpx.Request) -> dict[str, Any]:
    try:
        body = json.loads(request.content or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class FakeProviders:
    """M-Pesa, Pakasir and NOWPayments behind one httpx.MockTransport: they answer like the
    real APIs while `mood` is "ok" (with `truth` as each payment's status), and record every
    request and every callback URL a start named."""

    def __init__(self) -> None:
        self.mood = "ok"
        self.truth = "pending"
        self.requests: list[httpx.Request] = []
        self.callback_urls: dict[str, str] = {}  # our payment id -> the URL given at start
        self.invoices: dict[str, str] = {}  # NOWPayments invoice id -> our payment id

    def rails(self, rt: Runtime) -> dict[str, Rail]:
        def client() -> httpx.Client:
            return httpx.Client(transport=httpx.MockTransport(self.answer))

        def no_sleep(_: float) -> None:
            pass

        mpesa = MpesaSettings(
            base_url="https://mpesa.fake", consumer_key="key", consumer_secret="consumer-secret",
            passkey="passkey", shortcode="174379", callback_secret=MPESA_SECRET,
        )  # fmt: skip
        nowpayments = NowPaymentsSettings(
            base_url="https://nowpayments.fake/v1", api_key="np-key", ipn_secret=IPN_SECRET
        )
        pakasir = PakasirSettings(
            base_url="https://pakasir.fake", project=PAKASIR_PROJECT, api_key="pk-key",
            webhook_secret=PAKASIR_SECRET,
        )  # fmt: skip
        now = rt.clock.now
        return {
            "mpesa": MpesaRail(
                mpesa, client(), now, token_cache=MemoryTokenCache(), sleep=no_sleep
            ),
            "nowpayments": NowPaymentsRail(nowpayments, client(), sleep=no_sleep, now=now),
            "pakasir": PakasirRail(pakasir, client(), now, sleep=no_sleep),
        }

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.mood == "timeout":
            raise httpx.ReadTimeout("the fake provider is slow", request=request)
        if self.mood == "down":
            return httpx.Response(503, text="Service Unavailable")
        if self.mood == "garbage":
            return httpx.Response(200, content=b"<html>maintenance</html>")
        if self.mood == "refuse":
            return httpx.Response(
                400,
                json={"message": "refused", "errorCode": "400.002.02", "errorMessage": "Bad"},
            )
        return self._healthy(request)

    def _healthy(self, request: httpx.Request) -> httpx.Response:
        path, body = request.url.path, _json(request)
        if path.endswith("/oauth/v1/generate"):
            return httpx.Response(200, json={"access_token": "fake-token", "expires_in": "3599"})
        if path.endswith("/stkpush/v1/processrequest"):
            payment_id = str(body.get("AccountReference"))
            self.callback_urls[payment_id] = str(body.get("CallBackURL"))
            return httpx.Response(200, json={
                "MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": f"ws_CO_{payment_id}",
                "ResponseCode": "0", "ResponseDescription": "Success. Request accepted",
                "CustomerMessage": "Success. Request accepted for processing",
            })  # fmt: skip
        if path.endswith("/stkpushquery/v1/query"):
            if self.truth == "pending":
                return httpx.Response(500, json={
                    "requestId": "1", "errorCode": "500.001.1001",
                    "errorMessage": "The transaction is being processed",
                })  # fmt: skip
            return httpx.Response(200, json={
                "ResponseCode": "0", "ResponseDescription": "The service request has been accepted",
                "MerchantRequestID": "29115-34620561-1",
                "CheckoutRequestID": body.get("CheckoutRequestID"),
                "ResultCode": MPESA_RESULT[self.truth], "ResultDesc": "fake result",
            })  # fmt: skip
        if "/api/transactioncreate/" in path:
            amount = body.get("amount")
            total = amount + 660 if isinstance(amount, int) else 0
            return httpx.Response(200, json={"payment": {
                "project": PAKASIR_PROJECT, "order_id": body.get("order_id"), "amount": amount,
                "fee": 660, "total_payment": total, "payment_method": "qris",
                "payment_number": "00020101021226610016ID.CO.SOKOFAKE.WWW6304ABCD",
                "expired_at": "2026-01-01T07:10:00.000000000+07:00",
            }})  # fmt: skip
        if path.endswith("/api/transactiondetail"):
            query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
            paid = self.truth == "succeeded"
            return httpx.Response(200, json={"transaction": {
                "amount": int(query.get("amount", "0") or 0), "order_id": query.get("order_id"),
                "project": query.get("project"), "status": PAKASIR_STATUS[self.truth],
                "payment_method": "qris",
                "completed_at": "2026-01-01T07:05:00.000000000+07:00" if paid else None,
            }})  # fmt: skip
        if path.endswith("/invoice"):
            invoice = str(4_522_625_843 + len(self.invoices))
            payment_id = str(body.get("order_id"))
            self.invoices[invoice] = payment_id
            self.callback_urls[payment_id] = str(body.get("ipn_callback_url"))
            return httpx.Response(
                200, json={"id": invoice, "invoice_url": f"https://nowpayments.fake/?iid={invoice}"}
            )
        if "/payment/" in path:
            transfer = path.rsplit("/", 1)[-1]
            invoice, payment_id = next(iter(self.invoices.items()), ("1", "unknown"))
            return httpx.Response(200, json=ipn(payment_id, invoice, transfer, self.truth))
        return httpx.Response(404, json={"message": "no such endpoint"})


def ipn(payment_id: str, invoice: str, transfer: object, truth: str) -> dict[str, Any]:
    """A NOWPayments payment document (IPN body and status reply) for a USD 25.00 invoice."""
    return {
        "payment_id": transfer, "invoice_id": invoice,
        "payment_status": NOWPAYMENTS_STATUS.get(truth, truth),
        "pay_address": "bc1qfakeaddress", "price_amount": 25, "price_currency": "usd",
        "pay_amount": "0.0003125", "actually_paid": "0.0003125", "pay_currency": "btc",
        "order_id": payment_id, "order_description": "Soko wallet top-up",
        "purchase_id": "5837122679", "outcome_amount": "0.000301", "outcome_currency": "btc",
        "payin_hash": "a1b2c3", "updated_at": 1767225900000,
    }  # fmt: skip


class StrictFakeRail(FakeRail):
    """The functions tier's FakeRail, refusing a signed claim whose `paid` is no amount (its
    own read_callback lets Money's ValidationError escape: a fake's flaw, not the app's)."""

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        try:
            return super().read_callback(path, headers, body)
        except ValueError as err:
            raise BadCallback("unreadable paid amount") from err


# -- the world each example runs in ----------------------------------------------------------


@dataclass
class Entry:
    """One entry point's test client, and the exceptions its requests raised."""

    name: str
    client: FlaskClient = field(repr=False)
    errors: list[BaseException] = field(default_factory=list, repr=False)

    def record(self, sender: object, exception: BaseException, **extra: object) -> None:
        self.errors.append(exception)


@dataclass(frozen=True)
class Call:
    """One HTTP request to one entry point: the reproduction printed for a failure."""

    entry: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def __repr__(self) -> str:
        body: object = self.body
        if len(self.body) > 600:
            body = f"<{len(self.body)} bytes: {self.body[:80]!r} … {self.body[-20:]!r}>"
        return (
            f"Call({self.entry}: {self.method} {self.path!r} headers={list(self.headers)!r} "
            f"body={body!r})"
        )


@dataclass
class World:
    rt: Runtime
    providers: FakeProviders
    fake: FakeRail
    rails: dict[str, str]  # payment id -> rail
    callbacks: dict[str, str]  # payment id -> its callback path, as given at start
    product: str
    mood: str = "ok"

    def ids(self, *rails: str) -> list[str]:
        """Our payment ids on these rails (all without), in the same order on every run even
        where ids are random: a replayed example must draw the same payment."""
        chosen = [(r, p) for p, r in self.rails.items() if not rails or r in rails]
        return [p for _, p in sorted(chosen)]

    def set_mood(self, mood: str, truth: str) -> None:
        self.mood = mood
        self.providers.mood, self.providers.truth = mood, truth
        self.fake.down = mood in ("down", "timeout", "garbage")
        self.fake.refuse = "the fake provider refuses" if mood == "refuse" else ""
        for payment_id in self.ids("fake"):
            self.fake.truth[payment_id] = cast(Any, truth)


@pytest.fixture
def entries(memory_runtime: Runtime) -> Iterator[dict[str, Entry]]:
    """A test client per HTTP entry point, recording the exceptions each one raised."""
    made = {name: Entry(name, client_for(name)) for name in ENTRY_POINTS}
    for entry in made.values():
        flask.got_request_exception.connect(entry.record, entry.client.application, weak=False)
    yield made
    for entry in made.values():
        flask.got_request_exception.disconnect(entry.record, entry.client.application)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every provider is faked in process: any socket connection is a test failure."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError(f"the fuzz test opened a connection to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts
    assert attempts == [], f"connections attempted: {attempts}"


def new_world(telegram: Entry) -> World:
    """Fresh memory adapters (built as memory_runtime's are), seeded over the webhook."""
    rt = bootstrap.build(builders.settings(**SETTINGS))
    rt.clock = FixedClock()
    rt.bot_override = RecordingBot()
    providers, fake = FakeProviders(), StrictFakeRail()
    rt.rail_overrides = {"fake": fake, **providers.rails(rt)}
    bootstrap.install(rt)  # memory_runtime's teardown uninstalls it

    update_ids = iter(range(1, 1000))

    def say(user: int, text: str) -> str:
        response = post_update(
            telegram.client, text_update(text, user_id=user, update_id=next(update_ids))
        )
        assert response.status_code == 200, (text, response.data, telegram.errors)
        return str((response.get_json() or {}).get("text", ""))

    for user in (USER, ADMIN, OTHER_USER):
        say(user, "/start")
    listed = say(ADMIN, "/addproduct Tea | Drinks | 10 PLN")
    found = re.search(r"<code>([0-9a-f]+)</code>", listed)
    assert found, listed
    product = found.group(1)
    say(ADMIN, f"/stock {product} 5")
    for text in ("/deposit mpesa 1500 0712345678", "/deposit pakasir 50000",
                 "/deposit nowpayments 25.00", "/deposit fake 1500", "/deposit stars 50",
                 "/deposit bank 100.00 REF123"):  # fmt: skip
        say(USER, text)

    store = rt.store
    rails: dict[str, str] = {}
    for stream in cast(MemoryEventStore, store).streams("payment"):
        first = store.load(stream)[0]
        rails[str(first.data["payment_id"])] = str(first.data["rail"])
    callbacks = {p: url.removeprefix(BASE) for p, url in providers.callback_urls.items()}
    for started in fake.started:
        callbacks[started.payment_id] = started.callback_url.removeprefix(BASE)
    for payment_id, rail in rails.items():
        if rail == "pakasir":
            callbacks[payment_id] = f"/payments/pakasir/{PAKASIR_SECRET}"
    assert {"mpesa", "pakasir", "nowpayments", "fake", "stars"} <= set(rails.values()), rails
    return World(rt, providers, fake, rails, callbacks, product)


def send(entries: Mapping[str, Entry], call: Call) -> tuple[int, BaseException | None]:
    """The request as a WSGI server hands it over: the path percent-decoded into PATH_INFO
    (so "//x" or "/%2F.." arrive as sent, not parsed by the test client as a URL)."""
    entry = entries[call.entry]
    entry.errors.clear()
    path, _, query = call.path.partition("#")[0].partition("?")
    environ = {"PATH_INFO": unquote_to_bytes(path).decode("latin-1"), "QUERY_STRING": query}
    response = entry.client.open(
        "/",
        method=call.method,
        headers=list(call.headers),
        data=call.body,
        environ_overrides=environ,
    )
    return response.status_code, (entry.errors[0] if entry.errors else None)


def expect_no_5xx(entries: Mapping[str, Entry], call: Call, *, outage: bool = False) -> int:
    """Send `call`; fail with the server's own traceback if it crashed or answered 5xx
    (a payment callback's 503 is allowed while the provider misbehaves: `outage`)."""
    status, error = send(entries, call)
    if error is not None:
        last = "".join(traceback.format_exception(error)[-6:])
        raise AssertionError(f"{call!r} -> {status}, raised:\n{last}") from error
    event(f"{call.entry} -> {status}")
    if status >= 500 and not (outage and status == 503 and call.entry == "payment_webhook"):
        raise AssertionError(f"{call!r} -> {status}")
    return status


def snapshot(world: World) -> dict[str, Any]:
    """Everything a request could have written or caused, on the memory adapters."""
    rt = world.rt
    store = cast(MemoryEventStore, rt.store)
    models = cast(MemoryReadModels, rt.read_models)
    publisher = cast(MemoryPublisher, rt.publisher)
    bot = cast(RecordingBot, rt.bot_override)
    return {
        "written": everything_written(rt),
        "idempotency": dict(store._keys),
        "unpublished": sorted(e.event_id for e in store.unpublished(100_000)),
        "read_models": copy.deepcopy(models._docs),
        "published": [e.event_id for e in publisher.published],
        "bot_calls": list(bot.calls),
        "provider_calls": len(world.providers.requests),
        "fake_rail": (world.fake.queries, len(world.fake.started)),
    }


# -- strategies: the pieces -----------------------------------------------------------------

PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
HEADER_VALUE = st.text(PRINTABLE, max_size=60) | st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=20,
)
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
HOSTILE_IDS = ("50771/25051", "", " ", ".", "..", "../..", "__x__", "a" * 200, "x" * 2000,
               "é", "💸", "\u202e", "\x00", "%2F", "a%2Fb", "%2e%2e", "%ZZ", "?x=1", "#frag",
               "null", "-1", "0", "1e9", "ws_CO_191220191020363925", "DROP TABLE")  # fmt: skip
HOSTILE_ID = st.sampled_from(HOSTILE_IDS) | ANY_TEXT
NUMBERS: list[object] = [0, -1, 1, 50, 1500, 2**31, 2**63, -(2**63), 10**30, -(10**30),
                         1.5, -0.0, 1e308, float("inf"), float("-inf"), float("nan")]  # fmt: skip
NUMBER_TEXTS = ("NaN", "nan", "Infinity", "-Infinity", "1e309", "-5", "0x10", "١٢٣", "",
                "25.001", "9" * 50, "1,500", "1_500", " 25 ")  # fmt: skip


def junk(allow_nan: bool = True) -> st.SearchStrategy[Any]:
    """A JSON value of a wrong type, out of range, or nested junk."""
    numbers = [n for n in NUMBERS if allow_nan or math.isfinite(cast(float, n))]
    leaves = (
        st.none() | st.booleans() | st.sampled_from(numbers) | st.integers()
        | st.floats(allow_nan=allow_nan, allow_infinity=allow_nan)
        | st.sampled_from(NUMBER_TEXTS) | st.sampled_from(HOSTILE_IDS) | ANY_TEXT
    )  # fmt: skip
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
        max_leaves=10,
    )


@st.composite
def mutated(draw: st.DrawFn, value: Any, allow_nan: bool = True) -> Any:
    """`value` with some fields replaced by junk, dropped or added; shrinks to `value`."""
    op = draw(st.integers(0, 11))
    if op == 10:
        return draw(junk(allow_nan))
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if draw(st.integers(0, 11)) == 11:
                continue  # dropped
            out[key] = draw(mutated(item, allow_nan))
        if op == 11:
            out[draw(ANY_TEXT)] = draw(junk(allow_nan))
        return out
    if isinstance(value, list):
        items = [draw(mutated(item, allow_nan)) for item in value]
        return [*items, draw(junk(allow_nan))] if op == 11 else items
    return value


def as_json(value: Any) -> bytes:
    return json.dumps(value).encode()


def deep_nesting() -> st.SearchStrategy[bytes]:
    return st.integers(10, 30_000).map(lambda n: b"[" * n + b"]" * n) | st.integers(10, 20_000).map(
        lambda n: b'{"a":' * n + b"1" + b"}" * n
    )


ODD_BODIES = (b"", b"null", b"NaN", b"-Infinity", b"1e99999", b"[]", b"{}", b'{"update_id": NaN}',
              b'{"job": "relay"', b"\xff\xfe{}", b"1" * 5000, b'{"a": 1, "a": 2}')  # fmt: skip


def any_body() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        junk().map(as_json),
        st.sampled_from(ODD_BODIES),
        deep_nesting(),
        st.just(b'{"pad": "' + b"x" * 70_000 + b'"}'),
    )


def methods() -> st.SearchStrategy[str]:
    return st.sampled_from(["POST", "GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])


def wrong(secret: str) -> st.SearchStrategy[str]:
    """A header value that is not `secret` (nor the same once stripped or case-folded)."""
    near = [secret[:-1], secret + "x", secret.upper(), "x" + secret, secret + " ", "",
            WEBHOOK_SECRET, SCHEDULER_SECRET, IPN_SECRET, PATH_SECRET, MPESA_SECRET]  # fmt: skip
    return (st.sampled_from(near) | st.text(PRINTABLE, max_size=60)).filter(
        lambda v: v.strip() != secret
    )


def random_headers(*, secrets: bool = True) -> st.SearchStrategy[list[tuple[str, str]]]:
    names = [logs.TRACE_HEADER, "Content-Type", "traceparent", "X-Forwarded-For", "Authorization",
             "Content-Encoding", "Transfer-Encoding", "Content-Length", "Expect"]  # fmt: skip
    if secrets:
        names += [TELEGRAM_HEADER, SCHEDULER_HEADER, SIGNATURE_HEADER]
    name = st.sampled_from(names) | st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True)
    pairs = st.lists(st.tuples(name, HEADER_VALUE), max_size=4)
    if not secrets:
        return pairs
    right = st.sampled_from([(TELEGRAM_HEADER, WEBHOOK_SECRET),
                             (SCHEDULER_HEADER, SCHEDULER_SECRET)])  # fmt: skip
    return st.tuples(pairs, st.lists(right, max_size=1)).map(lambda t: t[0] + t[1])


# -- strategies: shaped like the real payloads -----------------------------------------------

COMMANDS = ("/start", "/balance", "/help", "/deposit", "/history", "/held", "/approve",
            "/refund", "/shop", "/orders", "/addproduct", "/editproduct", "/stock",
            "/discount", "/hide", "/unhide", "/reseller", "/products", "/photo",
            "/start@SokoBot", "/DEPOSIT", "/")  # fmt: skip
EXAMPLES = ("/deposit mpesa 1500 0712345678", "/deposit pakasir 50000",
            "/deposit nowpayments 25.00", "/deposit stars 50", "/deposit bank 100.00 REF123",
            "/deposit fake 1500", "/start ref_42", "/held", "/deposit",
            "/addproduct Tea | Drinks | 10 PLN | kind=unique", "/reseller 7 on")  # fmt: skip
QUESTIONS = ("Deposit with Test rail (KES): reply with the amount, e.g. 1500",
             "Deposit with M-Pesa (KES): reply with the amount, e.g. 1500",
             "Deposit with Telegram Stars (XTR): reply with the amount, e.g. 50",
             "Deposit with Nothing (ZZZ): reply", "Deposit with ",
             "Reply with your M-Pesa phone number to pay order 0123456789ab",
             "Welcome to Soko!")  # fmt: skip


def words(world: World) -> st.SearchStrategy[str]:
    known = [*world.ids(), world.product, "mpesa", "pakasir", "nowpayments", "stars", "bank",
             "fake", "0712345678", "+254712345678", "|", "on", "off", "kind=unique",
             "price=1 PLN", "REF123", "ok", "no"]  # fmt: skip
    return (
        st.sampled_from(known) | st.sampled_from(NUMBER_TEXTS) | st.sampled_from(HOSTILE_IDS)
        | st.integers().map(str) | ANY_TEXT
    )  # fmt: skip


def texts(world: World) -> st.SearchStrategy[str]:
    built = st.tuples(st.sampled_from(COMMANDS), st.lists(words(world), max_size=4)).map(
        lambda t: " ".join([t[0], *t[1]])
    )
    return st.sampled_from(EXAMPLES) | built | st.text(max_size=80) | st.just("x" * 4096)


def users() -> st.SearchStrategy[int]:
    return st.sampled_from([USER, ADMIN, OTHER_USER]) | st.integers()


def update_ids() -> st.SearchStrategy[int]:
    return st.integers(10_000, 10_010) | st.integers(min_value=0)


def callback_data(world: World) -> st.SearchStrategy[str]:
    pid, product = st.sampled_from(world.ids()), st.just(world.product)
    rests = st.one_of(
        st.sampled_from(["mpesa", "pakasir", "nowpayments", "stars", "bank", "fake", "home"]),
        st.tuples(st.sampled_from(["ok", "no", "maybe"]), pid | HOSTILE_ID).map(":".join),
        st.tuples(st.sampled_from(["p", "b", "c", "w", "r", "x", "o"]),
                  product | pid | HOSTILE_ID,
                  st.sampled_from(["1", "0", "-1", "99", "mpesa", "stars", ""])).map(":".join),
        ANY_TEXT,
    )  # fmt: skip
    prefixes = st.sampled_from(["dep", "shop", "adm", ""]) | ANY_TEXT
    return st.tuples(prefixes, rests).map(":".join) | ANY_TEXT


MISSING: Any = object()  # a hostile "value": the field is left out


def corrupt(
    draw: st.DrawFn, valid: dict[str, Any], hostile: Mapping[str, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """`valid` with up to three fields taken from their hostile values (or left out): most
    of the payload stays right, so the wrong part reaches deep. Shrinks to `valid`."""
    names = draw(st.lists(st.sampled_from(sorted(hostile)), max_size=3, unique=True))
    out = {**valid, **{name: draw(hostile[name]) for name in names}}
    return {k: v for k, v in out.items() if v is not MISSING}


CHARGE_IDS = st.sampled_from(["50771/25051", "x" * 200, "é", "__c__", "..", " ", "a/b"])


def stars_payment(draw: st.DrawFn, world: World, kind: str) -> dict[str, Any]:
    """A successful_payment or refunded_payment for the seeded Stars deposit, corrupted."""
    valid = {
        "currency": "XTR",
        "total_amount": 50,
        "invoice_payload": world.ids("stars")[0],
        "telegram_payment_charge_id": draw(st.sampled_from(["stxAbC123", "stxOther9"])),
    }
    if kind == "successful_payment":
        valid["provider_payment_charge_id"] = ""
    return corrupt(draw, valid, {
        "currency": st.sampled_from(["KES", "USD", "xtr", "", "ZZZ", MISSING]) | ANY_TEXT,
        "total_amount": st.sampled_from([49, 51, 0, -50, 10**6, 2**63]) | st.integers(),
        "invoice_payload": st.sampled_from(world.ids()) | HOSTILE_ID,
        "telegram_payment_charge_id": CHARGE_IDS | ANY_TEXT,
    })  # fmt: skip


# Fields of a sender and a chat that the webhook's shape check leaves to python-telegram-bot.
SENDER_JUNK = {
    "first_name": st.sampled_from(["", "x" * 300, "<b>", MISSING]) | junk(),
    "last_name": junk(),
    "username": junk(),
    "language_code": st.sampled_from(["", "sw-KE", "zz", "x" * 100, MISSING]) | junk(),
    "is_bot": st.sampled_from([True, MISSING]) | junk(),
    "is_premium": junk(),
}
CHAT_JUNK = {
    "type": st.sampled_from(["group", "channel", "supergroup", "", MISSING]) | junk(),
    "title": junk(),
    "first_name": junk(),
    "username": junk(),
}


@st.composite
def telegram_update(draw: st.DrawFn, world: World) -> dict[str, Any]:
    """An update shaped like Telegram's: text, buttons, Stars, replies, photos, edits."""
    user, update_id = draw(st.just(USER) | users()), draw(update_ids())
    kind = draw(st.sampled_from(["text", "button", "pre_checkout", "successful_payment",
                                 "refunded_payment", "reply", "photo", "edited"]))  # fmt: skip
    if kind == "button":
        return button_update(draw(callback_data(world)), user_id=user, update_id=update_id)
    if kind == "pre_checkout":
        update = pre_checkout_update(world.ids("stars")[0], 50, user_id=user, update_id=update_id)
        query = update["pre_checkout_query"]
        update["pre_checkout_query"] = corrupt(draw, query, {
            "invoice_payload": st.sampled_from(world.ids()) | HOSTILE_ID,
            "total_amount": st.sampled_from([0, -1, 49, 10**20]) | st.integers(),
            "currency": st.sampled_from(["KES", "", MISSING]) | ANY_TEXT,
            "id": st.sampled_from(["", "x" * 300]) | junk(),
        })  # fmt: skip
        return update
    if kind == "edited":
        update = recorded("telegram/edited_message.json")
        update["update_id"] = update_id
        return update
    update = text_update(draw(texts(world)), user_id=user, update_id=update_id)
    message = update["message"]
    message["from"] = corrupt(draw, message["from"], SENDER_JUNK)
    message["chat"] = corrupt(draw, message["chat"], CHAT_JUNK)
    if kind in ("successful_payment", "refunded_payment"):
        del message["text"], message["entities"]
        message[kind] = stars_payment(draw, world, kind)
    elif kind == "reply":
        message["entities"] = []
        message["text"] = draw(words(world) | st.text(max_size=30))
        message["reply_to_message"] = {
            "message_id": 50, "date": 1767225600, "text": draw(st.sampled_from(QUESTIONS)),
            "chat": {"id": user, "type": "private"},
            "from": {"id": 123456, "is_bot": True, "first_name": "Soko"},
        }  # fmt: skip
    elif kind == "photo":
        del message["text"], message["entities"]
        message["photo"] = [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90,
                             "height": 90, "file_size": 1000}]  # fmt: skip
        message["caption"] = "/photo " + draw(st.sampled_from([world.product]) | HOSTILE_ID)
    return update


def telegram_body(world: World) -> st.SearchStrategy[bytes]:
    """Telegram-shaped updates, as they are or mutated, and any body at all."""
    shaped = telegram_update(world)
    return st.one_of(
        shaped.map(as_json),
        shaped.flatmap(mutated).map(as_json),
        any_body(),
    )


AMOUNT_JUNK = st.sampled_from([0, -1, 1, 10**30, 1.5, "1500", True, None]) | junk()


@st.composite
def mpesa_callback(draw: st.DrawFn, world: World, payment_id: str) -> dict[str, Any]:
    """Daraja's STKCallback for the payment's CheckoutRequestID, corrupted."""
    p = corrupt(draw, {
        "MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": f"ws_CO_{payment_id}",
        "ResultCode": draw(st.sampled_from([0, 1032, 1019])), "ResultDesc": "processed",
        "Amount": 1500, "MpesaReceiptNumber": "NLJ7RT61SV",
    }, {
        "MerchantRequestID": st.sampled_from(["", "x" * 65]) | junk(),
        "CheckoutRequestID": st.sampled_from([f"ws_CO_{p}" for p in world.ids()])
                             | HOSTILE_ID | junk(),
        "ResultCode": st.sampled_from([1, 2001, 9999, -1, 2**63, "0", True]) | junk(),
        "ResultDesc": st.just("x" * 600) | junk(),
        "Amount": st.sampled_from([1500.0, 1499, 15.5, -1500, MISSING]) | AMOUNT_JUNK,
        "MpesaReceiptNumber": st.sampled_from(["", "NLJ7-RT61", "x" * 33, MISSING]) | junk(),
    })  # fmt: skip
    items = [
        {"Name": name, "Value": p[name]} for name in ("Amount", "MpesaReceiptNumber") if name in p
    ] + [{"Name": "Balance"}, {"Name": "PhoneNumber", "Value": 254712345678}]
    callback = {k: v for k, v in p.items() if k not in ("Amount", "MpesaReceiptNumber")}
    if p.get("ResultCode") == 0 or draw(st.booleans()):
        callback["CallbackMetadata"] = {"Item": items}
    return {"Body": {"stkCallback": callback}}


@st.composite
def pakasir_callback(draw: st.DrawFn, world: World, payment_id: str) -> dict[str, Any]:
    """Pakasir's webhook about the payment's order id, corrupted."""
    return corrupt(draw, {
        "amount": 50000, "order_id": payment_id, "project": PAKASIR_PROJECT,
        "status": draw(st.sampled_from(["completed", "pending", "canceled", "expired"])),
        "payment_method": "qris", "completed_at": "2026-01-01T07:05:00.000000000+07:00",
    }, {
        "amount": st.sampled_from([49999, 50001, 50000.0, "50000"]) | AMOUNT_JUNK,
        "order_id": st.sampled_from(world.ids()) | HOSTILE_ID | junk(),
        "project": st.sampled_from(["other", "", MISSING]) | junk(),
        "status": st.sampled_from(["paid", "", "COMPLETED", "cancelled"]) | junk(),
        "payment_method": st.just("x" * 65) | junk(),
        "completed_at": st.sampled_from([None, "x" * 65, MISSING]) | junk(),
    })  # fmt: skip


@st.composite
def fake_callback(draw: st.DrawFn, world: World, payment_id: str) -> dict[str, Any]:
    """The test rail's callback (signed or not) about the payment, corrupted."""
    status = draw(st.sampled_from(TRUTHS))
    valid: dict[str, Any] = {"payment_id": payment_id, "status": status, "receipt": "R-1"}
    if draw(st.booleans()):
        valid.update(signed=True, paid=150_000)
    return corrupt(draw, valid, {
        "payment_id": st.sampled_from(world.ids()) | HOSTILE_ID | junk(),
        "status": st.sampled_from(["refunded", "partially_paid", ""]) | junk(),
        "receipt": HOSTILE_ID | junk(),
        "signed": st.sampled_from([True, False, "true", 1]),
        "paid": st.sampled_from([149_999, 150_001, 0, -1, 10**30, 1.5, "150000"]),
    })  # fmt: skip


TRANSFER_IDS: list[object] = ["50771/25051", "", "x" * 200, "é", "..", "__x__", " ", "a b",
                              0, -1, 10**30, True, None, 1.5, "5000000001", MISSING]  # fmt: skip
ORDER_IDS = ("50771/25051", "", " ", "x" * 200, "é", "💸", "..", "__x__", "ABCDEF012345",
             "0123456789abc", "%2F")  # fmt: skip
AMOUNTS: list[object] = ["25", "25.00", "25.001", 25.5, "0", 0, -25, "-25", 10**40,
                         "9" * 45, "1e5", "NaN", "Infinity", None, True, "", " 25 ", [25],
                         MISSING]  # fmt: skip
NOWPAYMENTS_STATUSES = ("waiting", "confirming", "confirmed", "sending", "partially_paid",
                        "finished", "failed", "refunded", "expired")  # fmt: skip


@st.composite
def nowpayments_callback(draw: st.DrawFn, world: World, payment_id: str) -> dict[str, Any]:
    """A NOWPayments payment document about the payment's invoice, corrupted."""
    invoice = next(iter(world.providers.invoices), "4522625843")
    transfer = draw(st.sampled_from([5_000_000_001, 5_000_000_002, "5000000003"]))
    valid = ipn(payment_id, invoice, transfer, draw(st.sampled_from(NOWPAYMENTS_STATUSES)))
    amount = st.sampled_from(AMOUNTS) | st.decimals(allow_nan=False, allow_infinity=False).map(str)
    return corrupt(draw, valid, {
        "order_id": st.sampled_from(world.ids()) | st.sampled_from(ORDER_IDS) | ANY_TEXT
                    | st.integers(),
        "invoice_id": st.sampled_from(["1", "", "x" * 200, invoice + "0", MISSING]) | junk(False),
        "payment_id": st.sampled_from(TRANSFER_IDS) | ANY_TEXT,
        "payment_status": st.sampled_from(["", "FINISHED", "paid", MISSING]) | ANY_TEXT,
        "price_amount": amount, "actually_paid": amount, "pay_amount": amount,
        "outcome_amount": amount,
        "price_currency": st.sampled_from(["USD", "kes", "xtr", "btc", "", "zzz", MISSING]),
        "pay_currency": st.sampled_from(["", "x" * 200, MISSING]) | junk(False),
        "parent_payment_id": st.sampled_from(TRANSFER_IDS),
        "payin_hash": junk(False),
    })  # fmt: skip


CALLBACKS: dict[str, Callable[[World, str], st.SearchStrategy[dict[str, Any]]]] = {
    "mpesa": mpesa_callback,
    "pakasir": pakasir_callback,
    "fake": fake_callback,
    "nowpayments": nowpayments_callback,
}


def signed(body: bytes, secret: str = IPN_SECRET) -> str:
    """The x-nowpayments-sig a sender holding `secret` puts on `body`."""
    return sig.sign(sig.parse(body), secret)


# -- property 1: whatever arrives, no 5xx ----------------------------------------------------


def payment_paths(world: World) -> st.SearchStrategy[str]:
    segment = st.one_of(
        st.sampled_from([MPESA_SECRET, PAKASIR_SECRET, PATH_SECRET, IPN_SECRET]),
        st.sampled_from(world.ids()),
        st.sampled_from(HOSTILE_IDS),
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="?#"), max_size=20),
    )
    rail = st.sampled_from(["mpesa", "nowpayments", "pakasir", "fake", "stars", "manual", "",
                            "..", "MPESA", "paypal"])  # fmt: skip
    rest = st.lists(segment, max_size=3).map("/".join)
    made = st.tuples(rail, rest).map(lambda t: f"/payments/{t[0]}/{t[1]}")
    return st.one_of(
        st.sampled_from([world.callbacks[p] for p in world.ids(*RAILS)]),  # the real URLs
        made,
        st.tuples(rail, rest).map(lambda t: f"/{t[0]}/{t[1]}"),
        st.sampled_from(["/", "/payments", "/payments/", "/payments//", "/payments/mpesa//x"]),
    )


SECRETS = {"telegram_webhook": (TELEGRAM_HEADER, WEBHOOK_SECRET),
           "scheduled_job": (SCHEDULER_HEADER, SCHEDULER_SECRET)}  # fmt: skip


def maybe_mutated(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """A payload as it is, or mutated anywhere; or any body at all."""
    return st.one_of(shaped.map(as_json), shaped.flatmap(mutated).map(as_json), any_body())


def callback_for(draw: st.DrawFn, world: World, rails: tuple[str, ...]) -> tuple[str, Any]:
    """One of our payments on these rails, and its provider's callback about it."""
    payment_id = draw(st.sampled_from(world.ids(*rails)))
    return payment_id, draw(CALLBACKS[world.rails[payment_id]](world, payment_id))


@st.composite
def any_call(draw: st.DrawFn, world: World) -> Call:
    entry = draw(st.sampled_from(ENTRY_POINTS))
    headers = draw(random_headers())
    if entry in SECRETS and draw(st.booleans()):
        headers.append(SECRETS[entry])
    if entry == "payment_webhook":
        path = draw(payment_paths(world))
        _, shaped = callback_for(draw, world, RAILS)
        body = draw(maybe_mutated(st.just(shaped)))
        if draw(st.booleans()):
            signature = signed(body) if draw(st.booleans()) and _parses(body) else "ab" * 64
            headers.append((SIGNATURE_HEADER, signature))
    else:
        path = draw(st.sampled_from(["/", "/x", "//", "/robots.txt"]) | payment_paths(world))
        if entry == "telegram_webhook":
            body = draw(maybe_mutated(telegram_update(world)))
        else:
            job = st.fixed_dictionaries({"job": st.sampled_from(sorted(JOBS))})
            body = draw(maybe_mutated(job))
    return Call(entry, draw(methods()), path, tuple(headers), body)


def _parses(body: bytes) -> bool:
    try:
        sig.parse(body)
    except sig.NotJson:
        return False
    return True


def draw_mood(world: World, data: st.DataObject) -> None:
    world.set_mood(data.draw(st.sampled_from(MOODS), "mood"), data.draw(st.sampled_from(TRUTHS)))


@FUZZ
@given(data=st.data())
def test_no_request_to_any_entry_point_is_answered_5xx(
    entries: dict[str, Entry], data: st.DataObject
) -> None:
    world = new_world(entries["telegram_webhook"])
    draw_mood(world, data)
    clock: FixedClock = world.rt.clock  # type: ignore[assignment]
    clock.advance(minutes=data.draw(st.sampled_from([0, 3, 24 * 60 + 1]), "minutes later"))
    for call in data.draw(st.lists(any_call(world), min_size=1, max_size=3), "calls"):
        expect_no_5xx(entries, call, outage=world.mood != "ok")


# -- property 2: without credentials, nothing is written ---------------------------------------


def strip_token(path: str) -> str:
    return path.rsplit("/", 1)[0]


@st.composite
def unauthenticated_call(draw: st.DrawFn, world: World) -> Call:
    """A request whose content is real (a valid update, a paid callback, a due job) but whose
    credentials are wrong or missing."""
    method = draw(st.sampled_from(["POST"]) | methods())
    extra = draw(random_headers(secrets=False))
    entry = draw(st.sampled_from(["telegram_webhook", "payment_webhook", "scheduled_job"]))
    if entry == "telegram_webhook":
        secret = draw(st.none() | wrong(WEBHOOK_SECRET))
        headers = extra + ([] if secret is None else [(TELEGRAM_HEADER, secret)])
        body = as_json(draw(telegram_update(world)))
        return Call(entry, method, draw(st.sampled_from(["/", "/x"])), tuple(headers), body)
    if entry == "scheduled_job":
        secret = draw(st.none() | wrong(SCHEDULER_SECRET))
        headers = extra + ([] if secret is None else [(SCHEDULER_HEADER, secret)])
        body = as_json({"job": draw(st.sampled_from(sorted(JOBS)))})
        return Call(entry, method, "/", tuple(headers), body)
    payment_id, shaped = callback_for(draw, world, RAILS)
    rail, body, right = world.rails[payment_id], as_json(shaped), world.callbacks[payment_id]
    if rail == "nowpayments":  # signed: on any path, a wrong or missing signature
        path = draw(st.sampled_from([right, strip_token(right), "/payments/nowpayments/"]))
        good = signed(body)
        signature = draw(st.one_of(
            st.none(), st.just(""), st.just(signed(body, "not-the-ipn-secret")),
            st.just(signed(as_json({**shaped, "payment_status": "failed"}))),
            st.text("0123456789abcdef", min_size=128, max_size=128), wrong(good),
        ).filter(lambda s: s is None or s.strip().lower() != good))  # fmt: skip
        headers = extra + ([] if signature is None else [(SIGNATURE_HEADER, signature)])
        return Call(entry, method, path, tuple(headers), body)
    head, token = strip_token(right), right.rsplit("/", 1)[-1]
    others = [world.callbacks[p] for p in world.ids(rail) if p != payment_id]
    paths = [
        f"/payments/{rail}/",
        f"/payments/{rail}/{payment_id}",
        f"/payments/mpesa/{MPESA_SECRET}/{payment_id}",  # the old path: tokens replaced it
        f"{head}/{token[:-1]}",
        f"{head}/{token.upper()}" if token.upper() != token else f"{head}/{token}x",
        f"{head}/{token}/extra",
        *[f"{head}/{other.rsplit('/', 1)[-1]}" for other in others],  # another payment's token
    ]
    guessed = st.text("0123456789abcdef", min_size=1, max_size=40).map(lambda t: f"{head}/{t}")
    path = draw((st.sampled_from(paths) | guessed).filter(lambda p: p.rstrip("/") != right))
    return Call(entry, method, path, tuple(extra), body)


@FUZZ
@given(data=st.data())
def test_unauthenticated_requests_write_nothing(
    entries: dict[str, Entry], data: st.DataObject
) -> None:
    world = new_world(entries["telegram_webhook"])
    world.set_mood("ok", "succeeded")  # the provider would confirm: only credentials stop it
    clock: FixedClock = world.rt.clock  # type: ignore[assignment]
    clock.advance(days=2)  # every job has work to do
    before = snapshot(world)
    for call in data.draw(st.lists(unauthenticated_call(world), min_size=1, max_size=3), "calls"):
        status = expect_no_5xx(entries, call)
        assert 400 <= status < 500, f"{call!r} -> {status}"
        assert snapshot(world) == before, f"{call!r} -> {status} changed something"


# -- property 3: hostile content behind the right credentials ----------------------------------


@st.composite
def signed_ipn(draw: st.DrawFn, world: World) -> Call:
    """A NOWPayments IPN signed with the IPN secret, on our payment's callback URL (or one
    that names another payment, or an old-style one), with hostile fields."""
    ours = world.ids("nowpayments")[0]
    doc = draw(nowpayments_callback(world, ours))
    doc = draw(st.just(doc) | mutated(doc, allow_nan=False))
    body = as_json(doc)
    named = doc.get("order_id") if isinstance(doc, dict) else None
    url, order = world.callbacks[ours], quote(str(named), safe="")
    path = draw(st.sampled_from([
        url, strip_token(url), "/payments/nowpayments/", f"/payments/nowpayments/{order}",
        f"/payments/nowpayments/{order}/{url.rsplit('/', 1)[-1]}",
    ]))  # fmt: skip
    headers = [("Content-Type", "application/json"), (SIGNATURE_HEADER, signed(body))]
    return Call("payment_webhook", "POST", path, tuple(headers), body)


@FUZZ
@given(data=st.data())
def test_signed_but_hostile_nowpayments_ipns_are_never_5xx(
    entries: dict[str, Entry], data: st.DataObject
) -> None:
    world = new_world(entries["telegram_webhook"])
    for call in data.draw(st.lists(signed_ipn(world), min_size=1, max_size=3), "calls"):
        expect_no_5xx(entries, call)


@FUZZ
@given(data=st.data())
def test_telegram_updates_with_the_right_secret_are_never_5xx(
    entries: dict[str, Entry], data: st.DataObject
) -> None:
    """Telegram retries a 5xx for a day: an update must never be one, whatever it holds and
    whatever the providers do meanwhile."""
    world = new_world(entries["telegram_webhook"])
    draw_mood(world, data)
    headers = ((TELEGRAM_HEADER, WEBHOOK_SECRET), ("Content-Type", "application/json"))
    shaped = telegram_update(world)
    bodies = st.one_of(shaped.map(as_json), maybe_mutated(shaped))
    for body in data.draw(st.lists(bodies, min_size=1, max_size=3), "bodies"):
        expect_no_5xx(entries, Call("telegram_webhook", "POST", "/", headers, body))


@st.composite
def unsigned_callback(draw: st.DrawFn, world: World) -> Call:
    """An M-Pesa, Pakasir or test-rail callback on the URL its payment was started with,
    with a hostile body."""
    payment_id, shaped = callback_for(draw, world, ("mpesa", "pakasir", "fake"))
    body = draw(st.one_of(st.just(as_json(shaped)), maybe_mutated(st.just(shaped))))
    headers = (("Content-Type", "application/json"),)
    return Call("payment_webhook", "POST", world.callbacks[payment_id], headers, body)


@FUZZ
@given(data=st.data())
def test_unsigned_callbacks_on_their_own_url_are_never_5xx_but_for_provider_trouble(
    entries: dict[str, Entry], data: st.DataObject
) -> None:
    world = new_world(entries["telegram_webhook"])
    draw_mood(world, data)
    clock: FixedClock = world.rt.clock  # type: ignore[assignment]
    clock.advance(minutes=data.draw(st.sampled_from([0, 11, 24 * 60 + 1]), "minutes later"))
    for call in data.draw(st.lists(unsigned_callback(world), min_size=1, max_size=3), "calls"):
        expect_no_5xx(entries, call, outage=world.mood != "ok")


@FUZZ
@given(data=st.data())
def test_scheduler_runs_and_health_checks_are_never_5xx(
    entries: dict[str, Entry], data: st.DataObject
) -> None:
    """Every job, after any delay, whatever the providers answer (reconcile asks them)."""
    world = new_world(entries["telegram_webhook"])
    draw_mood(world, data)
    clock: FixedClock = world.rt.clock  # type: ignore[assignment]
    job = st.fixed_dictionaries({"job": st.sampled_from(sorted(JOBS))})
    bodies = st.one_of(job.map(as_json), maybe_mutated(job))
    headers = ((SCHEDULER_HEADER, SCHEDULER_SECRET), ("Content-Type", "application/json"))
    for _ in range(data.draw(st.integers(1, 3), "runs")):
        clock.advance(minutes=data.draw(st.sampled_from([0, 3, 16, 2 * 24 * 60])))
        call = Call("scheduled_job", data.draw(methods()), "/", headers, data.draw(bodies))
        expect_no_5xx(entries, call)
        health = Call("health", data.draw(methods()), "/", tuple(data.draw(random_headers())), b"")
        assert expect_no_5xx(entries, health) == 200
