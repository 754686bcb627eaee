"""Flash-sale throughput, checkout latency and Firestore operations per checkout.

On the emulator stack (every function served over HTTP, gunicorn threads = the topology's
concurrency), CLIENTS threads POST Telegram updates straight to the telegram_webhook:
a checkout is two round trips, "Buy" (reserve a unit in a lot, place the order) and "Pay
from wallet" (debit, then the saga inline: order paid, lot sold, order delivered).

- purchases/s for one product (its stock split into lots of LOT_SIZE) and for PRODUCTS
  different products; every buyer is funded and finds a unit, so every checkout completes;
- checkout latency p50/p99 (buy + pay) one buyer at a time, and under each flash sale;
- Firestore operations per checkout, counted in-process: the webhook's handler runs in this
  process against the same emulator, with the Firestore client's RPCs (RunQuery,
  BatchGetDocuments, Commit) wrapped; then the subscribers' share is counted by running
  what Pub/Sub would deliver to them (run_checkout's reactors, which find the inline
  saga's keys recorded, and the shop and balances projections) on the events the
  checkout published. Reads are counted as Firestore bills them: one per document
  returned, one for a query that returns nothing; writes are the documents committed.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

from events import Envelope, Money
from functions.domain.products import LOT_SIZE
from infra.local.stack import LOCAL_ADMIN_ID, LocalStack, TelegramLimits
from tests.bench.summary import Figure
from tests.bench.webhook_latency import percentiles
from tests.builders import button_update
from tests.e2e.shop_http import HttpShop, buttons, in_parallel

CLIENTS = 32  # concurrent buyers in flight; the webhook serves 8 at a time (its threads)
BUYERS = 200
PRODUCTS = 50
SEQUENTIAL = 50
COUNTED = 20
PRICE = Money(amount=1_000, currency="KES")


def checkout(shop: HttpShop, user_id: int, product_id: str) -> float:
    """Buy + pay round trips, in ms; a checkout that does not deliver is a failure."""
    began = time.perf_counter()
    held = shop.buy(user_id, product_id)
    pay = buttons(held).get("Pay from wallet")
    assert pay is not None, held
    paid = shop.tap(user_id, pay)
    took = (time.perf_counter() - began) * 1000
    assert paid["text"].startswith("Paid."), paid
    return took


@dataclass(frozen=True)
class Sale:
    name: str
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


def sale(shop: HttpShop, name: str, pairs: Sequence[tuple[int, str]], clients: int) -> Sale:
    began = time.perf_counter()
    latencies = in_parallel(lambda pair: checkout(shop, *pair), pairs, clients)
    return Sale(name, time.perf_counter() - began, latencies)


def counted_product(shop: HttpShop, name: str, units: int) -> str:
    product = shop.add_product(f"{name} | Bench | 10 KES")
    shop.add_stock(product, units)
    return product


def buyers(shop: HttpShop, first: int, count: int, run: str) -> list[int]:
    ids = list(range(first, first + count))
    shop.register(ids)  # as their /start did: each buyer has a user stream
    shop.fund(ids, PRICE, run=run)
    return ids


# --------------------------------------------------------------------------------------
# Firestore operations, counted at the client's RPCs
# --------------------------------------------------------------------------------------


@dataclass
class Ops:
    reads: int = 0  # billed: documents returned, or 1 for an empty query
    writes: int = 0  # documents in committed batches
    rpcs: int = 0  # round trips to Firestore
    refused: int = 0  # commits refused (a precondition or an existing document)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def snapshot(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "lock"}


@contextmanager
def counting_firestore(ops: Ops) -> Iterator[None]:
    """Count every RPC the Firestore clients of this process send, while inside."""
    from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

    originals = {
        name: getattr(FirestoreClient, name)
        for name in ("run_query", "batch_get_documents", "commit")
    }

    def streamed(method: Callable[..., Any], found: Callable[[Any], bool]) -> Callable[..., Any]:
        def call(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            responses = method(self, *args, **kwargs)
            ops.add(rpcs=1)

            def each() -> Iterator[Any]:
                documents = 0
                try:
                    for response in responses:
                        documents += 1 if found(response) else 0
                        yield response
                finally:
                    ops.add(reads=max(1, documents))

            return each()

        return call

    def commit(self: Any, *args: Any, **kwargs: Any) -> Any:
        request = kwargs.get("request", args[0] if args else None)
        ops.add(rpcs=1)
        try:
            response = originals["commit"](self, *args, **kwargs)
        except Exception:
            ops.add(refused=1)
            raise
        writes = request["writes"] if isinstance(request, dict) else request.writes
        ops.add(writes=len(writes))
        return response

    FirestoreClient.run_query = streamed(  # type: ignore[method-assign]
        originals["run_query"], lambda r: bool(r.document.name)
    )
    FirestoreClient.batch_get_documents = streamed(  # type: ignore[method-assign]
        originals["batch_get_documents"], lambda r: True
    )
    FirestoreClient.commit = commit  # type: ignore[method-assign]
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(FirestoreClient, name, method)


class Recording:
    """A publisher that keeps what the checkout published, for the subscribers' share."""

    def __init__(self) -> None:
        self.published: list[Envelope] = []

    def publish(self, events: Sequence[Envelope]) -> None:
        self.published.extend(events)


def in_process_runtime(stack: LocalStack, publisher: Recording) -> Any:
    from functions.runtime.bootstrap import Runtime
    from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client
    from functions.runtime.settings import Settings

    settings = Settings(
        backend="firestore",
        gcp_project=stack.project,
        bot_token=stack.secrets.bot_token,  # type: ignore[arg-type]
        webhook_secret=stack.secrets.webhook_secret,  # type: ignore[arg-type]
        admin_ids=frozenset({LOCAL_ADMIN_ID}),
        default_currency="KES",
    )
    store = FirestoreEventStore(client(stack.project))
    read_models = FirestoreReadModels(client(stack.project), store)
    return Runtime(settings=settings, store=store, publisher=publisher, read_models=read_models)


@dataclass(frozen=True)
class Counted:
    checkouts: dict[str, dict[str, int]]  # who spends them -> totals over COUNTED checkouts
    sold_out_tap: dict[str, int]  # one Buy tap on a sold-out product


def ops_per_checkout(stack: LocalStack, shop: HttpShop, count: int) -> Counted:
    """Firestore operations of `count` checkouts, by who spends them, and of a refusal."""
    from functions.contexts import REGISTRY
    from functions.projections.shop import SHOP_VIEWS
    from functions.reactors.checkout import CHECKOUT
    from functions.runtime.reacting import react_to
    from functions.telegram.handlers import handle
    from functions.telegram.webhook import parse_update

    product = counted_product(shop, "Counted", count)
    ids = buyers(shop, 8_800_000, count, run=f"ops-{product}")
    # The stock view is projected by the served project_shop: wait until buyers can see it.
    deadline = time.monotonic() + 30
    while not shop.read_models.find("stock", "product_id", product, 100):
        assert time.monotonic() < deadline, "the stock view never showed the lots"
        time.sleep(0.1)
    publisher = Recording()
    rt = in_process_runtime(stack, publisher)
    views = (*SHOP_VIEWS, *(p for p in REGISTRY.projections if p.collection == "balances"))
    totals = {"webhook: buy": Ops(), "webhook: pay": Ops(), "subscribers": Ops()}
    for n, user_id in enumerate(ids):
        update_id = 70_000_000 + n * 2
        with counting_firestore(totals["webhook: buy"]):
            held = handle(rt, parse_update(button_update(f"shop:b:{product}:1", user_id=user_id,
                                                         update_id=update_id)))  # fmt: skip
            rt.settle_marks()  # as the entry point does when its request ends
        pay = buttons(held or {})["Pay from wallet"]
        with counting_firestore(totals["webhook: pay"]):
            paid = handle(rt, parse_update(button_update(pay, user_id=user_id,
                                                         update_id=update_id + 1)))  # fmt: skip
            rt.settle_marks()
        assert paid is not None
        assert str(paid["text"]).startswith("Paid."), paid
        delivered, publisher.published = publisher.published, []
        with counting_firestore(totals["subscribers"]):
            for envelope in delivered:
                for reactor in CHECKOUT:
                    react_to(rt.pipeline, reactor, envelope)
                for view in views:
                    if view.feeds_on(envelope):
                        rt.read_models.apply(view, envelope)
                rt.settle_marks()
    # Every unit is sold now: what one more buyer's tap costs (each lot is tried, then refused).
    late = buyers(shop, 8_900_000, 1, run=f"late-{product}")[0]
    sold_out = Ops()
    with counting_firestore(sold_out):
        refused = handle(rt, parse_update(button_update(f"shop:b:{product}:1", user_id=late,
                                                        update_id=70_999_999)))  # fmt: skip
    assert refused is not None
    assert str(refused["text"]).startswith("Sold out"), refused
    return Counted({who: ops.snapshot() for who, ops in totals.items()}, sold_out.snapshot())


# --------------------------------------------------------------------------------------


def main() -> list[Figure]:
    limits = TelegramLimits(per_chat_per_second=None, global_per_second=None)
    with (
        tempfile.TemporaryDirectory() as logs,
        LocalStack(log_dir=logs, telegram_limits=limits, run_schedules=False) as stack,
    ):
        os.environ["FIRESTORE_EMULATOR_HOST"] = stack.firestore_host
        stack.warm_up()
        shop = HttpShop(stack)
        try:
            warm = counted_product(shop, "Warm-up", 10)
            sale(shop, "warm-up", [(u, warm) for u in buyers(shop, 8_000_000, 10, "w")], 4)

            one = counted_product(shop, "Sequential", SEQUENTIAL)
            alone = buyers(shop, 8_100_000, SEQUENTIAL, "seq")
            sequential = sale(shop, "one buyer at a time", [(u, one) for u in alone], 1)

            hot = counted_product(shop, "Flash one", BUYERS)  # BUYERS / LOT_SIZE lots
            crowd = buyers(shop, 8_200_000, BUYERS, "hot")
            flash_one = sale(shop, "1 product", [(u, hot) for u in crowd], CLIENTS)

            many = [
                counted_product(shop, f"Flash {n}", BUYERS // PRODUCTS) for n in range(PRODUCTS)
            ]
            crowd = buyers(shop, 8_400_000, BUYERS, "many")
            pairs = [(u, many[n % PRODUCTS]) for n, u in enumerate(crowd)]
            flash_many = sale(shop, f"{PRODUCTS} products", pairs, CLIENTS)

            ops = ops_per_checkout(stack, shop, COUNTED)
            retried, busy = shop.retried, shop.busy
        finally:
            shop.close()
    report(sequential, flash_one, flash_many, ops, retried, busy)
    return figures_of(sequential, ops)


# The fewest RPCs a checkout needs for its invariants, derived in docs/architecture.md ("The
# checkout's minimum round trips"): the webhook's two taps 13, the subscribers' deliveries 16.
# Not measurable: it is what the invariants demand, counted step by step there.
CHECKOUT_MINIMUM_RPCS = 29


def figures_of(sequential: Sale, ops: Counted) -> list[Figure]:
    """Headline figures; the checkout's RPCs against the documented minimum (+20%)."""
    rpcs = sum(counts["rpcs"] for counts in ops.checkouts.values()) / COUNTED
    p50, _ = percentiles(sequential.latencies)
    return [
        Figure("emulator: checkout p50, one buyer at a time", p50, "ms"),
        Figure(
            "emulator: Firestore RPCs per checkout",
            rpcs,
            "",
            "the documented minimum for its invariants",
            CHECKOUT_MINIMUM_RPCS,
            1.2,
        ),
    ]


def report(sequential: Sale, one: Sale, many: Sale, ops: Counted, retried: int, busy: int) -> None:
    print(
        f"flash sale on the emulator stack ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})"
    )
    print(f"checkout = Buy + Pay from wallet, 2 webhook round trips; lots of {LOT_SIZE} units")
    print(f"{'':44} {'checkouts/s':>11} {'p50 ms':>9} {'p99 ms':>9}")
    for name, run in (
        (f"{sequential.name} ({len(sequential.latencies)})", sequential),
        (f"{BUYERS} buyers, {CLIENTS} in flight, {one.name}", one),
        (f"{BUYERS} buyers, {CLIENTS} in flight, {many.name}", many),
    ):
        p50, p99 = percentiles(run.latencies)
        print(f"{name:44} {run.per_second:11.1f} {p50:9.1f} {p99:9.1f}")
    print(f"ratio {PRODUCTS} products / 1 product: {many.per_second / one.per_second:.2f}x; "
          f"Buy taps answered 'tap again': {busy}; non-2xx retried: {retried}")  # fmt: skip
    print(f"\nFirestore operations per checkout (mean of {COUNTED}, counted in-process)")
    print(f"{'':34} {'reads':>7} {'writes':>7} {'RPCs':>7} {'refused commits':>16}")
    total = dict.fromkeys(("reads", "writes", "rpcs", "refused"), 0)
    for who, counts in ops.checkouts.items():
        row = {k: counts[k] / COUNTED for k in total}
        print(f"{who:34} {row['reads']:7.1f} {row['writes']:7.1f} {row['rpcs']:7.1f} "
              f"{row['refused']:16.1f}")  # fmt: skip
        for k in total:
            total[k] += counts[k]
    print(f"{'total':34} {total['reads'] / COUNTED:7.1f} {total['writes'] / COUNTED:7.1f} "
          f"{total['rpcs'] / COUNTED:7.1f} {total['refused'] / COUNTED:16.1f}")  # fmt: skip
    row = {k: ops.sold_out_tap[k] for k in total}
    label = f"a sold-out Buy tap ({COUNTED // LOT_SIZE} lots)"
    print(f"{label:34} {row['reads']:7.1f} {row['writes']:7.1f} {row['rpcs']:7.1f} "
          f"{row['refused']:16.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
