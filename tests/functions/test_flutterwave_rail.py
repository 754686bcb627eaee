"""Flutterwave against its fake: a mobile-money charge (or a hosted link) per payment under
our tx_ref, a `charge.completed` webhook authenticated by its secret hash, and money moving
only on a verification that names our tx_ref, our currency and the amount."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest
from flask.testing import FlaskClient

from events import Money
from functions.providers.flutterwave import FlutterwaveSettings
from functions.providers.flutterwave.rail import FlutterwaveRail
from functions.runtime.bootstrap import Runtime
from tests.builders import settings
from tests.fakes.flutterwave import FakeFlutterwave, dumps
from tests.fakes.mobile_money import Delivery
from tests.functions.conftest import client_for
from tests.functions.mobile_money_helpers import (
    PUBLIC,
    balance,
    credits,
    deliver,
    reconcile,
    start,
    state,
    written,
)

pytestmark = pytest.mark.functions
KES_1500 = Money(amount=150_000, currency="KES")
UGX_5000 = Money(amount=5000, currency="UGX")
NGN_2000 = Money(amount=200_000, currency="NGN")
SECRET = "flutterwave-webhook-secret-for-tests"
URL = f"{PUBLIC}/payments/flutterwave/{SECRET}"


@pytest.fixture
def fake() -> Iterator[FakeFlutterwave]:
    with FakeFlutterwave(webhook_url=URL) as running:
        running.delivering = False  # its webhooks are replayed to the test client
        yield running


@pytest.fixture
def rail(memory_runtime: Runtime, fake: FakeFlutterwave) -> Iterator[FlutterwaveRail]:
    client = httpx.Client(trust_env=False, timeout=5.0)
    made = FlutterwaveRail(
        FlutterwaveSettings(
            base_url=fake.base_url,
            secret_key=fake.secret_key,
            secret_hash=fake.secret_hash,
            webhook_secret=SECRET,
            email_domain="soko.test",
        ),
        client,
        now=memory_runtime.clock.now,
        sleep=lambda _: None,
    )
    memory_runtime.rail_overrides = {"flutterwave": made}
    memory_runtime.settings = settings(public_base_url=PUBLIC)
    yield made
    client.close()


@pytest.fixture
def webhook(rail: FlutterwaveRail) -> FlaskClient:
    return client_for("payment_webhook")


def started(rt: Runtime, amount: Money = KES_1500, phone: str | None = "0712345678") -> str:
    outcome = start(rt, "flutterwave", amount, phone)
    assert outcome.started, outcome
    assert outcome.instructions is not None
    return outcome.payment_id


def test_a_kenyan_charge_is_an_mpesa_charge_and_a_ugandan_one_names_its_network(
    memory_runtime: Runtime, rail: FlutterwaveRail, fake: FakeFlutterwave
) -> None:
    kenyan = started(memory_runtime)
    ugandan = start(memory_runtime, "flutterwave", UGX_5000, "0752123456")
    assert fake.charges[kenyan].payment_type == "mpesa"
    assert fake.charges[kenyan].phone == "254712345678"
    assert fake.charges[ugandan.payment_id].payment_type == "mobile_money_uganda"
    assert ugandan.instructions is not None
    assert ugandan.instructions.kind == "invoice_url"  # the page to confirm on
    assert state(memory_runtime, kenyan).provider_ref == kenyan  # our tx_ref


def test_a_currency_without_mobile_money_gets_a_hosted_payment_link(
    memory_runtime: Runtime, rail: FlutterwaveRail, fake: FakeFlutterwave
) -> None:
    outcome = start(memory_runtime, "flutterwave", NGN_2000, None)
    assert outcome.instructions is not None
    assert outcome.instructions.url is not None
    assert outcome.instructions.url.endswith(f"/_fake/hosted/{outcome.payment_id}")


@pytest.mark.parametrize("signature", ["verif-hash", "hmac"])
def test_a_paid_charge_credits_once_however_often_its_webhook_comes(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeFlutterwave, signature: str
) -> None:
    payment_id = started(memory_runtime)
    fake.settle(payment_id, "successful")
    for delivery in fake.webhook(payment_id, times=3, signature=signature):
        assert deliver(webhook, delivery) == 200
    assert balance(memory_runtime) == {"KES": 150_000}
    assert credits(memory_runtime) == [f"payment:{payment_id}"]
    paid = state(memory_runtime, payment_id)
    assert paid.transfer_ref == str(fake.charges[payment_id].id)  # learnt from the verification


def test_a_webhook_without_or_with_a_wrong_hash_is_401_and_a_malformed_one_400(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeFlutterwave
) -> None:
    payment_id = started(memory_runtime)
    fake.settle(payment_id, "successful")
    (genuine,) = fake.webhook(payment_id)
    before = written(memory_runtime)
    assert deliver(webhook, dataclasses.replace(genuine, headers={})) == 401
    assert deliver(webhook, dataclasses.replace(genuine, headers={"verif-hash": "guess"})) == 401
    forged_mac = {"flutterwave-signature": "AAAA"}
    assert deliver(webhook, dataclasses.replace(genuine, headers=forged_mac)) == 401
    wrong_path = dataclasses.replace(genuine, url=f"{PUBLIC}/payments/flutterwave/x")
    assert deliver(webhook, wrong_path) == 401
    for body in (b"nope", b"[]", b'{"event": "transfer.completed", "data": {}}',
                 b'{"event": "charge.completed", "data": {"id": 1}}'):  # fmt: skip
        assert deliver(webhook, dataclasses.replace(genuine, body=body)) == 400
    assert written(memory_runtime) == before


def test_a_success_webhook_the_verification_contradicts_credits_nothing(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeFlutterwave
) -> None:
    payment_id = started(memory_runtime)  # still pending at Flutterwave
    event = fake.event(payment_id)
    event["data"]["status"] = "successful"
    body = dumps(event)
    claim = Delivery(URL, "POST", body, fake.signed(body))
    assert deliver(webhook, claim) == 200
    assert balance(memory_runtime) == {}
    assert state(memory_runtime, payment_id).state == "pending"


def test_less_money_or_another_currency_is_held_never_credited(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeFlutterwave
) -> None:
    short = started(memory_runtime)
    other = started(memory_runtime)
    fake.settle(short, "successful", amount="1000")
    fake.settle(other, "successful", amount="1500", currency="UGX")
    for payment_id in (short, other):
        (sent,) = fake.webhook(payment_id)
        assert deliver(webhook, sent) == 200
        assert state(memory_runtime, payment_id).state == "held"
    assert state(memory_runtime, short).arrived == Money(amount=100_000, currency="KES")
    assert balance(memory_runtime) == {}


def test_reordered_webhooks_end_in_the_verified_outcome_and_silence_is_reconciled(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeFlutterwave
) -> None:
    loud, silent = started(memory_runtime), started(memory_runtime)
    fake.settle(loud, "successful")
    (paid,) = fake.webhook(loud)
    fake.settle(silent, "failed")
    failed_event = fake.event(loud) | {}
    failed_event["data"]["status"] = "failed"
    failed_body = dumps(failed_event)
    assert deliver(webhook, Delivery(URL, "POST", failed_body, fake.signed(failed_body))) == 200
    assert deliver(webhook, paid) == 200
    assert state(memory_runtime, loud).state == "succeeded"
    assert reconcile(memory_runtime)["settled"] == 1
    assert state(memory_runtime, silent).state == "failed"
    assert balance(memory_runtime) == {"KES": 150_000}


def test_a_charge_whose_reply_was_lost_is_never_resent_and_an_outage_starts_nothing(
    memory_runtime: Runtime, rail: FlutterwaveRail, fake: FakeFlutterwave
) -> None:
    fake.outage("accept_then_500", calls=1)
    assert start(memory_runtime, "flutterwave", KES_1500, "0712345678").told == "start_unknown"
    assert len(fake.charges) == 1
    fake.outage("500")
    assert start(memory_runtime, "flutterwave", KES_1500, "0712345678").told == "start_unknown"
    fake.outage(None)
    assert len(fake.charges) == 1  # nothing was sent twice


def test_an_operator_flutterwave_does_not_serve_or_a_foreign_number_is_refused_first(
    memory_runtime: Runtime, rail: FlutterwaveRail, fake: FakeFlutterwave
) -> None:
    assert start(memory_runtime, "flutterwave", UGX_5000, "+254712345678").told == "rail_refused"
    assert start(memory_runtime, "flutterwave", KES_1500, "not a phone").told == "rail_refused"
    assert fake.charges == {}
