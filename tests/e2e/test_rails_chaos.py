"""Chaos over the six real rails on the emulator stack (M-Pesa, Pakasir, NOWPayments, MTN
MoMo, Airtel Money, Flutterwave): a few users each deposit on every rail at once, their
callbacks duplicated, late, stale and out of order from several threads, some payments
declined and some never answered. Then the ledger audit (`python -m functions.ops.ledger`)
runs against the emulator store: it must be clean, and every paid payment credited once.

Each rail is one row of RAILS: how a user asks for a deposit on it, and how its payer and
provider behave for one payment. A new rail is a row.
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from events import decode
from events.wallet import WalletCredited
from functions.runtime.firestore import FirestoreEventStore, client
from infra.local.emulators import reset_firestore
from infra.local.stack import ROOT, LocalStack
from tests.e2e.conftest import eventually, new_user
from tests.e2e.rails import SUCCEEDED, balances, deposit, event_types, open_wallet

pytestmark = pytest.mark.e2e

USERS = [new_user() for _ in range(3)]  # a deposit on every rail each: 3 payments a rail
SEED = 20240611
HTTP = httpx.Client(trust_env=False, timeout=30.0)
Task = Callable[[], object]


@dataclass(frozen=True)
class Deposit:
    user_id: int
    rail: str
    ref: str
    currency: str
    minor: int  # what a full payment credits


Player = Callable[[LocalStack, Deposit, bool, random.Random], list[Task]]


@dataclass(frozen=True)
class ChaosRail:
    name: str
    currency: str
    ask: Callable[[int], tuple[str, int]]  # the n-th user's command, and the minor units
    play: Player  # the tasks that pay (or do not pay) one deposit, to be run in any order


def _mpesa(stack: LocalStack, d: Deposit, paid: bool, rng: random.Random) -> list[Task]:
    fake = stack.providers.mpesa
    (checkout_id,) = [c for c, r in fake.api.requests.items() if r.account_reference == d.ref]
    if paid:
        fake.pay(checkout_id)
    else:
        fake.fail(checkout_id)  # the customer cancelled the prompt

    # Daraja retries: the same callback from several senders, some of them late.
    def send(delay: float) -> Task:
        return lambda: fake.fire_callback(checkout_id, 2, delay).join()

    return [send(rng.random() * 0.3) for _ in range(2)]


def _pakasir(stack: LocalStack, d: Deposit, paid: bool, rng: random.Random) -> list[Task]:
    fake = stack.providers.pakasir
    if not paid:
        fake.cancel(d.ref)
        # A forged "completed" too: the detail call says canceled, so it moves nothing.
        return [
            lambda: fake.fire_webhook(d.ref, "canceled", times=2),
            lambda: fake.fire_webhook(d.ref, "completed"),
        ]
    return [
        lambda: fake.pay(d.ref),  # completed, and its webhook
        lambda: fake.fire_webhook(d.ref, "completed", times=2),  # perhaps before the payment
        lambda: fake.fire_webhook(d.ref, "pending"),  # a stale one, after or before
    ]


def _nowpayments(stack: LocalStack, d: Deposit, paid: bool, rng: random.Random) -> list[Task]:
    fake = stack.providers.nowpayments
    if not paid:
        flow = ("waiting", "confirming", "failed")
        return [lambda: fake.pay(d.ref, flow, duplicate=2, order="shuffled")]

    def pay_then_replay_a_stale_ipn() -> None:
        flow = ("waiting", "confirming", "finished")
        payment_id = fake.pay(d.ref, flow, duplicate=2, order="shuffled")  # finished may lead
        url, body, headers = fake.ipn(payment_id, "confirming", rendering="js")
        HTTP.post(url, content=body, headers=headers)

    return [pay_then_replay_a_stale_ipn]


def _mobile_money(stack: LocalStack, d: Deposit, paid: bool, rng: random.Random) -> list[Task]:
    """MTN, Airtel and Flutterwave share one control API (tests/fakes/mobile_money.py):
    the payer approves or declines, and the provider calls back, repeatedly and late."""
    fake = getattr(stack.providers, d.rail)
    ref = {"external_id": d.ref}

    def control(route: str, **data: Any) -> Task:
        def run() -> None:
            # Airtel calls back only once settled: a callback before the payer answered
            # is not sent, as by Airtel itself.
            with contextlib.suppress(LookupError):
                fake.command("POST", route, {**ref, **data})

        return run

    late = [round(rng.random() * 0.5, 2) for _ in range(2)]
    if not paid and rng.random() < 0.5:
        # Never answered: at most an early callback saying it is still pending.
        return [control("callback")]

    def answer_then_call_back() -> None:
        fake.command("POST", "pay" if paid else "fail", ref)
        fake.command("POST", "callback", {**ref, "times": 2, "delay": late[0]})

    # A callback taken before the answer (stale, perhaps delivered after it), and a late one.
    return [answer_then_call_back, control("callback", delay=late[1]), control("callback")]


RAILS = (
    ChaosRail("mpesa", "KES", lambda n: (f"/deposit mpesa {100 + n} 0712345678", (100 + n) * 100), _mpesa),  # noqa: E501
    ChaosRail("pakasir", "IDR", lambda n: (f"/deposit pakasir {1000 * (n + 1)}", 1000 * (n + 1) * 100), _pakasir),  # noqa: E501
    ChaosRail("nowpayments", "USD", lambda n: (f"/deposit nowpayments {5 + n}.00", (5 + n) * 100), _nowpayments),  # noqa: E501
    ChaosRail("mtnmomo", "UGX", lambda n: (f"/deposit mtnmomo {5000 + n} +256772123456", 5000 + n), _mobile_money),  # noqa: E501
    ChaosRail("airtel", "ZMW", lambda n: (f"/deposit airtel {50 + n} +260971234567", (50 + n) * 100), _mobile_money),  # noqa: E501
    ChaosRail("flutterwave", "GHS", lambda n: (f"/deposit flutterwave {20 + n} +233241234567", (20 + n) * 100), _mobile_money),  # noqa: E501
)  # fmt: skip
BY_NAME = {rail.name: rail for rail in RAILS}


def _start_deposits(stack: LocalStack) -> list[Deposit]:
    def one_user(user_id: int) -> list[Deposit]:
        n = USERS.index(user_id)
        open_wallet(stack, user_id)
        made = []
        for rail in RAILS:
            command, minor = rail.ask(n)
            ref = deposit(stack, user_id, command)
            made.append(Deposit(user_id, rail.name, ref, rail.currency, minor))
        return made

    # A user's messages go one after another (their replies are read in order); users at once.
    with ThreadPoolExecutor(max_workers=len(USERS)) as pool:
        return [d for batch in pool.map(one_user, USERS) for d in batch]


def _credits_by_payment(stack: LocalStack) -> Counter[str]:
    store = FirestoreEventStore(client(stack.project))
    credits: Counter[str] = Counter()
    for user_id in USERS:
        for envelope in store.load(f"wallet-{user_id}"):
            event = decode(envelope)
            if isinstance(event, WalletCredited):
                credits[event.reference.removeprefix("payment:")] += 1
    return credits


def test_duplicated_and_reordered_callbacks_on_every_rail_leave_a_clean_ledger(
    e2e_stack: LocalStack,
) -> None:
    # The audit reads the whole store: start from an empty one, so that other tests' data
    # (some of it deliberately without a payment) is not what it judges.
    reset_firestore(e2e_stack.firestore_host, e2e_stack.project)
    began = time.monotonic()
    deposits = _start_deposits(e2e_stack)
    assert len({d.ref for d in deposits}) == len(USERS) * len(RAILS)

    rng = random.Random(SEED)
    # On every rail one user's payment is never paid (declined, or never answered).
    unpaid = {rail.name: rng.choice(USERS) for rail in RAILS}
    paid = {d.ref for d in deposits if unpaid[d.rail] != d.user_id}
    tasks = [
        task for d in deposits for task in BY_NAME[d.rail].play(e2e_stack, d, d.ref in paid, rng)
    ]
    rng.shuffle(tasks)
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda task: task(), tasks))

    expected: dict[int, dict[str, int]] = {u: {} for u in USERS}
    for d in deposits:
        if d.ref in paid:
            expected[d.user_id][d.currency] = expected[d.user_id].get(d.currency, 0) + d.minor

    def all_credited() -> bool:
        """every paid deposit shows in its user's balances"""
        docs = {u: balances(e2e_stack, u) for u in USERS}
        return all(doc and doc["balances"] == expected[u] for u, doc in docs.items())

    eventually(all_credited, timeout=60)
    time.sleep(1.0)  # the late callbacks (at most 0.5 s) have all arrived, and moved nothing
    audit = subprocess.run(
        [sys.executable, "-m", "functions.ops.ledger"],
        env=e2e_stack.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - began

    assert audit.returncode == 0, audit.stderr
    assert "ledger audit: 0 problem(s)" in audit.stdout
    credits = _credits_by_payment(e2e_stack)
    assert {ref: credits[ref] for ref in paid} == dict.fromkeys(paid, 1)
    assert not any(credits[d.ref] for d in deposits if d.ref not in paid)
    for d in deposits:
        assert event_types(e2e_stack, f"payment-{d.ref}").count(SUCCEEDED) == (d.ref in paid)
    assert elapsed < 60, f"the chaos test took {elapsed:.1f} s"
