"""The balances read model converges whatever Pub/Sub does to the order of deliveries."""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Envelope, Money, decode
from functions.domain.decider import DomainError
from functions.domain.wallet import Credit, Debit, wallets
from functions.projections.balances import balances
from functions.runtime.memory import FixedClock, MemoryEventStore, MemoryPublisher, MemoryReadModels
from functions.runtime.pipeline import Pipeline

pytestmark = pytest.mark.unit

CURRENCIES = ("KES", "XTR", "BTC")
USERS = (1, 2, 3)


class CountingIds:
    def __init__(self) -> None:
        self.n = 0

    def new_id(self) -> str:
        self.n += 1
        return f"e{self.n}"


commands = st.lists(
    st.tuples(
        st.sampled_from(["credit", "debit"]),
        st.sampled_from(USERS),
        st.sampled_from(CURRENCIES),
        st.integers(min_value=1, max_value=10_000),
    ),
    max_size=40,
)


def run(script: list[tuple[str, int, str, int]]) -> tuple[MemoryEventStore, list[Envelope]]:
    """Decide every command through the pipeline; refused debits write nothing."""
    store = MemoryEventStore()
    publisher = MemoryPublisher()
    pipeline = Pipeline(store, publisher, FixedClock(), CountingIds(), sleep=lambda _: None)
    for n, (kind, user, currency, amount) in enumerate(script):
        money = Money(amount=amount, currency=currency)
        command = (Credit if kind == "credit" else Debit)(user, money, kind, f"ref-{n}")
        with contextlib.suppress(DomainError):  # a refused debit writes nothing
            pipeline.execute(wallets, f"wallet-{user}", command)
    return store, publisher.published


def project_all(store: MemoryEventStore, deliveries: list[Envelope]) -> dict[str, dict[str, Any]]:
    read_models = MemoryReadModels(store)
    for envelope in deliveries:
        read_models.apply(balances, envelope)
    return read_models.all("balances")


@settings(max_examples=150, deadline=None)
@given(script=commands, seed=st.integers(min_value=0, max_value=2**32), dupes=st.integers(0, 30))
def test_duplicated_and_shuffled_deliveries_give_the_in_order_balances(
    script: list[tuple[str, int, str, int]], seed: int, dupes: int
) -> None:
    store, published = run(script)
    rng = random.Random(seed)
    chaos = published + [rng.choice(published) for _ in range(dupes if published else 0)]
    rng.shuffle(chaos)

    assert project_all(store, chaos) == project_all(store, published)
    for doc in project_all(store, chaos).values():
        assert all(amount >= 0 for amount in doc["balances"].values())


@settings(max_examples=100, deadline=None)
@given(script=commands)
def test_the_projection_equals_the_wallet_state_folded_from_the_store(
    script: list[tuple[str, int, str, int]],
) -> None:
    store, published = run(script)
    docs = project_all(store, published)
    for stream in store.streams():
        state = wallets.fold(decode(e) for e in store.load(stream))
        doc = docs[stream.split("-", 1)[1]]
        assert {c: a for c, a in doc["balances"].items()} == state.balances
        assert doc["applied_version"] == len(store.load(stream))
