"""Kept data (`make dev KEEP=1`) on the real Firestore emulator: write, stop, start, read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from events import Envelope
from events.users import UserRegistered
from functions.runtime.firestore import FirestoreEventStore, client
from infra.local.emulators import EmulatorError, FirestoreEmulator
from infra.local.kept_data import KeptData, KeptDataError
from tests.builders import envelope

pytestmark = pytest.mark.contract

KEY = "tg:123456789:100000001"


def registered(stream: str, version: int, name: str) -> Envelope:
    user = UserRegistered(user_id=1, chat_id=1, first_name=name, language="en")
    return envelope(stream, version, user)


def store_on(emulator: FirestoreEmulator, monkeypatch: pytest.MonkeyPatch) -> FirestoreEventStore:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", emulator.host)  # read by the client, once
    return FirestoreEventStore(client(emulator.project))


def emulator(tmp_path: Path, run: str, import_data: Path | None = None) -> FirestoreEmulator:
    return FirestoreEmulator(tmp_path / f"{run}.log", direct=True, import_data=import_data)


def test_events_and_keys_written_before_a_stop_are_there_after_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_data = KeptData(tmp_path / "data")
    events = [registered("user-1", 1, "Amani"), registered("user-1", 2, "Baraka")]
    with emulator(tmp_path, "first") as first:
        store_on(first, monkeypatch).append("user-1", 0, events, idempotency_key=KEY)
        saved = kept_data.save(first, (100_000_002, 5))

    kept = kept_data.load()
    assert kept == saved
    assert kept is not None
    assert kept.events == 2
    assert kept.numbering == (100_000_002, 5)
    with emulator(tmp_path, "second", import_data=kept.firestore) as second:
        kept_data.check_loaded(kept, second)
        store = store_on(second, monkeypatch)
        assert store.load("user-1") == events
        recorded = store.recorded(KEY)  # a repeated update is still known as one
        assert recorded is not None
        assert recorded.events == tuple(events)
        store.append("user-1", 2, [registered("user-1", 3, "Chausiku")])  # the stream goes on
        assert [e.version for e in store.load("user-1")] == [1, 2, 3]


def test_a_new_save_replaces_the_last_and_removes_its_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_data = KeptData(tmp_path / "data")
    with emulator(tmp_path, "run") as running:
        store = store_on(running, monkeypatch)
        store.append("user-1", 0, [registered("user-1", 1, "Amani")])
        older = kept_data.save(running, (1, 1))
        store.append("user-1", 1, [registered("user-1", 2, "Baraka")])
        newer = kept_data.save(running, (2, 2))

    assert kept_data.load() == newer
    assert newer.events == 2
    assert not older.firestore.exists()
    exports = [p.name for p in kept_data.directory.iterdir() if p.is_dir()]
    assert exports == [newer.firestore.parent.name]


def test_an_export_that_fails_leaves_the_last_kept_data_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_data = KeptData(tmp_path / "data")
    with emulator(tmp_path, "run") as running:
        store_on(running, monkeypatch).append("user-1", 0, [registered("user-1", 1, "Amani")])
        earlier = kept_data.save(running, (1, 1))
    with pytest.raises(KeptDataError, match="could not export"):
        kept_data.save(running, (2, 2))  # the emulator is gone
    assert kept_data.load() == earlier
    assert earlier.firestore.is_file()


def test_an_import_that_loaded_nothing_does_not_pass_for_an_empty_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_data = KeptData(tmp_path / "data")
    with emulator(tmp_path, "first") as first:
        store_on(first, monkeypatch).append("user-1", 0, [registered("user-1", 1, "Amani")])
        kept = kept_data.save(first, (1, 1))
    with emulator(tmp_path, "without-import") as empty, pytest.raises(KeptDataError, match="0 ev"):
        kept_data.check_loaded(kept, empty)


def test_an_emulator_asked_to_import_a_missing_export_does_not_start(tmp_path: Path) -> None:
    missing = emulator(tmp_path, "missing", import_data=tmp_path / "no.overall_export_metadata")
    with pytest.raises(EmulatorError, match="no export to import"):
        missing.start()
    assert missing.pid is None
