"""The pipeline: retries conflicts by deciding again, returns first outcomes for repeats."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from events import Envelope, Event, Money
from events.wallet import WalletCredited
from functions.domain.decider import Decider
from functions.domain.wallet import Credit, Debit, InsufficientFunds, wallets
from functions.runtime.memory import FixedClock, MemoryEventStore, MemoryPublisher, UuidIds
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.ports import Appended, ConcurrencyConflict, EventStore, Snapshot
from functions.runtime.state_cache import StateCache

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
        head: object | None = None,
        marks: Sequence[Envelope] = (),
    ) -> Appended:
        if self.races > 0:
            self.races -= 1
            rival = pipeline(self.inner)
            rival.execute(wallets, stream, Debit(7, kes(600), "order", f"rival-{self.races}"))
        return self.inner.append(
            stream, expected_version, events, idempotency_key, snapshot, head, marks
        )


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
    assert len(runner.marks) == 0  # nothing reached the bus, so nothing waits to be marked
    second = runner.execute(wallets, "wallet-7", Credit(7, kes(5), "d", "p2"))
    # p2 is on the bus; its mark waits for this instance's next append.
    assert store.unpublished(10) == [*appended.events, *second.events]
    runner.execute(wallets, "wallet-9", Credit(9, kes(5), "d", "p3"))
    unmarked = {e.data["reference"] for e in store.unpublished(10)}
    assert unmarked == {"p", "p3"}  # p2 marked by p3's append, on another stream


def test_marks_stay_pending_when_their_append_writes_nothing() -> None:
    store = MemoryEventStore()
    runner = pipeline(store)
    trace = Trace(idempotency_key="k1")
    first = runner.execute(wallets, "wallet-7", Credit(7, kes(5), "d", "p1"), trace)
    again = runner.execute(wallets, "wallet-7", Credit(7, kes(5), "d", "p1"), trace)
    assert again.duplicate
    assert len(runner.marks) == 1  # the repeat wrote nothing, its marks included
    runner.execute(wallets, "wallet-7", Credit(7, kes(5), "d", "p2"))
    assert first.events[0] not in store.unpublished(10)


class Rival:
    """Another instance's pipeline on the same store: what it appends, ours did not see."""

    def __init__(self, store: MemoryEventStore) -> None:
        self.pipeline = pipeline(store)

    def credit(self, amount: int, ref: str) -> None:
        self.pipeline.execute(wallets, "wallet-7", Credit(7, kes(amount), "d", ref))

    def debit(self, amount: int, ref: str) -> None:
        self.pipeline.execute(wallets, "wallet-7", Debit(7, kes(amount), "order", ref))


def warm(store: MemoryEventStore, sleeps: list[float]) -> Pipeline:
    return Pipeline(
        store, MemoryPublisher(), FixedClock(), UuidIds(), sleep=sleeps.append, cache=StateCache()
    )


def test_a_state_another_instance_moved_on_is_decided_again_without_waiting() -> None:
    store, sleeps = MemoryEventStore(), []  # type: list[float]
    ours = warm(store, sleeps)
    ours.execute(wallets, "wallet-7", Credit(7, kes(1000), "d", "p1"))
    Rival(store).debit(600, "rival")
    # Ours still trusts 1000: its append's head check fails, and 400 left refuses 600.
    with pytest.raises(InsufficientFunds):
        ours.execute(wallets, "wallet-7", Debit(7, kes(600), "order", "mine"))
    ours.execute(wallets, "wallet-7", Debit(7, kes(400), "order", "rest"))
    refs = [e.data["reference"] for e in store.load("wallet-7")]
    assert refs == ["p1", "rival", "rest"]
    assert sleeps == []  # a stale cache is not contention: no back-off


def test_a_refusal_on_a_trusted_state_is_decided_again_on_the_store() -> None:
    store, sleeps = MemoryEventStore(), []  # type: list[float]
    ours = warm(store, sleeps)
    ours.execute(wallets, "wallet-7", Credit(7, kes(100), "d", "p1"))
    Rival(store).credit(900, "p2")
    # Ours trusts 100, which would refuse 600; the store says 1000, so it is paid.
    ours.execute(wallets, "wallet-7", Debit(7, kes(600), "order", "o1"))
    assert ours.current(wallets, "wallet-7").balance("KES") == kes(400)


def _credits_seen(state: int, event: Event) -> int:
    return state + 1


def _bonus_from_the_second_credit(state: int, command: tuple[str, str]) -> list[Event]:
    kind, ref = command
    credit = WalletCredited(user_id=7, amount=kes(1), reason=kind, reference=ref)
    return [credit] if kind == "credit" or state >= 2 else []


# A bonus is due only once a stream holds two credits: a stale state decides nothing.
bonuses = Decider(initial=0, evolve=_credits_seen, decide=_bonus_from_the_second_credit)


def test_nothing_to_do_on_a_trusted_state_is_decided_again_on_the_store() -> None:
    store, sleeps = MemoryEventStore(), []  # type: list[float]
    ours = warm(store, sleeps)
    ours.execute(bonuses, "bonus-7", ("credit", "p1"))
    pipeline(store).execute(bonuses, "bonus-7", ("credit", "p2"))
    # Ours trusts one credit and would write nothing, recording its key as done.
    ours.execute(bonuses, "bonus-7", ("bonus", "b1"), Trace("bonus:b1"))
    assert [e.data["reason"] for e in store.load("bonus-7")] == ["credit", "credit", "bonus"]
