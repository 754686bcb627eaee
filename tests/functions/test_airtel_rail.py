"""Airtel Money Collections against its fake: a USSD push per payment under our own id, a
hashed or plain callback as a hint, the enquiry's TS/TF/TE as the truth and TA/TIP as
"ask again", and short-lived tokens."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import httpx
import pytest
from flask.testing import FlaskClient

from events import Money
from functions.providers.airtel import AirtelSettings
from functions.providers.airtel.rail import AirtelRail
from functions.providers.airtel.wire import sign
from functions.providers.token_cache import MemoryTokenCache
from functions.runtime.bootstrap import Runtime
from tests.builders import settings
from tests.fakes.airtel import FakeAirtel
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
UGX_5000 = Money(amount=5000, currency="UGX")
PHONE = "0752 123 456"
SECRET = "airtel-webhook-secret-for-tests"
HASH_KEY = "airtel-portal-private-key"
URL = f"{PUBLIC}/payments/airtel/{SECRET}"


@pytest.fixture
def fake() -> Iterator[FakeAirtel]:
    with FakeAirtel(callback_url=URL, hash_key=HASH_KEY) as running:
        running.delivering = False  # its callbacks are replayed to the test client
        yield running


@pytest.fixture
def rail(memory_runtime: Runtime, fake: FakeAirtel) -> Iterator[AirtelRail]:
    client = httpx.Client(trust_env=False, timeout=5.0)
    made = AirtelRail(
        AirtelSettings(
            base_url=fake.base_url,
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            country="UG",
            currency="UGX",
            webhook_secret=SECRET,
            callback_hash_key=HASH_KEY,
        ),
        client,
        now=memory_runtime.clock.now,
        token_cache=MemoryTokenCache(),
        sleep=lambda _: None,
    )
    memory_runtime.rail_overrides = {"airtel": made}
    memory_runtime.settings = settings(public_base_url=PUBLIC)
    yield made
    client.close()


@pytest.fixture
def webhook(rail: AirtelRail) -> FlaskClient:
    return client_for("payment_webhook")


def started(rt: Runtime) -> str:
    outcome = start(rt, "airtel", UGX_5000, PHONE)
    assert outcome.started
    assert outcome.instructions is not None
    return outcome.payment_id


def callback(payment_id: str, status: str = "TS", key: str | None = HASH_KEY) -> Delivery:
    """A callback Airtel could send about this payment, hashed with `key` (None: no hash)."""
    transaction = {"id": payment_id, "message": "m", "status_code": status}
    body: dict[str, object] = {"transaction": transaction}
    if key is not None:
        body["hash"] = sign(key, transaction)
    return Delivery(URL, "POST", json.dumps(body).encode(), {"Content-Type": "application/json"})


def test_a_push_names_our_payment_id_and_the_msisdn_without_its_country_code(
    memory_runtime: Runtime, rail: AirtelRail, fake: FakeAirtel
) -> None:
    payment_id = started(memory_runtime)
    push = fake.pushes[payment_id]
    assert (push.msisdn, push.amount) == ("752123456", 5000)
    assert state(memory_runtime, payment_id).provider_ref == payment_id


def test_a_paid_push_credits_once_however_often_it_is_called_back(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeAirtel
) -> None:
    payment_id = started(memory_runtime)
    fake.settle(payment_id, "TS")
    for delivery in fake.callback(payment_id, times=3):
        assert deliver(webhook, delivery) == 200
    assert balance(memory_runtime) == {"UGX": 5000}
    assert credits(memory_runtime) == [f"payment:{payment_id}"]
    assert state(memory_runtime, payment_id).receipt == fake.pushes[payment_id].money_id


def test_the_fakes_own_callback_carries_a_hash_the_rail_accepts(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeAirtel
) -> None:
    payment_id = started(memory_runtime)
    fake.settle(payment_id, "TS")
    (sent,) = fake.callback(payment_id)
    assert b'"hash"' in sent.body
    assert deliver(webhook, sent) == 200
    assert balance(memory_runtime) == {"UGX": 5000}


def test_a_wrong_path_or_hash_is_401_and_a_malformed_body_400_writing_nothing(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeAirtel
) -> None:
    payment_id = started(memory_runtime)
    fake.settle(payment_id, "TS")
    before = written(memory_runtime)
    genuine = callback(payment_id)
    assert deliver(webhook, dataclasses.replace(genuine, url=f"{PUBLIC}/payments/airtel/x")) == 401
    assert deliver(webhook, callback(payment_id, key="another-key")) == 401
    assert deliver(webhook, callback(payment_id, key=None)) == 401  # a hash is required
    for body in (b"nope", b"[]", b"{}", b'{"transaction": {"id": 5, "status_code": "TS"}}'):
        assert deliver(webhook, dataclasses.replace(genuine, body=body)) == 400
    assert deliver(webhook, callback(payment_id, status="RICH")) == 400
    assert written(memory_runtime) == before


def test_a_success_callback_the_enquiry_contradicts_credits_nothing(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeAirtel
) -> None:
    payment_id = started(memory_runtime)  # still TIP at Airtel
    assert deliver(webhook, callback(payment_id, "TS")) == 200
    fake.settle(payment_id, "TA")  # ambiguous: ask again later
    assert deliver(webhook, callback(payment_id, "TS")) == 200
    assert balance(memory_runtime) == {}
    assert state(memory_runtime, payment_id).state == "pending"


def test_reordered_callbacks_end_in_the_enquirys_outcome(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeAirtel
) -> None:
    payment_id = started(memory_runtime)
    fake.settle(payment_id, "TS")
    for status in ("TF", "TS", "TF"):
        assert deliver(webhook, callback(payment_id, status)) == 200
    assert balance(memory_runtime) == {"UGX": 5000}
    assert state(memory_runtime, payment_id).state == "succeeded"


def test_silence_is_settled_by_the_reconcile_job_and_ambiguity_waits(
    memory_runtime: Runtime, rail: AirtelRail, fake: FakeAirtel
) -> None:
    paid, failed, expired, unsure = (started(memory_runtime) for _ in range(4))
    fake.settle(paid, "TS")
    fake.settle(failed, "TF")
    fake.settle(expired, "TE")
    fake.settle(unsure, "TA")
    assert reconcile(memory_runtime)["settled"] == 3
    assert [state(memory_runtime, p).state for p in (paid, failed, expired, unsure)] == [
        "succeeded", "failed", "expired", "pending",
    ]  # fmt: skip
    fake.settle(unsure, "TS")
    assert reconcile(memory_runtime)["settled"] == 1
    assert balance(memory_runtime) == {"UGX": 10_000}


def test_a_short_lived_token_is_reminted_after_it_expires(
    memory_runtime: Runtime, rail: AirtelRail, fake: FakeAirtel
) -> None:
    started(memory_runtime)
    fake.tokens.revoke()  # expired at Airtel (expires_in "180")
    started(memory_runtime)
    assert fake.tokens.minted == 2


def test_a_push_whose_reply_was_lost_is_never_resent(
    memory_runtime: Runtime, rail: AirtelRail, fake: FakeAirtel
) -> None:
    rail.token.get()
    fake.outage("accept_then_500", calls=1)
    outcome = start(memory_runtime, "airtel", UGX_5000, PHONE)
    assert outcome.told == "start_unknown"
    assert len(fake.pushes) == 1
    fake.settle(outcome.payment_id, "TS")
    reconcile(memory_runtime)
    # The push's reference was never recorded: the money waits for an admin, never lost.
    assert state(memory_runtime, outcome.payment_id).state == "held"


def test_an_outage_before_the_push_is_unavailable_and_sends_nothing(
    memory_runtime: Runtime, rail: AirtelRail, fake: FakeAirtel
) -> None:
    fake.outage("500")
    assert start(memory_runtime, "airtel", UGX_5000, PHONE).told == "unavailable"
    assert fake.pushes == {}


def test_a_number_of_another_country_is_refused_before_airtel_is_asked(
    memory_runtime: Runtime, rail: AirtelRail, fake: FakeAirtel
) -> None:
    assert start(memory_runtime, "airtel", UGX_5000, "+254733123456").told == "rail_refused"
    assert start(memory_runtime, "airtel", UGX_5000, "hello").told == "rail_refused"
    assert fake.pushes == {}
