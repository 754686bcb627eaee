"""Kept data's rules without an emulator: the manifest, the fake's numbering, the quiet wait."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from infra.local.kept_data import MANIFEST, Kept, KeptData, KeptDataError, wait_until_quiet
from tests.fakes.telegram.state import Limits, TelegramState
from tests.fakes.telegram_api import FakeClock

pytestmark = pytest.mark.unit

TOKEN = "123456789:AAH-kept-data-token"


def telegram() -> TelegramState:
    return TelegramState(TOKEN, "soko_test_bot", FakeClock(), Limits())


def write_manifest(directory: Path, doc: object) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST).write_text(json.dumps(doc), encoding="utf-8")


def an_export(directory: Path) -> str:
    metadata = directory / "firestore-1" / "firestore-1.overall_export_metadata"
    metadata.parent.mkdir(parents=True)
    metadata.write_bytes(b"\x00")
    return str(metadata.relative_to(directory))


# -- the fake Telegram's numbering ------------------------------------------------------


def test_a_restarted_fake_with_the_same_token_numbers_on_past_the_kept_updates() -> None:
    first = telegram()
    seen_updates = [first.next_update_id() for _ in range(3)]
    seen_charges = [first.unique("stx") for _ in range(2)]

    second = telegram()
    second.continue_numbering(*first.numbering())

    assert second.bot_id == first.bot_id  # same token: `tg:<bot id>:<update_id>` would repeat
    assert second.next_update_id() > max(seen_updates)
    assert second.unique("stx") not in seen_charges


def test_reading_the_numbering_takes_no_number() -> None:
    state = telegram()
    state.next_update_id()
    assert state.numbering() == state.numbering()
    update_id, sequence = state.numbering()
    assert state.next_update_id() == update_id
    assert state.unique("") == f"{state.bot_id}{sequence:08d}"


def test_continuing_from_an_older_numbering_never_goes_back() -> None:
    state = telegram()
    for _ in range(5):
        state.next_update_id()
    ahead = state.numbering()
    state.continue_numbering(1, 1)
    assert state.numbering() == ahead


# -- the manifest -----------------------------------------------------------------------


def test_a_directory_without_a_manifest_has_nothing_kept(tmp_path: Path) -> None:
    assert KeptData(tmp_path / "never-used").load() is None


def test_a_manifest_loads_the_export_it_names_and_the_numbering(tmp_path: Path) -> None:
    export = an_export(tmp_path)
    write_manifest(
        tmp_path,
        {"firestore": export, "events": 4, "telegram": {"next_update_id": 9, "next_sequence": 3}},
    )
    assert KeptData(tmp_path).load() == Kept(tmp_path / export, 4, 9, 3)


def test_a_manifest_naming_a_missing_export_is_refused_not_started_empty(tmp_path: Path) -> None:
    write_manifest(
        tmp_path,
        {
            "firestore": "gone/gone.overall_export_metadata",
            "events": 4,
            "telegram": {"next_update_id": 9, "next_sequence": 3},
        },
    )
    with pytest.raises(KeptDataError, match="missing"):
        KeptData(tmp_path).load()


@pytest.mark.parametrize(
    "doc",
    [
        "not json {",
        {"events": 1},
        {
            "firestore": "/etc/passwd",
            "events": 1,
            "telegram": {"next_update_id": 1, "next_sequence": 1},
        },
        {"firestore": "../x", "events": 1, "telegram": {"next_update_id": 1, "next_sequence": 1}},
        {"firestore": "x", "events": -1, "telegram": {"next_update_id": 1, "next_sequence": 1}},
        {"firestore": "x", "events": 1, "telegram": {"next_update_id": True, "next_sequence": 1}},
    ],
)
def test_a_manifest_a_stop_did_not_write_is_refused(tmp_path: Path, doc: object) -> None:
    tmp_path.joinpath(MANIFEST).write_text(doc if isinstance(doc, str) else json.dumps(doc))
    with pytest.raises(KeptDataError, match=r"move .* away to start empty"):
        KeptData(tmp_path).load()


# -- waiting for quiet ------------------------------------------------------------------


class Ticking:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_wait_ends_once_the_answers_stop_changing() -> None:
    clock = Ticking()
    answers = itertools.chain([1, 2, 3], itertools.repeat(3))
    quiet = wait_until_quiet(
        lambda: next(answers),
        quiet=1.0,
        timeout=10.0,
        interval=0.25,
        clock=clock,
        sleep=clock.sleep,
    )
    assert quiet is True
    assert clock.now == pytest.approx(0.5 + 1.0)  # changed until 0.5 s, then quiet for 1 s


def test_the_wait_gives_up_while_the_answers_keep_changing() -> None:
    clock = Ticking()
    counter = itertools.count()
    quiet = wait_until_quiet(
        lambda: next(counter),
        quiet=1.0,
        timeout=3.0,
        interval=0.25,
        clock=clock,
        sleep=clock.sleep,
    )
    assert quiet is False
    assert clock.now == pytest.approx(3.0)
