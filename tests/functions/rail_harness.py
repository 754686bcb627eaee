"""The real rails (M-Pesa, NOWPayments, Pakasir) against the fake providers of tests/fakes,
with payment_webhook served over real HTTP on loopback, so the fakes call it back themselves.

    with Providers() as providers:           # the three fakes and the served webhook
        world = World(rt, providers)         # installs the rails and the public base URL
        a = world.start("mpesa", user_id=7)  # start_payment, as /deposit does
        world.pay(a)                         # the payer pays at the fake (no callback yet)
        world.deliver(world.genuine(a))      # the provider's own callback, over HTTP
        world.reconcile()                    # the reconcile-payments job

Each rail keeps its own wire format; `Callback` is what a provider POSTs (URL, body,
headers), so a test can deliver a genuine callback on another payment's URL.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Self

import httpx
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from events import Envelope, Money
from functions.domain import payments
from functions.ops.ledger import Problem, audit
from functions.payments.callbacks import callback_url
from functions.payments.start import Outcome, start_payment
from functions.providers.base import Rail
from functions.providers.mpesa.rail import PUSH_PATH, QUERY_PATH, MpesaRail, MpesaSettings
from functions.providers.nowpayments.rail import NowPaymentsRail, NowPaymentsSettings
from functions.providers.pakasir.rail import PakasirRail, PakasirSettings
from functions.providers.token_cache import MemoryTokenCache
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock
from functions.runtime.pipeline import Trace
from tests.builders import SCHEDULER_SECRET, settings
from tests.fakes.http_server import LoopbackServer
from tests.fakes.mpesa import FakeMpesa
from tests.fakes.mpesa_daraja import StkRequest
from tests.fakes.mpesa_server import callback_body
from tests.fakes.nowpayments import FakeNowPayments
from tests.fakes.pakasir import FakePakasir
from tests.functions.conftest import client_for

RailName = Literal["mpesa", "nowpayments", "pakasir"]
RAILS: tuple[RailName, ...] = ("mpesa", "nowpayments", "pakasir")
PHONE = "0712345678"

MPESA_KEY, MPESA_SECRET = "binding-consumer-key", "binding-consumer-secret"
MPESA_PASSKEY, MPESA_SHORTCODE = "binding-passkey-bfb279f9aa9bdbcf", "174379"
MPESA_CALLBACK_SECRET = "binding-mpesa-callback-secret"
NOWPAYMENTS_KEY, IPN_SECRET = "binding-np-api-key", "binding-np-ipn-secret"
PAKASIR_PROJECT, PAKASIR_KEY = "soko-binding", "binding-pakasir-api-key"
PAKASIR_SECRET = "binding-pakasir-webhook-secret"

SUCCEEDED = "payment.succeeded.v1"
IGNORED = "payment.report_ignored.v1"
HELD = "payment.held_for_review.v1"
CREDITED = "wallet.credited.v1"
# Unique payment ids across the tests of a run: the fakes outlive one test's runtime.
_RUN = uuid.uuid4().hex[:8]
_keys = itertools.count(1)
_update_ids = itertools.count(int(_RUN, 16) % 1_000_000_000)


def fresh_update_id() -> int:
    """A Telegram update id no other test of this run used (payment ids derive from it)."""
    return next(_update_ids)


def kes(shillings: int) -> Money:
    return Money(amount=shillings * 100, currency="KES")


def usd(dollars: int) -> Money:
    return Money(amount=dollars * 100, currency="USD")


def idr(rupiah: int) -> Money:
    return Money(amount=rupiah * 100, currency="IDR")


DEFAULT_AMOUNT: dict[RailName, Money] = {
    "mpesa": kes(1500),
    "nowpayments": usd(25),
    "pakasir": idr(50_000),
}


class _Quiet(WSGIRequestHandler):
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class WebhookServer:
    """payment_webhook (functions-framework) served in a thread; it serves whichever
    runtime is installed (functions.runtime.bootstrap.install)."""

    def __init__(self) -> None:
        app = client_for("payment_webhook").application  # the app functions-framework made
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_Quiet
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _no_sleep(_: float) -> None:
    pass


class _PakasirWithoutStalls(FakePakasir):
    """FakePakasir, its replies sent without Nagle's 40 ms stall: its handler writes the
    headers and the body separately and, unlike the other fakes, does not disable Nagle."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handler = type("PakasirHandler", (self._http._handler,), {"disable_nagle_algorithm": True})
        self._http = LoopbackServer(("127.0.0.1", 0), handler, self, name="fake-pakasir")


class Providers:
    """The three fake providers, the served webhook, and real rails pointing at the fakes."""

    def __init__(self) -> None:
        self.server = WebhookServer()
        self.mpesa = FakeMpesa(MPESA_KEY, MPESA_SECRET, MPESA_PASSKEY, MPESA_SHORTCODE)
        self.nowpayments = FakeNowPayments(NOWPAYMENTS_KEY, IPN_SECRET)
        self.pakasir: FakePakasir = _PakasirWithoutStalls(
            PAKASIR_PROJECT,
            PAKASIR_KEY,
            webhook_url=f"{self.server.url}/payments/pakasir/{PAKASIR_SECRET}",
        )
        self.http = httpx.Client(trust_env=False, timeout=10.0)  # what the providers send
        self._clients: list[httpx.Client] = []
        self._rails: dict[str, Rail] | None = None

    def __enter__(self) -> Self:
        self.server.start()
        self.mpesa.start()
        self.nowpayments.start()
        self.pakasir.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.http.close()
        for made in self._clients:
            made.close()
        self.pakasir.stop()
        self.nowpayments.stop()
        self.mpesa.stop()
        self.server.stop()

    def client(self, transport: httpx.BaseTransport | None = None) -> httpx.Client:
        """A rail's HTTP client (closed with the providers)."""
        made = httpx.Client(trust_env=False, timeout=5.0, transport=transport)
        self._clients.append(made)
        return made

    def mpesa_rail(self, transport: httpx.BaseTransport | None = None) -> MpesaRail:
        settings = MpesaSettings(
            base_url=self.mpesa.base_url,
            consumer_key=MPESA_KEY,
            consumer_secret=MPESA_SECRET,
            passkey=MPESA_PASSKEY,
            shortcode=MPESA_SHORTCODE,
            callback_secret=MPESA_CALLBACK_SECRET,
        )
        return MpesaRail(
            settings, self.client(transport), token_cache=MemoryTokenCache(), sleep=_no_sleep
        )

    def rails(self) -> dict[str, Rail]:
        """The three real rails, made once: runtimes of successive tests share them."""
        if self._rails is None:
            nowpayments = NowPaymentsSettings(
                base_url=self.nowpayments.base_url, api_key=NOWPAYMENTS_KEY, ipn_secret=IPN_SECRET
            )
            pakasir = PakasirSettings(
                base_url=self.pakasir.base_url,
                project=PAKASIR_PROJECT,
                api_key=PAKASIR_KEY,
                webhook_secret=PAKASIR_SECRET,
            )
            self._rails = {
                "mpesa": self.mpesa_rail(),
                "nowpayments": NowPaymentsRail(nowpayments, self.client(), sleep=_no_sleep),
                "pakasir": PakasirRail(pakasir, self.client(), sleep=_no_sleep),
            }
        return dict(self._rails)

    def hits(self, path: str) -> int:
        """Requests the fake M-Pesa received on `path` (PUSH_PATH, QUERY_PATH)."""
        return sum(1 for _, p in self.mpesa.hits if p == path)


@dataclass(frozen=True)
class Payment:
    payment_id: str
    rail: RailName
    user_id: int
    amount: Money
    provider_ref: str  # CheckoutRequestID, invoice id, Pakasir order id (= payment id)

    @property
    def stream(self) -> str:
        return payments.stream_of(self.payment_id)


@dataclass(frozen=True)
class Callback:
    """What a provider POSTs: to `url`, this body, with these headers."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})

    def to(self, url: str) -> Callback:
        return dataclasses.replace(self, url=url)


@dataclass
class World:
    """One runtime with the real rails installed, and what was asked of the providers."""

    rt: Runtime
    providers: Providers
    rails: dict[str, Rail] | None = None
    extra_settings: dict[str, Any] = field(default_factory=dict)
    # Our payment id -> NOWPayments payment id, once the payer picked a coin.
    np_payments: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rt.rail_overrides = self.rails or self.providers.rails()
        self.rt.settings = settings(
            public_base_url=self.providers.server.url, **self.extra_settings
        )
        # The rails and the fakes keep real time (Daraja checks the Timestamp): so does this.
        self.rt.clock = FixedClock(datetime.now(UTC).replace(microsecond=0))

    @property
    def base(self) -> str:
        return self.providers.server.url

    # -- starting and paying ----------------------------------------------------------------

    def start(
        self, rail: RailName, user_id: int, amount: Money | None = None, label: str = ""
    ) -> Payment:
        outcome = self.start_outcome(rail, user_id, amount, label)
        state = self.state(outcome.payment_id)
        assert state.state == "pending", (state, outcome)
        assert state.provider_ref is not None, (state, outcome)
        assert outcome.instructions is not None
        return Payment(
            outcome.payment_id, rail, user_id, amount or DEFAULT_AMOUNT[rail], state.provider_ref
        )

    def start_outcome(
        self, rail: RailName, user_id: int, amount: Money | None = None, label: str = ""
    ) -> Outcome:
        key = f"binding:{_RUN}:{next(_keys)}:{label}"
        return start_payment(
            self.rt,
            user_id=user_id,
            rail_name=rail,
            amount=amount or DEFAULT_AMOUNT[rail],
            purpose="wallet_deposit",
            trace=Trace(key),
            phone=PHONE if rail == "mpesa" else None,
        )

    def url(self, payment: Payment) -> str:
        """The callback URL we gave the provider for this payment."""
        return callback_url(self.base, self.rt.rails()[payment.rail], payment.payment_id)

    def stk(self, payment: Payment) -> StkRequest:
        return self.providers.mpesa.api.requests[payment.provider_ref]

    def pick_coin(self, payment: Payment, status: str = "waiting", deliver: bool = False) -> int:
        """The NOWPayments payer opens the invoice and picks a coin: a payment at the fake
        (its `waiting` IPN delivered if `deliver`), then left at `status` silently."""
        fake = self.providers.nowpayments
        np_id = fake.pay(payment.provider_ref, statuses=("waiting",) if deliver else ())
        self.np_payments[payment.payment_id] = np_id
        self.np_status(payment, status)
        return np_id

    def np_status(self, payment: Payment, status: str) -> None:
        """What NOWPayments' own records say now, without sending an IPN."""
        fake = self.providers.nowpayments
        with fake._lock:
            fake.payments[self.np_payments[payment.payment_id]]["status"] = status

    def pay(self, payment: Payment) -> None:
        """The payer really pays at the provider; no callback is sent (yet)."""
        if payment.rail == "mpesa":
            self.providers.mpesa.pay(payment.provider_ref)
        elif payment.rail == "nowpayments":
            if payment.payment_id in self.np_payments:
                self.np_status(payment, "finished")
            else:
                self.pick_coin(payment, "finished")
        else:
            self.pakasir_silently(lambda: self.providers.pakasir.pay(payment.provider_ref))

    def cancel(self, payment: Payment) -> None:
        """The payer declines (M-Pesa 1032), lets it expire (NOWPayments), cancels (QRIS)."""
        if payment.rail == "mpesa":
            self.providers.mpesa.fail(payment.provider_ref)
        elif payment.rail == "nowpayments":
            self.pick_coin(payment, "expired")
        else:
            self.providers.pakasir.cancel(payment.provider_ref)

    def pakasir_silently(self, act: Callable[[], object]) -> None:
        fake = self.providers.pakasir
        url, fake.webhook_url = fake.webhook_url, None
        try:
            act()
        finally:
            fake.webhook_url = url

    # -- callbacks --------------------------------------------------------------------------

    def genuine(self, payment: Payment, status: str | None = None) -> Callback | None:
        """The callback the provider sends about this payment now (None: it sends none yet).

        NOWPayments may be given an earlier `status` of the flow (IPNs arrive in any order).
        """
        if payment.rail == "mpesa":
            request = self.stk(payment)
            if request.result_code is None:
                return None  # the prompt is still on the phone: Daraja has not called back
            body = json.dumps(callback_body(request)).encode()
            return Callback(request.callback_url, body)
        if payment.rail == "nowpayments":
            np_id = self.np_payments.get(payment.payment_id)
            if np_id is None:
                return None
            fake = self.providers.nowpayments
            url, body, headers = fake.ipn(np_id, status or fake.payments[np_id]["status"])
            return Callback(url, body, headers)
        fake_pakasir = self.providers.pakasir
        order = fake_pakasir.orders[payment.provider_ref]
        if order.status == "pending":
            return None  # Pakasir calls back once the QR is paid (or cancelled)
        assert fake_pakasir.webhook_url is not None
        body = json.dumps(order.transaction(PAKASIR_PROJECT)).encode()
        return Callback(fake_pakasir.webhook_url, body)

    def rebound(self, callback: Callback, source: Payment, target: Payment) -> Callback:
        """`source`'s genuine callback made to name `target` the way its rail names payments:
        a NOWPayments IPN with target's order id, correctly signed again; a Pakasir webhook
        with target's order id. An M-Pesa body names only its CheckoutRequestID: unchanged.
        """
        if source.rail == "mpesa":
            return callback
        data = json.loads(callback.body)
        data["order_id"] = target.payment_id
        if source.rail == "nowpayments":
            return self.signed_ipn(callback.url, data)
        return Callback(callback.url, json.dumps(data).encode())

    def signed_ipn(self, url: str, data: dict[str, Any]) -> Callback:
        """An IPN of this body, signed with the IPN secret as NOWPayments signs."""
        body = json.dumps(data).encode()
        return Callback(url, body, self.providers.nowpayments.sign_body(body))

    def forged(self, payment: Payment, claim: Literal["succeeded", "failed"]) -> Callback:
        """A callback claiming `claim` that the provider never sent, on the payment's URL."""
        if payment.rail == "mpesa":
            request = self.stk(payment)
            code = 0 if claim == "succeeded" else 1032
            fake = dataclasses.replace(
                request, result_code=code, receipt="SOKFORGED1", paid_at=request.created_at
            )
            return Callback(self.url(payment), json.dumps(callback_body(fake)).encode())
        if payment.rail == "nowpayments":
            fake_np = self.providers.nowpayments
            np_id = self.np_payments.get(payment.payment_id)
            if np_id is None:
                np_id = self.pick_coin(payment, "waiting")
            status = "finished" if claim == "succeeded" else "failed"
            url, body, headers = fake_np.ipn(np_id, status, signature="wrong")
            return Callback(url, body, headers)
        order = self.providers.pakasir.orders[payment.provider_ref]
        status = "completed" if claim == "succeeded" else "canceled"
        body = json.dumps(order.transaction(PAKASIR_PROJECT) | {"status": status}).encode()
        return Callback(f"{self.base}/payments/pakasir/{PAKASIR_SECRET}", body)

    def deliver(self, callback: Callback) -> int:
        """POST a callback over HTTP to payment_webhook; the HTTP status."""
        response = self.providers.http.post(
            callback.url, content=callback.body, headers=callback.headers
        )
        return response.status_code

    # -- jobs -------------------------------------------------------------------------------

    def reconcile(self, advance: timedelta = timedelta(minutes=3)) -> dict[str, Any]:
        self.rt.clock.advance(seconds=advance.total_seconds())  # type: ignore[attr-defined]
        headers = {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
        response = client_for("scheduled_job").post(
            "/", json={"job": "reconcile-payments"}, headers=headers
        )
        assert response.status_code == 200, response.data
        answer: dict[str, Any] = response.get_json()
        return answer

    # -- what is stored ---------------------------------------------------------------------

    def state(self, payment_id: str) -> payments.Payment:
        return self.rt.pipeline.current(payments.payments, payments.stream_of(payment_id))

    def events(self, payment: Payment) -> list[Envelope]:
        return self.rt.store.load(payment.stream)

    def types(self, payment: Payment) -> list[str]:
        return [e.type for e in self.events(payment)]

    def view(self, payment: Payment) -> dict[str, Any]:
        doc = self.rt.read_models.get("payments", payment.payment_id)
        assert doc is not None
        return dict(doc)

    def credits(self) -> Iterator[tuple[int, str, Money]]:
        """Every wallet credit: (user, reference, amount)."""
        for stream in self.rt.store.streams("wallet"):
            for event in self.rt.store.load(stream):
                if event.type == CREDITED:
                    data = event.data
                    money = Money.model_validate(data["amount"])
                    yield int(stream.split("-", 1)[1]), str(data["reference"]), money

    def credit_count(self) -> Counter[str]:
        """How often each payment was credited, by payment id."""
        return Counter(ref.removeprefix("payment:") for _, ref, _ in self.credits())

    def balances(self, user_id: int) -> dict[str, int]:
        doc = self.rt.read_models.get("balances", str(user_id))
        return {c: a for c, a in (doc or {}).get("balances", {}).items() if a}

    def audit(self) -> list[Problem]:
        return audit(self.rt.store, self.rt.read_models)

    def payment_streams(self) -> list[str]:
        return self.rt.store.streams("payment")


__all__ = [
    "HELD",
    "IGNORED",
    "PUSH_PATH",
    "QUERY_PATH",
    "RAILS",
    "SUCCEEDED",
    "Callback",
    "Payment",
    "Providers",
    "World",
]
