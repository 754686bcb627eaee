"""Chaos on the three mobile-money rails at once, against their fakes: payers pay, decline
or walk away, callbacks come duplicated, reordered, forged by a sender holding the right URL
and hash, or never; a reply is lost. Then the reconcile job runs, and the ledger audit must
be clean with every paid payment credited exactly once and nothing else."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from flask.testing import FlaskClient

from events import Money
from functions.ops.ledger import audit
from functions.providers.airtel import AirtelSettings
from functions.providers.airtel.rail import AirtelRail
from functions.providers.airtel.wire import sign
from functions.providers.flutterwave import FlutterwaveSettings
from functions.providers.flutterwave.rail import FlutterwaveRail
from functions.providers.mtnmomo import MtnMomoSettings
from functions.providers.mtnmomo.rail import MtnMomoRail
from functions.providers.token_cache import MemoryTokenCache
from functions.runtime.bootstrap import Runtime
from tests.builders import settings
from tests.fakes.airtel import FakeAirtel
from tests.fakes.flutterwave import FakeFlutterwave, dumps
from tests.fakes.mobile_money import Delivery
from tests.fakes.mtnmomo import FakeMtnMomo
from tests.functions.conftest import client_for
from tests.functions.mobile_money_helpers import PUBLIC, reconcile, start, state

pytestmark = pytest.mark.functions
AIRTEL_URL = f"{PUBLIC}/payments/airtel/airtel-chaos-secret"
FLW_URL = f"{PUBLIC}/payments/flutterwave/flw-chaos-secret"
AMOUNTS = {
    "mtnmomo": (Money(amount=5000, currency="UGX"), "0772123456"),
    "airtel": (Money(amount=7000, currency="UGX"), "0752123456"),
    "flutterwave": (Money(amount=150_000, currency="KES"), "0712345678"),
}


@dataclass
class Fakes:
    mtn: FakeMtnMomo
    airtel: FakeAirtel
    flw: FakeFlutterwave


@pytest.fixture
def fakes(memory_runtime: Runtime) -> Iterator[Fakes]:
    with (
        FakeMtnMomo() as mtn,
        FakeAirtel(callback_url=AIRTEL_URL, hash_key="airtel-key") as airtel,
        FakeFlutterwave(webhook_url=FLW_URL) as flw,
        httpx.Client(trust_env=False, timeout=5.0) as client,
    ):
        for fake in (mtn, airtel, flw):
            fake.delivering = False
        now, sleep = memory_runtime.clock.now, lambda _: None
        memory_runtime.rail_overrides = {
            "mtnmomo": MtnMomoRail(
                MtnMomoSettings(
                    base_url=mtn.base_url, subscription_key=mtn.subscription_key,
                    api_user=mtn.api_user, api_key=mtn.api_key,
                    target_environment=mtn.target_environment, callback_secret="mtn-chaos",
                ),
                client, now, token_cache=MemoryTokenCache(), sleep=sleep,
            ),
            "airtel": AirtelRail(
                AirtelSettings(
                    base_url=airtel.base_url, client_id=airtel.client_id,
                    client_secret=airtel.client_secret, webhook_secret="airtel-chaos-secret",
                    callback_hash_key="airtel-key",
                ),
                client, now, token_cache=MemoryTokenCache(), sleep=sleep,
            ),
            "flutterwave": FlutterwaveRail(
                FlutterwaveSettings(
                    base_url=flw.base_url, secret_key=flw.secret_key,
                    secret_hash=flw.secret_hash, webhook_secret="flw-chaos-secret",
                    email_domain="soko.test",
                ),
                client, now, sleep=sleep,
            ),
        }  # fmt: skip
        memory_runtime.settings = settings(public_base_url=PUBLIC)
        yield Fakes(mtn, airtel, flw)


def deliveries(fakes: Fakes, rail: str, payment_id: str, fate: str) -> list[Delivery]:
    """What the provider (or a forger with its URL and hash) sends about this payment."""
    if rail == "mtnmomo":
        request = fakes.mtn.find(external_id=payment_id)
        body = request.to_json() | ({"status": "SUCCESSFUL"} if fate == "walked_away" else {})
        return [Delivery(request.callback_url or "", "PUT", json.dumps(body).encode(), {})]
    if rail == "airtel":
        code = {"paid": "TS", "declined": "TF", "walked_away": "TS"}[fate]
        transaction = {"id": payment_id, "message": "m", "status_code": code}
        body = {"transaction": transaction, "hash": sign("airtel-key", transaction)}
        return [Delivery(AIRTEL_URL, "POST", json.dumps(body).encode(), {})]
    event = fakes.flw.event(payment_id)
    if fate == "walked_away":
        event["data"]["status"] = "successful"
    raw = dumps(event)
    return [Delivery(FLW_URL, "POST", raw, fakes.flw.signed(raw))]


def settle_at_provider(fakes: Fakes, rail: str, payment_id: str, fate: str) -> None:
    if fate == "walked_away":
        return
    if rail == "mtnmomo":
        request = fakes.mtn.find(external_id=payment_id)
        (fakes.mtn.pay if fate == "paid" else fakes.mtn.fail)(request)
    elif rail == "airtel":
        fakes.airtel.settle(payment_id, "TS" if fate == "paid" else "TF")
    else:
        fakes.flw.settle(payment_id, "successful" if fate == "paid" else "failed")


def post(webhook: FlaskClient, delivery: Delivery) -> int:
    path = delivery.url.removeprefix(PUBLIC)
    return int(webhook.open(path, method=delivery.method, data=delivery.body,
                            headers=delivery.headers).status_code)  # fmt: skip


def test_chaos_on_three_rails_leaves_a_clean_ledger_with_each_paid_payment_credited_once(
    memory_runtime: Runtime, fakes: Fakes
) -> None:
    chance = random.Random(15)
    fakes.mtn.outage("accept_then_500", calls=1)  # MTN's first reply is lost (resent: 409)
    started: list[tuple[str, str, str]] = []  # (rail, payment id, fate)
    for n in range(24):
        rail = ("mtnmomo", "airtel", "flutterwave")[n % 3]
        amount, phone = AMOUNTS[rail]
        outcome = start(memory_runtime, rail, amount, phone)
        assert outcome.started, outcome
        fate = chance.choice(("paid", "paid", "paid", "declined", "walked_away"))
        started.append((rail, outcome.payment_id, fate))
        settle_at_provider(fakes, rail, outcome.payment_id, fate)
    sent = [d for rail, pid, fate in started for d in deliveries(fakes, rail, pid, fate)]
    sent = [d for d in sent for _ in range(chance.randint(0, 3))]  # never, once, or repeated
    chance.shuffle(sent)
    webhook = client_for("payment_webhook")
    assert {post(webhook, d) for d in sent} <= {200}
    reconcile(memory_runtime)
    reconcile(memory_runtime)

    assert audit(memory_runtime.store, memory_runtime.read_models) == []
    for rail, payment_id, fate in started:
        expected = {"paid": "succeeded", "declined": "failed", "walked_away": "pending"}[fate]
        assert (rail, state(memory_runtime, payment_id).state) == (rail, expected)
    credits = [
        e.data["reference"]
        for s in memory_runtime.store.streams("wallet")
        for e in memory_runtime.store.load(s)
        if e.type == "wallet.credited.v1"
    ]
    paid = sorted(f"payment:{pid}" for _, pid, fate in started if fate == "paid")
    assert sorted(credits) == paid
