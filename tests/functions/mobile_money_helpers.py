"""What the mobile-money rail tests share: start a deposit as /deposit does, deliver a fake
provider's callback to payment_webhook, run the payment jobs, read what was stored."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from events import Money
from functions.domain import payments
from functions.payments.start import Outcome, start_payment
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from tests.builders import SCHEDULER_SECRET
from tests.fakes.mobile_money import Delivery
from tests.functions.conftest import client_for

PUBLIC = "https://soko.test"
USER = 7
_keys = itertools.count(1)


def start(rt: Runtime, rail: str, amount: Money, phone: str | None) -> Outcome:
    """A wallet deposit of `amount` by USER, as one Telegram update starts it."""
    return start_payment(
        rt, user_id=USER, rail_name=rail, amount=amount, purpose="wallet_deposit",
        trace=Trace(f"update:{next(_keys)}"), phone=phone,
    )  # fmt: skip


def deliver(webhook: FlaskClient, delivery: Delivery) -> int:
    """What a provider's callback gets back from payment_webhook (it is not sent itself)."""
    parts = urlsplit(delivery.url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC, delivery.url
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = webhook.open(
        path, method=delivery.method, data=delivery.body, headers=delivery.headers
    )
    return int(response.status_code)


def reconcile(rt: Runtime, minutes: int = 5) -> dict[str, Any]:
    rt.clock.advance(minutes=minutes)  # type: ignore[attr-defined]
    jobs = client_for("scheduled_job")
    headers = {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
    answer: dict[str, Any] = jobs.post(
        "/", json={"job": "reconcile-payments"}, headers=headers
    ).get_json()
    return answer


def balance(rt: Runtime, user_id: int = USER) -> dict[str, int]:
    doc = rt.read_models.get("balances", str(user_id))
    return dict(doc["balances"]) if doc else {}


def state(rt: Runtime, payment_id: str) -> payments.Payment:
    return rt.pipeline.current(payments.payments, payments.stream_of(payment_id))


def credits(rt: Runtime, user_id: int = USER) -> list[str]:
    return [
        str(e.data["reference"])
        for e in rt.store.load(f"wallet-{user_id}")
        if e.type == "wallet.credited.v1"
    ]


def written(rt: Runtime) -> list[Any]:
    store: Any = rt.store
    return [store.load(s) for s in store.streams()]
