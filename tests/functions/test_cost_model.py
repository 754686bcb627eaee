"""The port calls behind docs/deploy.md's cost table, one invocation at a time. If one of
these changes, so does the bill: update the table (Firestore operations per call are listed
beside it)."""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

import pytest

from events import Envelope, Money
from events.users import UserRegistered
from events.wallet import WalletCredited
from functions.domain.wallet import Credit, wallets
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import MemoryPublisher
from functions.runtime.pipeline import Trace
from tests.builders import SCHEDULER_SECRET, envelope, text_update
from tests.functions.conftest import client_for, post_update

pytestmark = pytest.mark.functions


class Counting:
    """Forwards every call to `inner`, counting them by `prefix.method`."""

    def __init__(self, inner: Any, prefix: str, calls: Counter[str]) -> None:
        self._inner, self._prefix, self._calls = inner, prefix, calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[f"{self._prefix}.{name}"] += 1
            return attribute(*args, **kwargs)

        return counted


def push(event: Envelope) -> dict[str, Any]:
    """A raw Pub/Sub push of one event, as the subscription delivers it."""
    data = base64.b64encode(event.to_json().encode()).decode()
    return {"message": {"data": data, "attributes": {}, "messageId": "1"}, "subscription": "s"}


@pytest.fixture
def calls(memory_runtime: Runtime) -> Counter[str]:
    # In the cloud each subscriber is its own invocation: stop the memory bus delivering
    # in-process, so a test counts only the work of the entry point it calls.
    publisher: MemoryPublisher = memory_runtime.publisher  # type: ignore[assignment]
    publisher.subscribers.clear()
    counter: Counter[str] = Counter()
    memory_runtime.store = Counting(memory_runtime.store, "store", counter)  # type: ignore[assignment]
    memory_runtime.publisher = Counting(memory_runtime.publisher, "bus", counter)  # type: ignore[assignment]
    memory_runtime.read_models = Counting(memory_runtime.read_models, "read", counter)  # type: ignore[assignment]
    return counter


def test_a_new_users_start(calls: Counter[str]) -> None:
    post_update(client_for("telegram_webhook"), text_update("/start", user_id=5))
    # One read of the head (none yet: the append creates it without reading it again), and
    # the published mark written as the request ends (one per request, not per command).
    assert calls == Counter(
        {"store.load_latest": 1, "store.append": 1, "bus.publish": 1, "store.mark_published": 1}
    )  # fmt: skip


def test_a_returning_users_start_appends_only_its_idempotency_key(calls: Counter[str]) -> None:
    webhook = client_for("telegram_webhook")
    post_update(webhook, text_update("/start", user_id=5, update_id=1))
    calls.clear()
    post_update(webhook, text_update("/start", user_id=5, update_id=2))
    assert calls == Counter({"store.load": 1, "store.append": 1})


def test_a_redelivered_update_writes_nothing(calls: Counter[str]) -> None:
    webhook = client_for("telegram_webhook")
    post_update(webhook, text_update("/start", user_id=5, update_id=1))
    calls.clear()
    post_update(webhook, text_update("/start", user_id=5, update_id=1))
    # The append finds the key and returns the first outcome (one more read of its events).
    assert calls == Counter({"store.load": 1, "store.append": 1})


def test_a_deposit_credit_and_its_projection(memory_runtime: Runtime, calls: Counter[str]) -> None:
    # The command a deposit ends in (issue 4's reactor), with its idempotency key.
    memory_runtime.pipeline.execute(
        wallets,
        "wallet-5",
        Credit(5, Money(amount=100_000, currency="KES"), "deposit", "payment-1"),
        Trace(idempotency_key="react:deposit:payment-1"),
    )
    # Its projection is a separate project_balances invocation (next test). A wallet is
    # read cold from its head's snapshot (one document) and the events after it, if any.
    assert calls == Counter({"store.load_latest": 1, "store.append": 1, "bus.publish": 1})


def test_a_pushed_event_is_projected_with_one_apply(calls: Counter[str]) -> None:
    credited = WalletCredited(
        user_id=5, amount=Money(amount=100, currency="KES"), reason="deposit", reference="p-1"
    )
    client_for("project_balances", "cloudevent").post(
        "/projects/demo-soko/topics/wallet-events", json=push(envelope("wallet-5", 1, credited))
    )
    assert calls == Counter({"read.apply": 1})


def test_a_registered_user_gets_a_wallet_in_one_reactor_command(calls: Counter[str]) -> None:
    registered = UserRegistered(user_id=5, chat_id=5, first_name="A", language="en")
    client_for("open_wallets", "cloudevent").post(
        "/projects/demo-soko/topics/user-events", json=push(envelope("user-5", 1, registered))
    )
    assert calls == Counter(
        {"store.load_latest": 1, "store.append": 1, "bus.publish": 1, "store.mark_published": 1}
    )  # fmt: skip


def test_balance_reads_one_document(calls: Counter[str]) -> None:
    post_update(client_for("telegram_webhook"), text_update("/balance", user_id=5))
    assert calls == Counter({"read.get": 1})


def test_an_idle_relay_run_makes_one_query(calls: Counter[str]) -> None:
    client_for("scheduled_job").post(
        "/", json={"job": "relay"}, headers={"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
    )
    assert calls == Counter({"store.unpublished": 1})


def test_a_checkout_buy_and_pay_from_the_wallet(memory_runtime: Runtime) -> None:
    """The webhook's two taps of a purchase, with the saga steps it runs inline. The
    subscribers' later deliveries of the same steps find their keys recorded (1 read each)."""
    from tests.builders import settings
    from tests.functions.shop_helpers import ADMIN, ShopDriver, buttons

    memory_runtime.settings = settings(admin_ids=[ADMIN], default_currency="KES")
    shop = ShopDriver(client_for("telegram_webhook"), memory_runtime)
    shop.register(ADMIN)
    shop.register(8, Money(amount=10_000, currency="KES"))
    product = shop.add_product("Soap | Home | 50 KES")
    shop.say(ADMIN, f"/stock {product} 5")
    publisher: MemoryPublisher = memory_runtime.publisher  # type: ignore[assignment]
    publisher.subscribers.clear()
    counter: Counter[str] = Counter()
    memory_runtime.store = Counting(memory_runtime.store, "store", counter)  # type: ignore[assignment]
    memory_runtime.read_models = Counting(memory_runtime.read_models, "read", counter)  # type: ignore[assignment]

    held = shop.tap(8, f"shop:b:{product}:1")
    assert counter == Counter(
        # product + user state (both heads in one read), the lot candidates, reserve (the
        # lot as this instance's own /stock append left it: no read), the order placed inline
        # (a new stream: no read), and one write marking both published (the reserve's mark
        # rode in the order's append).
        {"store.load_latest_many": 1, "read.find": 1, "store.append": 2,
         "store.mark_published": 1}
    )  # fmt: skip
    counter.clear()
    shop.tap(8, buttons(held)["Pay from wallet"])
    assert counter == Counter(
        # order state; debit; order paid; lot sold; order delivered (each stream as this
        # instance's own last append left it: an append each, no read, the published marks
        # riding along, the last one written as the request ends); the answer is what the
        # saga wrote.
        {"store.load": 1, "store.append": 4, "store.mark_published": 1}
    )  # fmt: skip


def test_a_checkout_step_the_webhook_already_ran_costs_the_subscriber_one_key_lookup(
    memory_runtime: Runtime, calls: Counter[str]
) -> None:
    from functions.domain import lots
    from functions.reactors.checkout import CHECKOUT

    memory_runtime.pipeline.execute(lots.lots, "lot-p1-1", lots.Stock("p1", 1, 2))
    reserve = lots.Reserve("o1", 7, "Soap", 1, Money(amount=5_000, currency="KES"),
                           memory_runtime.clock.now())  # fmt: skip
    reserved = memory_runtime.pipeline.execute(lots.lots, "lot-p1-1", reserve).events
    memory_runtime.follow(reserved)  # the webhook placed the order inline
    memory_runtime.settle_marks()  # as the webhook's request ended
    calls.clear()
    pushed = client_for("run_checkout", "cloudevent").post("/", json=push(reserved[0]))
    assert pushed.status_code == 200
    assert calls == Counter({"store.is_recorded": 1})
    assert [r.expects_duplicates for r in CHECKOUT] == [True] * len(CHECKOUT)


def test_the_referral_programmes_share_of_a_deposit_nobody_was_invited_to(
    calls: Counter[str],
) -> None:
    """earn_commissions reads the payer's referral stream (the only record of whether they
    have a referrer) and records its key; reward_loyalty counts the deposit on theirs."""
    from events.payments import PaymentSucceeded

    paid = PaymentSucceeded(
        payment_id="p1", user_id=5, purpose="wallet_deposit",
        paid=Money(amount=100, currency="KES"), source="query",
    )  # fmt: skip
    pushed = push(envelope("payment-p1", 2, paid))
    client_for("earn_commissions", "cloudevent").post("/", json=pushed)
    # A cold read is of the head (and of the events only if there is one).
    assert calls == Counter({"store.load_latest": 1, "store.append": 1})
    calls.clear()
    client_for("reward_loyalty", "cloudevent").post("/", json=pushed)
    assert calls == Counter(
        {"store.load_latest": 1, "store.append": 1, "bus.publish": 1, "store.mark_published": 1}
    )  # fmt: skip
