"""The shop over real HTTP on the emulator stack, for concurrency tests and the flash-sale bench.

Updates are POSTed straight to the served `telegram_webhook`, not through the fake Telegram:
its deliver() sends one update at a time, and these callers want many in flight at once.
A non-2xx answer is retried with the same update, as Telegram does.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from events import Envelope, Money, decode
from events.shop import OrderDelivered, OrderPlaced
from functions.domain import orders, users, wallet
from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client
from functions.runtime.memory import SystemClock, UuidIds
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.ports import Appended
from functions.runtime.pubsub import PubSubPublisher
from infra.local.stack import LOCAL_ADMIN_ID, WEBHOOK_SECRET_HEADER, LocalStack
from tests.builders import button_update, text_update

T = TypeVar("T")
R = TypeVar("R")
GRANT = "test_grant"  # not a deposit: the ledger audit traces deposits to payments
TELEGRAM_RETRIES = 3
BUSY = "please tap Buy again"
BUY_TAPS = 5
# The webhook's idempotency key is the update id, and one stack serves a whole session: stay
# clear of the ids other e2e tests use (below 10 million) and the bench's in-process ones.
_update_ids = itertools.count(50_000_000 + secrets.randbelow(1_000) * 10_000)


@dataclass
class HttpShop:
    stack: LocalStack
    http: httpx.Client = field(init=False)
    retried: int = 0  # updates Telegram would have redelivered (non-2xx answers)
    busy: int = 0  # Buy taps answered "tap Buy again" (every lot stayed contended)

    def __post_init__(self) -> None:
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        self.http = httpx.Client(trust_env=False, timeout=120, limits=limits)
        self._lock = threading.Lock()
        db = client(self.stack.project)
        self.store = FirestoreEventStore(db)
        self.read_models = FirestoreReadModels(db, self.store)
        publisher = PubSubPublisher(self.stack.project, emulator_host=self.stack.pubsub_host)
        self.pipeline = Pipeline(self.store, publisher, SystemClock(), UuidIds())

    def close(self) -> None:
        self.http.close()

    # -- Telegram -------------------------------------------------------------------------

    def post(self, update: dict[str, Any]) -> dict[str, Any]:
        """The webhook's answer (the Bot API call it makes as its response)."""
        url = self.stack.urls["telegram_webhook"]
        headers = {WEBHOOK_SECRET_HEADER: self.stack.secrets.webhook_secret}
        for _ in range(TELEGRAM_RETRIES):
            response = self.http.post(url, json=update, headers=headers)
            if response.status_code == 200:
                return dict(response.json()) if response.content else {}
            with self._lock:
                self.retried += 1
        raise AssertionError(f"HTTP {response.status_code} after retries: {response.text[:300]}")

    def say(self, user_id: int, text: str) -> dict[str, Any]:
        return self.post(text_update(text, user_id=user_id, update_id=next(_update_ids)))

    def tap(self, user_id: int, data: str) -> dict[str, Any]:
        return self.post(button_update(data, user_id=user_id, update_id=next(_update_ids)))

    def buy(self, user_id: int, product_id: str) -> dict[str, Any]:
        """Tap Buy, and again when asked to, as a person would: the last answer."""
        for _ in range(BUY_TAPS):
            answer = self.tap(user_id, f"shop:b:{product_id}:1")
            if BUSY not in answer.get("text", ""):
                return answer
            with self._lock:
                self.busy += 1
        return answer

    # -- an admin's shop ------------------------------------------------------------------

    def add_product(self, spec: str) -> str:
        text = self.say(LOCAL_ADMIN_ID, f"/addproduct {spec}")["text"]
        found = re.search(r"<code>([0-9a-f]+)</code>", text)
        assert found, text
        return found.group(1)

    def add_stock(self, product_id: str, quantity: int) -> None:
        answer = self.say(LOCAL_ADMIN_ID, f"/stock {product_id} {quantity}")["text"]
        assert answer.startswith(f"Added {quantity} units"), answer

    def add_items(self, product_id: str, payloads: Sequence[str]) -> None:
        answer = self.say(LOCAL_ADMIN_ID, "\n".join([f"/stock {product_id}", *payloads]))
        assert answer["text"].startswith(f"Added {len(payloads)} units"), answer

    # -- wallets --------------------------------------------------------------------------

    def fund(self, user_ids: Iterable[int], amount: Money, run: str) -> None:
        """Credit each wallet through the pipeline, published so the balances view follows."""

        def credit(user_id: int) -> Appended:
            command = wallet.Credit(user_id, amount, GRANT, f"grant:{run}:{user_id}")
            trace = Trace(f"test-grant:{run}:{user_id}")
            return self.pipeline.execute(wallet.wallets, wallet.stream_of(user_id), command, trace)

        in_parallel(credit, list(user_ids), workers=16)
        # Mark what was published, as a function does when its request ends.
        self.store.mark_published(self.pipeline.marks.take(len(self.pipeline.marks)))

    def register(self, user_ids: Iterable[int]) -> None:
        """Register each user, as their /start would (a buyer has a user stream)."""

        def register(user_id: int) -> Appended:
            command = users.Register(user_id, user_id, f"Buyer {user_id}", "en")
            trace = Trace(f"test-register:{user_id}")
            return self.pipeline.execute(users.users, users.stream_of(user_id), command, trace)

        in_parallel(register, list(user_ids), workers=16)
        self.store.mark_published(self.pipeline.marks.take(len(self.pipeline.marks)))

    def balance(self, user_id: int, currency: str) -> int:
        state = self.pipeline.current(wallet.wallets, wallet.stream_of(user_id))
        return state.balance(currency).amount

    def wallet_events(self, user_id: int) -> list[Any]:
        return [decode(e) for e in self.store.load(wallet.stream_of(user_id))]

    def shown_balance(self, user_id: int, currency: str) -> int:
        doc = self.read_models.get("balances", str(user_id)) or {}
        return int(doc.get("balances", {}).get(currency, 0))

    # -- orders, from their streams (the truth) -------------------------------------------

    def order(self, order_id: str) -> orders.Order:
        return self.pipeline.current(orders.orders, orders.stream_of(order_id))

    def delivered_items(self, order_id: str) -> list[str]:
        history = [decode(e) for e in self.store.load(orders.stream_of(order_id))]
        return [i.payload for e in history if isinstance(e, OrderDelivered) for i in e.items]

    def orders_of_product(self, product_id: str) -> list[str]:
        """Every order stream placed for the product (a scan of order streams: tests only)."""
        found = []
        for stream in self.store.streams("order"):
            first = self.store.load(stream, up_to=1)
            if first and _placed_for(first[0], product_id):
                found.append(stream.removeprefix("order-"))
        return found


def _placed_for(envelope: Envelope, product_id: str) -> bool:
    event = decode(envelope)
    return isinstance(event, OrderPlaced) and event.product_id == product_id


def buttons(answer: dict[str, Any]) -> dict[str, str]:
    """The inline buttons of an answer: label -> callback_data."""
    rows = answer.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def in_parallel(action: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`action` on every item from `workers` threads; results in the items' order."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(action, items))


class ScopedStore:
    """An event store that lists only some streams: the ledger audit of one test's data in a
    session store that other tests share (their fixtures credit wallets without payments)."""

    def __init__(self, store: FirestoreEventStore, keep: Callable[[str], bool]) -> None:
        self._store = store
        self._keep = keep

    def streams(self, category: str) -> list[str]:
        return [s for s in self._store.streams(category) if self._keep(s)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
