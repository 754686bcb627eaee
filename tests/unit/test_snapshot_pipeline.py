"""A cold instance restores an aggregate from the head's snapshot and reads only the events
after it; a snapshot of another fold (a changed `evolve`) is ignored, never served."""

from __future__ import annotations

import dataclasses
import sys
import types
from typing import Any

import pytest

from events import Money, decode
from functions.domain.decider import Decider
from functions.domain.snapshots import Snapshots
from functions.domain.wallet import Credit, Debit, InsufficientFunds, Wallet, evolve, wallets
from functions.runtime import pipeline as pipeline_module
from functions.runtime.memory import FixedClock, MemoryEventStore, MemoryPublisher, UuidIds
from functions.runtime.pipeline import Pipeline
from functions.runtime.ports import Latest, Snapshot
from tests.builders import envelope

pytestmark = pytest.mark.unit


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


class ReadSpy:
    """The store, noting what a command read: full loads by their start, and cold reads."""

    def __init__(self, store: MemoryEventStore) -> None:
        self.store = store
        self.loads: list[int] = []
        self.latest: list[Latest] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def load(self, stream: str, after: int = 0, up_to: int | None = None) -> Any:
        self.loads.append(after)
        return self.store.load(stream, after, up_to)

    def load_latest(self, stream: str, fold: str) -> Latest:
        latest = self.store.load_latest(stream, fold)
        self.latest.append(latest)
        return latest


def cold(store: Any) -> Pipeline:
    """A fresh instance: no state cache, so only the store knows anything."""
    return Pipeline(store, MemoryPublisher(), FixedClock(), UuidIds())


def snapshots_of(decider: Decider[Any, Any]) -> Snapshots[Any]:
    assert decider.snapshots is not None
    return decider.snapshots


def test_a_cold_command_reads_the_snapshot_and_no_event() -> None:
    store = MemoryEventStore()
    for n in range(30):
        cold(store).execute(wallets, "wallet-7", Credit(7, kes(10), "deposit", f"p{n}"))
    spy = ReadSpy(store)
    cold(spy).execute(wallets, "wallet-7", Debit(7, kes(300), "order", "o1"))
    assert spy.loads == []
    assert [(latest.snapshot is not None, latest.events) for latest in spy.latest] == [(True, [])]
    latest = store.load_latest("wallet-7", snapshots_of(wallets).fold)
    assert latest.snapshot is not None
    assert latest.snapshot.version == 31
    assert snapshots_of(wallets).load(latest.snapshot.state) == wallets.fold(
        decode(e) for e in store.load("wallet-7")
    )


def test_a_stale_snapshot_is_folded_on_with_the_events_after_it() -> None:
    store = MemoryEventStore()
    cold(store).execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p1"))
    # Another writer appends without a snapshot (an adapter that never writes one).
    store.append("wallet-7", 1, [envelope("wallet-7", 2, _debited(60, "o1"))])
    spy = ReadSpy(store)
    with pytest.raises(InsufficientFunds):  # 40 left, not the 100 the snapshot says
        cold(spy).execute(wallets, "wallet-7", Debit(7, kes(50), "order", "o2"))
    assert [len(latest.events) for latest in spy.latest] == [1]


def test_a_snapshot_of_another_fold_is_ignored() -> None:
    store = MemoryEventStore()
    rich = snapshots_of(wallets).dump(Wallet(balances={"KES": 1_000_000}))
    for stream in ("wallet-7", "wallet-8"):
        cold(store).execute(wallets, stream, Credit(7, kes(100), "deposit", "p1"))
        plant(store, stream, snapshots_of(wallets).fold, rich)
    # A wrong state stored under the fold that runs now is served (the cold read trusts it),
    # which is why the fold's name must change whenever evolve does...
    cold(store).execute(wallets, "wallet-7", Debit(7, kes(5_000), "order", "o1"))
    # ...and once it has (here: the next revision of the same evolve), the old one is ignored.
    changed = dataclasses.replace(wallets, snapshots=Snapshots(Wallet, evolve, revision=2))
    with pytest.raises(InsufficientFunds):
        cold(store).execute(changed, "wallet-8", Debit(7, kes(5_000), "order", "o1"))
    cold(store).execute(changed, "wallet-8", Debit(7, kes(100), "order", "o2"))
    assert cold(store).current(changed, "wallet-8").balance("KES") == kes(0)
    written = store.load_latest("wallet-8", snapshots_of(changed).fold).snapshot
    assert written is not None  # the new fold wrote its own with that append
    assert written.version == 3


def test_an_unreadable_snapshot_of_our_fold_is_ignored() -> None:
    store = MemoryEventStore()
    cold(store).execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p1"))
    plant(store, "wallet-7", snapshots_of(wallets).fold, '{"opened": "yes"}')
    assert cold(store).current(wallets, "wallet-7").balance("KES") == kes(100)


def test_a_state_too_big_to_keep_is_not_snapshotted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_module, "MAX_SNAPSHOT_CHARS", 10)
    store = MemoryEventStore()
    cold(store).execute(wallets, "wallet-7", Credit(7, kes(100), "deposit", "p1"))
    assert store.load_latest("wallet-7", snapshots_of(wallets).fold).snapshot is None
    assert cold(store).current(wallets, "wallet-7").balance("KES") == kes(100)


def test_a_decider_without_snapshots_folds_its_stream() -> None:
    plain = dataclasses.replace(wallets, snapshots=None)
    store = ReadSpy(MemoryEventStore())
    cold(store).execute(plain, "wallet-7", Credit(7, kes(100), "deposit", "p1"))
    cold(store).execute(plain, "wallet-7", Credit(7, kes(100), "deposit", "p2"))
    # Each cold read is the head (no snapshot of any fold) and then the whole stream.
    assert [latest.snapshot for latest in store.latest] == [None, None]
    assert [len(latest.events) for latest in store.latest] == [0, 1]
    assert store.store.load_latest("wallet-7", snapshots_of(wallets).fold).snapshot is None


EVOLVE = """
def evolve(state, event):
    return state + {step}  # {comment}
"""


def _module_fold(step: int, comment: str) -> str:
    module = types.ModuleType("snapshot_fold_probe")
    exec(EVOLVE.format(step=step, comment=comment), vars(module))  # noqa: S102 - our own text
    sys.modules[module.__name__] = module
    try:
        return Snapshots(Wallet, vars(module)["evolve"]).fold
    finally:
        del sys.modules[module.__name__]


def test_the_fold_changes_with_the_code_of_evolve_not_with_its_comments() -> None:
    assert _module_fold(1, "a") == _module_fold(1, "another comment")
    assert _module_fold(1, "a") != _module_fold(2, "a")
    assert Snapshots(Wallet, evolve).fold == snapshots_of(wallets).fold
    assert Snapshots(Wallet, evolve, revision=2).fold != snapshots_of(wallets).fold


def plant(store: MemoryEventStore, stream: str, fold: str, state: str) -> None:
    """Append one harmless event carrying a snapshot of our choosing."""
    version = len(store.load(stream))
    event = envelope(stream, version + 1, _opened())
    store.append(stream, version, [event], snapshot=Snapshot(version + 1, fold, state))


def _opened() -> object:
    from events.wallet import WalletOpened

    return WalletOpened(user_id=7)


def _debited(amount: int, reference: str) -> object:
    from events.wallet import WalletDebited

    return WalletDebited(user_id=7, amount=kes(amount), reason="order", reference=reference)
