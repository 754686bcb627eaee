"""A provider's report settles only the payment it is about, on every rail, once.

The defect this guards against: B's genuine paid callback delivered on A's callback path
credited A (the confirmation query asked about the reference the callback named), B's own
callback was then dropped as a duplicate (idempotency keys were global), and reconcile
credited B as well: KES 1,500 paid, KES 3,000 credited.

The real rails talk to the fake providers of tests/fakes over HTTP, and the fakes call
payment_webhook back over HTTP (tests/functions/rail_harness.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from events import Money
from functions import texts
from functions.payments.callbacks import callback_url
from functions.runtime import bootstrap
from functions.runtime.bootstrap import Runtime
from functions.telegram.shop_rails import phone_question
from tests import builders
from tests.builders import button_update, text_update
from tests.fakes.recording_bot import RecordingBot
from tests.functions.conftest import client_for, post_update
from tests.functions.rail_harness import (
    HELD,
    IGNORED,
    PUSH_PATH,
    QUERY_PATH,
    RAILS,
    SUCCEEDED,
    Payment,
    Providers,
    RailName,
    World,
    idr,
    kes,
    usd,
)
from tests.functions.rail_harness import fresh_update_id as fresh
from tests.functions.shop_helpers import ADMIN, ShopDriver, buttons

pytestmark = pytest.mark.functions

USER_A, USER_B = 7, 8
REQUESTED, STARTED = "payment.requested.v1", "payment.started.v1"
OTHER_REFERENCE = "report names another provider reference"


@pytest.fixture(scope="module")
def providers() -> Iterator[Providers]:
    with Providers() as running:
        yield running


@pytest.fixture
def world(memory_runtime: Runtime, providers: Providers) -> World:
    return World(memory_runtime, providers)


def everything(world: World) -> list[object]:
    store = world.rt.store
    return [[(e.type, e.data) for e in store.load(s)] for s in store.streams("")]


def mentions(world: World, payment: Payment, *needles: str) -> list[str]:
    """The needles that appear anywhere in what `payment`'s stream recorded."""
    text = json.dumps([e.data for e in world.events(payment)], default=str)
    return [n for n in needles if n and n in text]


def b_refs(world: World, b: Payment) -> list[str]:
    """What identifies B's money: its reference, receipt, NOWPayments payment id, its id."""
    refs = [b.provider_ref, b.payment_id]
    if b.rail == "mpesa":
        refs.append(world.stk(b).receipt or "")
    if b.rail == "nowpayments":
        refs.append(str(world.np_payments[b.payment_id]))
    return refs


def deliver_b_on_a(world: World, a: Payment, b: Payment) -> None:
    """B's genuine paid callback, delivered on A's callback path (per rail, as it names a
    payment), and what each delivery must be answered."""
    genuine = world.genuine(b)
    assert genuine is not None
    before = everything(world)
    queries = world.providers.hits(QUERY_PATH)
    if b.rail == "mpesa":
        # A's tokened URL, B's body: B's CheckoutRequestID and receipt.
        assert genuine.url == world.url(b) != world.url(a)
        assert world.deliver(genuine.to(world.url(a))) == 200
        assert world.providers.hits(QUERY_PATH) == queries  # nobody asked about B for A
    elif b.rail == "nowpayments":
        # As NOWPayments signed it (order_id B) on A's URL: refused, nothing written.
        assert world.deliver(genuine.to(world.url(a))) == 400
        assert everything(world) == before
        # Re-signed naming A (order_id A), B's invoice and payment id: recorded as ignored.
        assert world.deliver(world.rebound(genuine, b, a).to(world.url(a))) == 200
    else:
        # Pakasir has one webhook URL: the swap is a webhook naming A while only B paid.
        swapped = world.rebound(genuine, b, a)
        assert swapped.url == genuine.url
        assert world.deliver(swapped) == 200
        assert world.providers.pakasir.orders[a.provider_ref].status == "pending"


def expected_a_types(rail: RailName) -> list[str]:
    # An unsigned rail confirms a claim naming A by asking about A: "pending", nothing moves.
    return [REQUESTED, STARTED] if rail == "pakasir" else [REQUESTED, STARTED, IGNORED]


def deliver_bs_own_callback(world: World, b: Payment) -> None:
    """B's own callback, sent by the fake provider itself to the URL it was given."""
    fakes = world.providers
    if b.rail == "mpesa":
        assert fakes.mpesa.fire_callback(b.provider_ref).results == [200]
    elif b.rail == "nowpayments":
        sent = fakes.nowpayments.fire(world.np_payments[b.payment_id], "finished")
        assert (sent.url, sent.http_status) == (world.url(b), 200)
    else:
        (delivery,) = fakes.pakasir.fire_webhook(b.provider_ref)
        assert delivery.status == 200


@pytest.mark.parametrize("then", ["callback_then_reconcile", "reconcile_then_callback"])
@pytest.mark.parametrize("users", ["same_user", "two_users"])
@pytest.mark.parametrize("rail", RAILS)
def test_bs_paid_callback_on_as_path_credits_nothing_and_b_is_credited_once(
    world: World, rail: RailName, users: str, then: str
) -> None:
    a = world.start(rail, USER_A, label="A")
    b = world.start(rail, USER_A if users == "same_user" else USER_B, label="B")
    if rail == "nowpayments":
        world.pick_coin(b, deliver=True)  # B's "waiting" IPN teaches B its payment id
    world.pay(b)  # the payer pays B only
    b_before = world.types(b)

    deliver_b_on_a(world, a, b)

    assert world.types(a) == expected_a_types(rail)
    for ignored in world.events(a)[2:]:
        assert ignored.data["reason"] == OTHER_REFERENCE
    assert mentions(world, a, *b_refs(world, b)) == []
    assert world.types(b) == b_before  # nothing about B was recorded on B either
    assert (world.view(a)["state"], world.view(b)["state"]) == ("pending", "pending")
    assert world.credit_count() == {}
    assert world.balances(USER_A) == world.balances(USER_B) == {}

    if then == "callback_then_reconcile":
        deliver_bs_own_callback(world, b)
        assert world.view(b)["state"] == "succeeded"
    reconciled = world.reconcile()
    # A is asked about A's own reference: still pending (NOWPayments cannot be asked about
    # an invoice nobody picked a coin for: it answers 404).
    assert reconciled == {
        "job": "reconcile-payments",
        "settled": 1 if then == "reconcile_then_callback" else 0,
        "provider_unavailable": 1 if rail == "nowpayments" else 0,
    }
    if then == "reconcile_then_callback":
        assert world.view(b)["state"] == "succeeded"
        deliver_bs_own_callback(world, b)

    assert world.credit_count() == {b.payment_id: 1}
    assert list(world.credits()) == [(b.user_id, f"payment:{b.payment_id}", b.amount)]
    (succeeded,) = [e for e in world.events(b) if e.type == SUCCEEDED]
    assert (succeeded.data["payment_id"], succeeded.data["provider_ref"]) == (
        b.payment_id,
        b.provider_ref,
    )
    assert world.types(a) == expected_a_types(rail)  # reconcile moved nothing on A
    assert (world.view(a)["state"], world.view(b)["state"]) == ("pending", "succeeded")
    assert world.balances(b.user_id) == {b.amount.currency: b.amount.amount}
    if users == "two_users":
        assert world.balances(USER_A) == {}
    assert world.payment_streams() == sorted([a.stream, b.stream])  # no repeat opened
    assert world.audit() == []


# -- any interleaving of callbacks and reconcile runs, on every rail -------------------------

Fate = Literal["paid", "unpaid", "cancelled"]
StepKind = Literal["genuine", "elsewhere", "forged", "reconcile"]
AMOUNTS: dict[RailName, tuple[Money, ...]] = {
    "mpesa": (kes(1500), kes(700)),
    "nowpayments": (usd(25), usd(10)),
    "pakasir": (idr(50_000), idr(25_000)),
}
PROPERTY = settings(
    max_examples=50,
    derandomize=True,  # the same examples on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Planned:
    rail: RailName
    fate: Fate
    user_id: int
    amount: int  # which of AMOUNTS[rail]


@dataclass(frozen=True)
class Step:
    kind: StepKind
    i: int = 0  # whose callback
    j: int = 0  # on whose URL ("elsewhere")
    times: int = 1  # deliveries of a genuine callback
    flag: bool = False  # genuine: NOWPayments' earlier "waiting"; elsewhere: renamed to j
    claim: Literal["succeeded", "failed"] = "succeeded"


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Planned], list[Step]]:
    plans = draw(
        st.lists(
            st.builds(
                Planned,
                st.sampled_from(RAILS),
                st.sampled_from(("paid", "paid", "unpaid", "cancelled")),
                st.sampled_from((USER_A, USER_B)),
                st.integers(0, 1),
            ),
            min_size=2,
            max_size=5,
        )
    )
    index = st.integers(0, len(plans) - 1)
    elsewhere = st.builds(Step, st.just("elsewhere"), index, index, flag=st.booleans())
    step = st.one_of(
        st.builds(Step, st.just("genuine"), index, times=st.integers(1, 3), flag=st.booleans()),
        elsewhere,
        elsewhere,  # twice as likely: the defect's own move
        st.builds(Step, st.just("forged"), index, claim=st.sampled_from(("succeeded", "failed"))),
        st.builds(Step, st.just("reconcile")),
    )
    return plans, draw(st.lists(step, min_size=3, max_size=16))


def fresh_world(providers: Providers) -> World:
    rt = bootstrap.build(builders.settings())
    rt.bot_override = RecordingBot()
    bootstrap.install(rt)
    return World(rt, providers)


def take(world: World, step: Step, started: list[Payment]) -> None:
    """Carry out one step; every answer is one the provider can act on (never 5xx)."""
    source = started[step.i]
    if step.kind == "reconcile":
        world.reconcile()
        return
    if step.kind == "forged":
        answer = world.deliver(world.forged(source, step.claim))
        # A signed rail refuses a missigned IPN; an unsigned one asks the provider.
        assert answer == (401 if source.rail == "nowpayments" else 200)
        return
    stale = step.kind == "genuine" and step.flag and source.rail == "nowpayments"
    callback = world.genuine(source, "waiting" if stale else None)
    if callback is None:
        return  # this provider has not called back about this payment
    if step.kind == "genuine":
        for _ in range(step.times):
            assert world.deliver(callback) == 200
        return
    target = started[step.j]
    if step.flag:
        callback = world.rebound(callback, source, target)
    if source.rail != "pakasir" or not step.flag:
        callback = callback.to(world.url(target))
    answer = world.deliver(callback)
    event(f"{source.rail} callback on a {target.rail} payment's URL: {answer}")
    if source.rail == "pakasir" and step.flag and target.rail != "pakasir":
        assert answer == 404  # a webhook naming a payment of another rail
    else:
        assert answer in {200, 400, 401}


def check_money(world: World, started: list[Payment], paid: set[str], *, final: bool) -> None:
    by_id = {p.payment_id: p for p in started}
    counts = world.credit_count()
    assert set(counts) <= paid, "credited a payment nobody paid"
    assert all(n == 1 for n in counts.values()), counts
    for user_id, reference, money in world.credits():
        payment = by_id[reference.removeprefix("payment:")]
        assert (user_id, money) == (payment.user_id, payment.amount)
    for payment in started:
        state = world.view(payment)["state"]
        if payment.payment_id not in paid:
            assert state in {"pending", "failed", "expired"}, (payment, state)
    assert world.payment_streams() == sorted(p.stream for p in started)  # no repeat opened
    if final:
        assert set(counts) == paid
        for user_id in (USER_A, USER_B):
            owed: Counter[str] = Counter()
            for payment in started:
                if payment.payment_id in paid and payment.user_id == user_id:
                    owed[payment.amount.currency] += payment.amount.amount
            assert world.balances(user_id) == dict(owed)
        assert world.audit() == []


@PROPERTY
@given(scenario=scenarios())
def test_any_interleaving_credits_each_paid_payment_once_and_nothing_else(
    providers: Providers, scenario: tuple[list[Planned], list[Step]]
) -> None:
    plans, steps = scenario
    world = fresh_world(providers)
    try:
        started = [
            world.start(p.rail, p.user_id, AMOUNTS[p.rail][p.amount], label=f"p{n}")
            for n, p in enumerate(plans)
        ]
        paid: set[str] = set()
        for plan, payment in zip(plans, started, strict=True):
            if plan.fate == "paid":
                world.pay(payment)
                paid.add(payment.payment_id)
            elif plan.fate == "cancelled":
                world.cancel(payment)
            elif payment.rail == "nowpayments":
                world.pick_coin(payment)  # picked a coin, never sent it
        for step in steps:
            note(f"{step}")
            take(world, step, started)
            check_money(world, started, paid, final=False)
        event(f"credited before the last callbacks: {len(world.credit_count())} of {len(paid)}")
        # The providers' own callbacks at last, and reconcile: everything paid is settled.
        for payment in started:
            callback = world.genuine(payment)
            if callback is not None:
                assert world.deliver(callback) == 200
        world.reconcile()
        world.reconcile()
        check_money(world, started, paid, final=True)
    finally:
        bootstrap.install(None)


# -- idempotent starts: one update, one payment, one provider call ---------------------------

START_UNKNOWN = "payment.start_unknown.v1"


def twice(telegram: FlaskClient, update: dict[str, Any]) -> tuple[str, str]:
    """The same update delivered twice (Telegram retries); both answers' texts."""
    first, second = post_update(telegram, update), post_update(telegram, update)
    assert (first.status_code, second.status_code) == (200, 200)
    return str(first.get_json()["text"]), str(second.get_json()["text"])


def pushes_for(providers: Providers, payment_id: str) -> list[dict[str, Any]]:
    """The STK pushes the fake M-Pesa received for our payment (its AccountReference)."""
    return [r for r in providers.mpesa.requests() if r["account_reference"] == payment_id]


def test_a_redelivered_deposit_update_starts_one_payment_with_one_stk_push(
    world: World, providers: Providers
) -> None:
    telegram = client_for("telegram_webhook")
    pushes = providers.hits(PUSH_PATH)
    update = text_update("/deposit mpesa 1500 0712345678", user_id=USER_A, update_id=fresh())

    first, second = twice(telegram, update)

    (stream,) = world.payment_streams()
    payment_id = stream.removeprefix("payment-")
    assert first.startswith(f"Deposit of KES 1,500.00 started (ref {payment_id}).")
    assert "enter your M-Pesa PIN" in first  # what to do, not Daraja's CustomerMessage
    assert second == first  # the instructions recorded at the start, repeated
    assert providers.hits(PUSH_PATH) == pushes + 1
    (push,) = pushes_for(providers, payment_id)
    assert (push["amount"], push["phone"]) == (1500, "254712345678")
    state = world.state(payment_id)
    assert push["callback_url"] == callback_url(world.base, world.rt.rails()["mpesa"], payment_id)
    assert (state.state, state.provider_ref) == ("pending", push["checkout_id"])
    assert [e.type for e in world.rt.store.load(stream)] == [REQUESTED, STARTED]


def test_a_redelivered_pay_with_mpesa_tap_and_phone_reply_start_one_payment(
    memory_runtime: Runtime, providers: Providers
) -> None:
    world = World(
        memory_runtime, providers, extra_settings={"admin_ids": [ADMIN], "default_currency": "KES"}
    )
    shop = ShopDriver(client_for("telegram_webhook"), memory_runtime)
    shop.register(ADMIN)
    shop.register(USER_A)
    product = shop.add_product("Voucher | Gifts | 1500 KES | kind=unique")
    shop.say(ADMIN, f"/stock {product}\nVOUCHER-1")
    held = shop.tap(USER_A, f"shop:b:{product}:1")
    pushes = providers.hits(PUSH_PATH)

    tap = button_update(buttons(held)["Pay with M-Pesa"], user_id=USER_A, update_id=fresh())
    question, again = twice(shop.webhook, tap)
    assert question.startswith(phone_question("en", "M-Pesa", kes(1500)))
    assert again == question
    assert world.payment_streams() == []  # asking for the phone starts nothing
    asked = {"text": question, "parse_mode": "HTML"}
    answer = builders.answer_to(asked, "0712345678", user_id=USER_A, update_id=fresh())
    started, repeated = twice(shop.webhook, answer)

    (stream,) = world.payment_streams()
    payment_id = stream.removeprefix("payment-")
    assert started.startswith(f"Payment for your order of KES 1,500.00 started (ref {payment_id}).")
    assert repeated == started
    assert providers.hits(PUSH_PATH) == pushes + 1
    (push,) = pushes_for(providers, payment_id)
    state = world.state(payment_id)
    (order,) = memory_runtime.read_models.find("orders", "user_id", USER_A, 10)
    assert (state.purpose, state.subject, state.amount) == ("order", order["order_id"], kes(1500))
    # Paid once, called back twice: the order is delivered, nobody is charged twice.
    providers.mpesa.pay(push["checkout_id"])
    assert providers.mpesa.fire_callback(push["checkout_id"], times=2).results == [200, 200]
    (order,) = memory_runtime.read_models.find("orders", "user_id", USER_A, 10)
    assert (order["state"], order["paid_via"]) == ("delivered", "payment")
    assert [e.type for e in memory_runtime.store.load(stream)].count(SUCCEEDED) == 1
    assert world.audit() == []


class ReplyLost(httpx.BaseTransport):
    """The real transport to the fake, except that the STK push's reply never comes back:
    the push reaches Daraja (the phone rings), then the client times out."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.pushes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path != PUSH_PATH:
            return response
        self.pushes += 1
        response.read()
        response.close()
        raise httpx.ReadTimeout("timed out waiting for the reply", request=request)

    def close(self) -> None:
        self.inner.close()


def test_a_start_whose_reply_is_lost_asks_once_and_its_late_callback_is_held_for_an_admin(
    memory_runtime: Runtime, providers: Providers
) -> None:
    transport = ReplyLost()
    rails = {**providers.rails(), "mpesa": providers.mpesa_rail(transport)}
    world = World(memory_runtime, providers, rails=rails)
    telegram = client_for("telegram_webhook")
    pushes, queries = providers.hits(PUSH_PATH), providers.hits(QUERY_PATH)
    update = text_update("/deposit mpesa 1500 0712345678", user_id=USER_A, update_id=fresh())

    first, second = twice(telegram, update)

    (stream,) = world.payment_streams()
    payment_id = stream.removeprefix("payment-")
    assert texts.text("en", "payments.start_unknown") in first
    assert second == first
    assert [e.type for e in memory_runtime.store.load(stream)] == [REQUESTED, START_UNKNOWN]
    assert (transport.pushes, providers.hits(PUSH_PATH)) == (1, pushes + 1)  # never resent
    (push,) = pushes_for(providers, payment_id)
    assert world.state(payment_id).provider_ref is None  # we never learnt its CheckoutRequestID
    # Reconcile cannot ask: it asks only about a reference we recorded.
    assert world.reconcile() == {
        "job": "reconcile-payments",
        "settled": 0,
        "provider_unavailable": 1,
    }
    assert providers.hits(QUERY_PATH) == queries

    providers.mpesa.pay(push["checkout_id"])  # the prompt did reach the phone: paid
    assert providers.mpesa.fire_callback(push["checkout_id"], times=2).results == [200, 200]

    events = memory_runtime.store.load(stream)
    assert [e.type for e in events] == [REQUESTED, START_UNKNOWN, HELD]
    hold = events[-1].data
    assert (hold["reason"], hold["provider_ref"]) == ("unconfirmed_reference", push["checkout_id"])
    assert Money.model_validate(hold["paid"]) == kes(1500)
    view = memory_runtime.read_models.get("payments", payment_id)
    assert view is not None
    assert (view["state"], view["hold_reason"], view["needs_admin"]) == (
        "held",
        "unconfirmed_reference",
        True,
    )
    assert world.credit_count() == {}
    assert world.balances(USER_A) == {}
    assert world.audit() == []


# -- where a report names no reference of ours -----------------------------------------------


def test_a_signed_ipn_about_bs_money_naming_a_and_no_invoice_does_not_credit_a(
    world: World,
) -> None:
    """Every IPN about one of our invoices names it (invoice_id): one naming none cannot show
    that the money is A's, however it is signed."""
    a = world.start("nowpayments", USER_A, label="A")
    b = world.start("nowpayments", USER_B, label="B")
    world.pay(b)
    genuine = world.genuine(b)
    assert genuine is not None
    data = json.loads(genuine.body) | {"order_id": a.payment_id, "invoice_id": None}

    world.deliver(world.signed_ipn(world.url(a), data))  # refused or recorded: not credited

    assert world.credit_count() == {}
    assert SUCCEEDED not in world.types(a)
    deliver_bs_own_callback(world, b)
    assert world.credit_count() == {b.payment_id: 1}
    assert world.balances(USER_A) == {}
    assert world.audit() == []


def test_bs_money_held_on_a_start_that_timed_out_and_approved_by_an_admin_is_found_by_the_audit(
    memory_runtime: Runtime, providers: Providers
) -> None:
    """A payment whose start timed out has no CheckoutRequestID of ours, so B's paid callback
    on its URL is confirmed about B's and held on A. B's own callback credits B. If an admin
    then approves A's hold, B's one movement of money is credited twice: the audit, which
    checks that no provider reference is credited on two payments, must say so."""
    lost = {**providers.rails(), "mpesa": providers.mpesa_rail(ReplyLost())}
    world = World(memory_runtime, providers, rails=lost, extra_settings={"admin_ids": [ADMIN]})
    outcome = world.start_outcome("mpesa", USER_A, label="A")
    a = Payment(outcome.payment_id, "mpesa", USER_A, kes(1500), provider_ref="")
    world.rt.rail_overrides = providers.rails()  # B's start gets its reply
    b = world.start("mpesa", USER_B, label="B")
    world.pay(b)
    genuine = world.genuine(b)
    assert genuine is not None

    assert world.deliver(genuine.to(world.url(a))) == 200
    deliver_bs_own_callback(world, b)

    hold = world.events(a)[-1]
    assert (hold.type, hold.data["reason"]) == (HELD, "unconfirmed_reference")
    assert hold.data["provider_ref"] == b.provider_ref  # B's money, recorded on A
    assert world.credit_count() == {b.payment_id: 1}
    assert world.audit() == []  # nothing is wrong yet: the hold credits nobody

    tap = button_update(f"adm:ok:{a.payment_id}", user_id=ADMIN, update_id=fresh())
    assert post_update(client_for("telegram_webhook"), tap).status_code == 200

    assert world.balances(USER_A) == world.balances(USER_B) == {"KES": 150_000}
    assert world.credit_count() == {a.payment_id: 1, b.payment_id: 1}  # KES 1,500 paid once
    assert world.audit() != []
