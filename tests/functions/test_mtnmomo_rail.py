"""MTN MoMo Collections against its fake: a request to pay per payment under our own
X-Reference-Id, callbacks as hints confirmed by the status of that reference, outages."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import httpx
import pytest
from flask.testing import FlaskClient

from events import Money
from functions.providers.mtnmomo import MtnMomoSettings, wire
from functions.providers.mtnmomo.rail import MtnMomoRail
from functions.providers.token_cache import MemoryTokenCache
from functions.runtime.bootstrap import Runtime
from tests.builders import settings
from tests.fakes.mobile_money import Delivery
from tests.fakes.mtnmomo import FakeMtnMomo, RequestToPay
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
PHONE = "0772 123 456"


@pytest.fixture
def fake() -> Iterator[FakeMtnMomo]:
    with FakeMtnMomo() as running:
        yield running


@pytest.fixture
def rail(memory_runtime: Runtime, fake: FakeMtnMomo) -> Iterator[MtnMomoRail]:
    client = httpx.Client(trust_env=False, timeout=5.0)
    made = MtnMomoRail(
        MtnMomoSettings(
            base_url=fake.base_url,
            subscription_key=fake.subscription_key,
            api_user=fake.api_user,
            api_key=fake.api_key,
            target_environment=fake.target_environment,
            currency="UGX",
            country="UG",
            callback_secret="mtn-callback-secret-for-tests",
        ),
        client,
        now=memory_runtime.clock.now,
        token_cache=MemoryTokenCache(),
        sleep=lambda _: None,
    )
    memory_runtime.rail_overrides = {"mtnmomo": made}
    memory_runtime.settings = settings(public_base_url=PUBLIC)
    yield made
    client.close()


@pytest.fixture
def webhook(rail: MtnMomoRail) -> FlaskClient:
    return client_for("payment_webhook")


def started(rt: Runtime, fake: FakeMtnMomo) -> tuple[str, RequestToPay]:
    outcome = start(rt, "mtnmomo", UGX_5000, PHONE)
    assert outcome.started
    assert outcome.instructions is not None
    return outcome.payment_id, fake.find(external_id=outcome.payment_id)


def the_callback(fake: FakeMtnMomo, request: RequestToPay, method: str = "PUT") -> Delivery:
    """What MTN would send now, without sending it."""
    assert request.callback_url is not None
    body = json.dumps(request.to_json()).encode()
    return Delivery(request.callback_url, method, body, {"Content-Type": "application/json"})


def test_a_request_to_pay_carries_our_reference_id_our_payment_id_and_the_payers_msisdn(
    memory_runtime: Runtime, rail: MtnMomoRail, fake: FakeMtnMomo
) -> None:
    payment_id, request = started(memory_runtime, fake)
    assert request.reference == wire.reference_id(payment_id)
    assert state(memory_runtime, payment_id).provider_ref == request.reference
    assert (request.amount, request.currency, request.party_id) == ("5000", "UGX", "256772123456")
    assert request.callback_url is not None
    assert request.callback_url.startswith(f"{PUBLIC}/payments/mtnmomo/{payment_id}/")
    assert "reference" not in request.to_json()  # the callback will not name it


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_paid_request_credits_once_however_often_and_however_it_is_called_back(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeMtnMomo, method: str
) -> None:
    payment_id, request = started(memory_runtime, fake)
    fake.pay(request)
    for _ in range(3):
        assert deliver(webhook, the_callback(fake, request, method)) == 200
    assert balance(memory_runtime) == {"UGX": 5000}
    assert credits(memory_runtime) == [f"payment:{payment_id}"]
    assert state(memory_runtime, payment_id).receipt == request.financial_id


def test_a_success_callback_the_status_api_contradicts_credits_nothing(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeMtnMomo
) -> None:
    payment_id, request = started(memory_runtime, fake)
    forged = json.loads(the_callback(fake, request).body) | {"status": "SUCCESSFUL"}
    claim = Delivery(request.callback_url or "", "PUT", json.dumps(forged).encode(), {})
    assert deliver(webhook, claim) == 200
    assert balance(memory_runtime) == {}
    assert state(memory_runtime, payment_id).state == "pending"


def test_a_wrong_token_is_401_and_a_malformed_or_misaddressed_body_400_writing_nothing(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeMtnMomo
) -> None:
    payment_id, request = started(memory_runtime, fake)
    other_id, other = started(memory_runtime, fake)
    fake.pay(request)
    before = written(memory_runtime)
    genuine = the_callback(fake, request)
    wrong_token = genuine.url.rsplit("/", 1)[0] + "/" + "0" * 32
    assert deliver(webhook, Delivery(wrong_token, "PUT", genuine.body, {})) == 401
    for body in (b"nope", b"[]", b'{"status": "SUCCESSFUL"}', b'{"externalId": 5}'):
        assert deliver(webhook, Delivery(genuine.url, "PUT", body, {})) == 400
    unknown = json.loads(genuine.body) | {"status": "RICH"}
    assert deliver(webhook, Delivery(genuine.url, "PUT", json.dumps(unknown).encode(), {})) == 400
    # Another payment's genuine callback on this payment's URL names the other externalId.
    fake.pay(other)
    misaddressed = dataclasses.replace(the_callback(fake, other), url=genuine.url)
    assert deliver(webhook, misaddressed) == 400
    assert written(memory_runtime) == before
    assert other_id != payment_id


def test_out_of_order_and_late_callbacks_end_in_the_status_apis_outcome(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeMtnMomo
) -> None:
    payment_id, request = started(memory_runtime, fake)
    pending = the_callback(fake, request)
    fake.pay(request)
    paid = the_callback(fake, request)
    assert deliver(webhook, paid) == 200
    assert deliver(webhook, pending) == 200  # a late PENDING after the success
    failed = json.loads(paid.body) | {"status": "FAILED", "reason": "APPROVAL_REJECTED"}
    assert deliver(webhook, Delivery(paid.url, "POST", json.dumps(failed).encode(), {})) == 200
    assert balance(memory_runtime) == {"UGX": 5000}
    assert state(memory_runtime, payment_id).state == "succeeded"


def test_a_callback_that_never_comes_is_settled_by_the_reconcile_job(
    memory_runtime: Runtime, rail: MtnMomoRail, fake: FakeMtnMomo
) -> None:
    paid_id, paid = started(memory_runtime, fake)
    declined_id, declined = started(memory_runtime, fake)
    fake.pay(paid)
    fake.fail(declined, "NOT_ENOUGH_FUNDS")
    assert reconcile(memory_runtime)["settled"] == 2
    assert balance(memory_runtime) == {"UGX": 5000}
    assert state(memory_runtime, declined_id).state == "failed"
    assert state(memory_runtime, paid_id).state == "succeeded"


def test_a_request_nobody_approved_in_time_expires(
    memory_runtime: Runtime, rail: MtnMomoRail, fake: FakeMtnMomo
) -> None:
    payment_id, request = started(memory_runtime, fake)
    fake.fail(request, "COULD_NOT_PERFORM_TRANSACTION")
    reconcile(memory_runtime)
    assert state(memory_runtime, payment_id).state == "expired"


def test_money_in_another_currency_is_held_for_an_admin_never_credited(
    memory_runtime: Runtime, webhook: FlaskClient, fake: FakeMtnMomo
) -> None:
    payment_id, request = started(memory_runtime, fake)
    fake.pay(request, amount="5000", currency="EUR")
    assert deliver(webhook, the_callback(fake, request)) == 200
    assert balance(memory_runtime) == {}
    assert state(memory_runtime, payment_id).state == "held"


def test_an_expired_or_revoked_token_is_refreshed_once_and_the_call_goes_through(
    memory_runtime: Runtime, rail: MtnMomoRail, fake: FakeMtnMomo
) -> None:
    started(memory_runtime, fake)
    fake.tokens.revoke()  # as a token minted elsewhere, or expired early, would be
    payment_id, _ = started(memory_runtime, fake)
    assert fake.tokens.minted == 2
    assert state(memory_runtime, payment_id).state == "pending"


def test_a_start_whose_every_attempt_and_status_failed_is_unknown_and_never_resent(
    memory_runtime: Runtime, rail: MtnMomoRail, fake: FakeMtnMomo
) -> None:
    rail.token.get()  # a token from before the outage
    fake.outage("500")
    outcome = start(memory_runtime, "mtnmomo", UGX_5000, PHONE)
    assert outcome.told == "start_unknown"  # even its status could not be asked
    fake.outage(None)
    assert fake.requests == {}
    assert start(memory_runtime, "mtnmomo", UGX_5000, PHONE).started  # a new update starts


def test_a_start_when_mtn_is_down_before_any_token_is_unavailable_and_sends_nothing(
    memory_runtime: Runtime, rail: MtnMomoRail, fake: FakeMtnMomo
) -> None:
    fake.outage("500")
    outcome = start(memory_runtime, "mtnmomo", UGX_5000, PHONE)
    assert outcome.told == "unavailable"  # the next rail may take it (failover)
    assert [path for _, path in fake.hits] == ["/collection/token/"] * 3


def test_a_start_mtn_never_received_is_unavailable_after_its_status_says_so(
    memory_runtime: Runtime, rail: MtnMomoRail, fake: FakeMtnMomo
) -> None:
    rail.token.get()
    fake.outage("500", calls=3)  # every attempt of the request to pay; the status answers
    outcome = start(memory_runtime, "mtnmomo", UGX_5000, PHONE)
    assert outcome.told == "unavailable"
    assert fake.requests == {}
    assert state(memory_runtime, outcome.payment_id).state == "failed"


def test_a_request_mtn_took_before_its_reply_was_lost_is_started_not_resent(
    memory_runtime: Runtime, rail: MtnMomoRail, fake: FakeMtnMomo
) -> None:
    rail.token.get()
    fake.outage("accept_then_500", calls=1)  # one reply lost
    outcome = start(memory_runtime, "mtnmomo", UGX_5000, PHONE)
    # Resent with the same reference id: MTN has it (409), so it started, once.
    assert outcome.started
    assert outcome.told is None
    assert len(fake.requests) == 1
    assert state(memory_runtime, outcome.payment_id).provider_ref == wire.reference_id(
        outcome.payment_id
    )


def test_a_number_that_is_not_a_mobile_or_a_foreign_currency_is_refused_before_mtn_is_asked(
    memory_runtime: Runtime, rail: MtnMomoRail, fake: FakeMtnMomo
) -> None:
    assert start(memory_runtime, "mtnmomo", UGX_5000, "12345").told == "rail_refused"
    kes = Money(amount=50_000, currency="KES")
    assert start(memory_runtime, "mtnmomo", kes, PHONE).told == "rail_refused"
    assert fake.requests == {}


def test_a_start_over_the_instances_pace_is_unavailable_and_never_sent(
    memory_runtime: Runtime, fake: FakeMtnMomo
) -> None:
    from functions.providers.pace import Pacer

    clock = [0.0]
    pacer = Pacer(1, max_wait_s=1.5, clock=lambda: clock[0], sleep=lambda s: None)
    settings_ = MtnMomoSettings(
        base_url=fake.base_url, subscription_key=fake.subscription_key, api_user=fake.api_user,
        api_key=fake.api_key, target_environment=fake.target_environment,
        callback_secret="mtn-callback-secret-for-tests",
    )  # fmt: skip
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        paced = MtnMomoRail(
            settings_, client, now=memory_runtime.clock.now, token_cache=MemoryTokenCache(),
            sleep=lambda _: None, pacer=pacer,
        )  # fmt: skip
        memory_runtime.rail_overrides = {"mtnmomo": paced}
        memory_runtime.settings = settings(public_base_url=PUBLIC)
        # The token and the request to pay take the first two slots (the clock stands
        # still); the next request to pay's slot is two seconds away: not sent.
        assert start(memory_runtime, "mtnmomo", UGX_5000, PHONE).started
        assert start(memory_runtime, "mtnmomo", UGX_5000, PHONE).told == "unavailable"
    assert len(fake.requests) == 1
