"""A warm instance folds each stream once: later commands read only newer events, and what
another instance wrote meanwhile is never missed."""

from __future__ import annotations

from typing import Any

import pytest

from events import Money
from functions.domain.wallet import Credit, Debit, wallets
from functions.runtime.memory import FixedClock, MemoryEventStore, MemoryPublisher, UuidIds
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.state_cache import Folded, StateCache

pytestmark = pytest.mark.unit


class LoadSpy:
    """The store, noting which versions each load started after."""

    def __init__(self, store: MemoryEventStore) -> None:
        self.store = store
        self.loads: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def load(self, stream: str, after: int = 0, up_to: int | None = None) -> Any:
        self.loads.append(after)
        return self.store.load(stream, after, up_to)

    def load_latest(self, stream: str, fold: str) -> Any:
        self.loads.append(-1)  # a cold read: the head's snapshot and what follows it
        return self.store.load_latest(stream, fold)


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


def pipeline(store: Any, cache: StateCache | None) -> Pipeline:
    return Pipeline(store, MemoryPublisher(), FixedClock(), UuidIds(), cache=cache)


def test_a_stream_this_instance_appended_to_last_is_not_read_again() -> None:
    spy = LoadSpy(MemoryEventStore())
    warm = pipeline(spy, StateCache())
    for n in range(3):
        warm.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", f"p{n}"))
    # One cold read; then each append checks in its own write that the head is as ours left
    # it (functions/runtime/pipeline.py), so nothing is read before deciding.
    assert spy.loads == [-1]
    # A read that decides nothing still asks the store for anything newer.
    assert warm.current(wallets, "wallet-7").balance("KES") == kes(300)
    assert spy.loads == [-1, 3]


def test_a_cached_state_without_a_head_token_reads_only_what_came_after_it() -> None:
    spy, cache = LoadSpy(MemoryEventStore()), StateCache()
    warm = pipeline(spy, cache)
    warm.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p0"))
    folded = cache.get(wallets, "wallet-7")
    assert folded is not None
    assert folded.head is not None
    cache.drop(wallets, "wallet-7")
    cache.put(wallets, "wallet-7", Folded(folded.version, folded.state))  # no token
    warm.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p1"))
    assert spy.loads == [-1, 1]
    assert warm.current(wallets, "wallet-7").balance("KES") == kes(200)


def test_what_another_instance_wrote_is_folded_in_before_deciding() -> None:
    store = MemoryEventStore()
    warm, other = pipeline(store, StateCache()), pipeline(store, None)
    warm.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p1"))
    other.execute(wallets, "wallet-7", Credit(7, kes(50), "deposit", "p2"))
    other.execute(wallets, "wallet-7", Debit(7, kes(120), "order", "o1"))
    from functions.domain.wallet import InsufficientFunds

    with pytest.raises(InsufficientFunds):  # 30 left, not the 100 the cache last saw
        warm.execute(wallets, "wallet-7", Debit(7, kes(40), "order", "o2"))
    warm.execute(wallets, "wallet-7", Debit(7, kes(30), "order", "o3"))
    assert warm.current(wallets, "wallet-7").balance("KES") == kes(0)


def test_a_repeated_key_leaves_the_cache_at_the_streams_real_version() -> None:
    store = MemoryEventStore()
    cache = StateCache()
    warm = pipeline(store, cache)
    trace = Trace(idempotency_key="k1")
    warm.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p1"), trace)
    again = warm.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p9"), trace)
    assert again.duplicate
    folded = cache.get(wallets, "wallet-7")
    assert folded is not None
    assert folded.version == len(store.load("wallet-7")) == 1
    assert folded.state.balance("KES") == kes(100)


def test_a_fold_ahead_of_the_store_is_dropped_and_the_store_decides() -> None:
    # A warm instance while the store is restored from a backup (or reset): its cached
    # fold is at version 3, the store's stream is empty.
    cache = StateCache()
    before = pipeline(MemoryEventStore(), cache)
    for n in range(3):
        before.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", f"p{n}"))
    restored = MemoryEventStore()
    after = pipeline(restored, cache)
    after.execute(wallets, "wallet-7", Credit(7, kes(40), "deposit", "p9"))
    assert [e.version for e in restored.load("wallet-7")] == [1]
    assert after.current(wallets, "wallet-7").balance("KES") == kes(40)


def test_the_cache_is_bounded_and_keeps_the_newest_fold() -> None:
    cache = StateCache(capacity=2)
    for n in range(3):
        cache.put(wallets, f"wallet-{n}", Folded(1, n))
    assert cache.get(wallets, "wallet-0") is None  # the least recently used went first
    cache.put(wallets, "wallet-2", Folded(5, "new"))
    cache.put(wallets, "wallet-2", Folded(3, "stale"))  # an older fold never replaces
    folded = cache.get(wallets, "wallet-2")
    assert folded == Folded(5, "new")


class ManySpy(LoadSpy):
    """Also notes each load_latest_many: the streams it asked and from which version."""

    def __init__(self, store: MemoryEventStore) -> None:
        super().__init__(store)
        self.many: list[list[tuple[str, int]]] = []

    def load_latest_many(self, wanted: Any) -> Any:
        self.many.append([(w.stream, w.after) for w in wanted])
        return self.store.load_latest_many(wanted)


def test_two_states_are_read_in_one_call_and_what_moved_is_folded_in() -> None:
    from functions.domain.users import Register, SetReseller, users

    store = MemoryEventStore()
    spy, cache = ManySpy(store), StateCache()
    warm, other = pipeline(spy, cache), pipeline(store, None)
    warm.execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p1"))
    other.execute(users, "user-7", Register(7, 7, "Ann", "en"))
    spy.loads.clear()
    wallet, user = warm.current_both((wallets, "wallet-7"), (users, "user-7"))
    assert wallet.balance("KES") == kes(100)
    assert user.registered
    # One call for both: the wallet from the version this instance folded, the user cold.
    assert spy.many == [[("wallet-7", 1), ("user-7", 0)]]
    assert spy.loads == []
    other.execute(wallets, "wallet-7", Credit(7, kes(50), "deposit", "p2"))
    other.execute(users, "user-7", SetReseller(7, True, admin_id=1))
    wallet, user = warm.current_both((wallets, "wallet-7"), (users, "user-7"))
    assert wallet.balance("KES") == kes(150)  # what the other instance wrote is in
    assert user.reseller
    assert spy.many[-1] == [("wallet-7", 1), ("user-7", 1)]
    # Both were folded up to the heads as read: the next append needs no read.
    spy.loads.clear()
    warm.execute(wallets, "wallet-7", Debit(7, kes(30), "order", "o1"))
    assert spy.loads == []
    assert store.load_latest("wallet-7", "").events[-1].version == 3
