"""The pipeline: retries conflicts by deciding again, returns first outcomes for repeats."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from events import Envelope, Money
from functions.domain.wallet import Credit, Debit, InsufficientFunds, wallets
from functions.runtime.memory import FixedClock, MemoryEventStore, MemoryPublisher, UuidIds
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.ports import Appended, ConcurrencyConflict, EventStore, Snapshot

pytestmark = pytest.mark.unit


class RacingStore:
    """A store where, before each of the first `races` appends, a rival instance debits first."""

    def __init__(self, races: int) -> None:
        self.inner = MemoryEventStore()
        self.races = races

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def append(
        self,
        stream: str,
        expected_version: int,
        events: Sequence[Envelope],
        idempotency_key: str | None = None,
        snapshot: Snapshot | None = None,
    ) -> Appended:
        if self.races > 0:
            self.races -= 1
            rival = pipeline(self.inner)
            rival.execute(wallets, stream, Debit(7, kes(600), "order", f"rival-{self.races}"))
        return self.inner.append(stream, expected_version, events, idempotency_key, snapshot)


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


def pipeline(store: EventStore, attempts: int = 8) -> Pipeline:
    return Pipeline(store, MemoryPublisher(), FixedClock(), UuidIds(), attempts, lambda _: None)


def test_a_conflict_is_decided_again_on_the_new_state() -> None:
    store = RacingStore(races=0)
    pipeline(store.inner).execute(wallets, "wallet-7", Credit(7, kes(1000), "deposit", "p1"))
    store.races = 1
    # The rival's debit of 600 lands first; ours is decided again on 400 left, and refused.
    with pytest.raises(InsufficientFunds):
        pipeline(store).execute(wallets, "wallet-7", Debit(7, kes(600), "order", "mine"))
    assert [e.data["reference"] for e in store.inner.load("wallet-7")] == ["p1", "rival-0"]


def test_endless_conflicts_give_up_after_the_attempt_budget() -> None:
    store = RacingStore(races=0)
    pipeline(store.inner).execute(wallets, "wallet-7", Credit(7, kes(10**9), "deposit", "seed"))
    store.races = 100
    with pytest.raises(ConcurrencyConflict, match="3 attempts"):
        pipeline(store, attempts=3).execute(wallets, "wallet-7", Credit(7, kes(1), "d", "p"))
    assert store.races == 97
    assert "p" not in [e.data["reference"] for e in store.inner.load("wallet-7")]


def test_a_repeated_key_returns_the_first_outcome() -> None:
    store = MemoryEventStore()
    trace = Trace(idempotency_key="mpesa:ws_CO_1")
    first = pipeline(store).execute(wallets, "wallet-7", Credit(7, kes(500), "d", "p1"), trace)
    again = pipeline(store).execute(wallets, "wallet-7", Credit(7, kes(500), "d", "p2"), trace)
    assert again == Appended("wallet-7", first.events, duplicate=True)
    assert len(store.load("wallet-7")) == 1


def test_envelopes_carry_versions_time_and_trace() -> None:
    store = MemoryEventStore()
    trace = Trace(idempotency_key="k", causation_id="tg-update-5", correlation_id="tg-user-7")
    appended = pipeline(store).execute(wallets, "wallet-7", Credit(7, kes(5), "d", "p"), trace)
    (stored,) = appended.events
    assert (stored.version, stored.causation_id, stored.correlation_id) == (
        1,
        "tg-update-5",
        "tg-user-7",
    )
    assert stored.occurred_at == FixedClock().now()


def test_a_failed_publish_leaves_events_for_the_relay() -> None:
    store, publisher = MemoryEventStore(), MemoryPublisher()
    publisher.fail_next = 1
    runner = Pipeline(store, publisher, FixedClock(), UuidIds())
    appended = runner.execute(wallets, "wallet-7", Credit(7, kes(5), "d", "p"))
    assert publisher.published == []
    assert store.unpublished(10) == list(appended.events)
    runner.execute(wallets, "wallet-7", Credit(7, kes(5), "d", "p2"))
    assert len(store.unpublished(10)) == 1


def test_a_repeat_refused_on_the_new_state_still_returns_the_first_outcome() -> None:
    store = MemoryEventStore()
    pipeline(store).execute(wallets, "wallet-7", Credit(7, kes(500), "d", "p1"))
    trace = Trace(idempotency_key="order:1")
    first = pipeline(store).execute(wallets, "wallet-7", Debit(7, kes(500), "o", "o1"), trace)
    # Deciding the repeat on the emptied wallet would refuse it; the key says it was done.
    again = pipeline(store).execute(wallets, "wallet-7", Debit(7, kes(500), "o", "o1"), trace)
    assert again == Appended("wallet-7", first.events, duplicate=True)
    with pytest.raises(InsufficientFunds):
        pipeline(store).execute(wallets, "wallet-7", Debit(7, kes(500), "o", "o2"), Trace("o:2"))
