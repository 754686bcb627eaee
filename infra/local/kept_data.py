"""Keep the local stack's data from one run to the next (`make dev KEEP=1`).

A kept directory holds the Firestore emulator's last export and `kept.json`, which names it::

    DIR/kept.json             {"firestore": "<export>/<export>.overall_export_metadata",
                               "events": N, "telegram": {"next_update_id": U, "next_sequence": S}}
    DIR/firestore-<ns>/...    the export, in the emulator's own format

A clean stop (`LocalStack.stop`) waits until the functions have gone quiet, exports into a new
directory, replaces `kept.json` in one rename and only then removes older exports: a stop
that fails half-way (or a kill, which exports nothing) leaves the previous run's data whole.
The next start imports the export `kept.json` names, checks that the store holds the events
that were exported, and has the fake Telegram number its updates on from where the last run
stopped (`TelegramState.continue_numbering`: the bot drops an update whose
`tg:<bot id>:<update_id>` it has stored, and derives payment ids from it).

Not kept: Pub/Sub (the stack recreates its topics and subscriptions; a message still
undelivered at the stop is lost, hence the wait for quiet; an event stored but never
published is published by the relay job), the payment fakes' state, and the run's secrets
(nothing stored depends on them).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.emulators import EmulatorError, FirestoreEmulator
from tests.fakes.telegram_api import FakeTelegram

__all__ = ["MANIFEST", "Kept", "KeptData", "KeptDataError", "settle", "wait_until_quiet"]

MANIFEST = "kept.json"
_EXPORT_PREFIX = "firestore-"
# Every event of every stream: `streams/{stream}/events/{version}` (functions/runtime/firestore).
EVENTS = "events"


class KeptDataError(RuntimeError):
    """A kept directory that cannot be loaded, or data that could not be kept."""


@dataclass(frozen=True)
class Kept:
    """What an earlier run left: its export, how many events it held, the fake's numbering."""

    firestore: Path
    events: int
    next_update_id: int
    next_sequence: int

    @property
    def numbering(self) -> tuple[int, int]:
        return self.next_update_id, self.next_sequence


class KeptData:
    """One kept directory: `load()` at start, `check_loaded()` once imported, `save()` at stop."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).resolve()

    @property
    def manifest(self) -> Path:
        return self.directory / MANIFEST

    def __repr__(self) -> str:
        return f"<KeptData {self.directory}>"

    def load(self) -> Kept | None:
        """The last clean stop's data; None when nothing was kept yet (start empty)."""
        try:
            text = self.manifest.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise self._unusable(f"cannot read it: {error}") from error
        try:
            doc = json.loads(text)
            kept = Kept(
                firestore=self.directory / _text(doc["firestore"]),
                events=_count(doc["events"]),
                next_update_id=_count(doc["telegram"]["next_update_id"]),
                next_sequence=_count(doc["telegram"]["next_sequence"]),
            )
        except (ValueError, LookupError, TypeError) as error:
            raise self._unusable(f"it is not what a stop writes ({error})") from error
        if not kept.firestore.is_file():
            raise self._unusable(f"the export it names is missing: {kept.firestore}")
        return kept

    def check_loaded(self, kept: Kept, firestore: FirestoreEmulator) -> None:
        """Fail unless the emulator holds the events that were exported (before anything
        writes): an import that loaded nothing must not pass for an empty start."""
        found = firestore.count(EVENTS)
        if found != kept.events:
            raise KeptDataError(
                f"imported {kept.firestore} but the store holds {found} events, not the "
                f"{kept.events} exported; move {self.directory} away to start empty"
            )

    def save(self, firestore: FirestoreEmulator, numbering: tuple[int, int]) -> Kept:
        """Export the emulator's data and the fake Telegram's next numbers; then drop older
        exports. The previous data stays in place until `kept.json` names the new export."""
        name = f"{_EXPORT_PREFIX}{time.time_ns()}"
        try:
            events = firestore.count(EVENTS)
            metadata = firestore.export(self.directory, name)
        except EmulatorError as error:
            raise KeptDataError(
                f"could not export the data to {self.directory}: {error}"
            ) from error
        update_id, sequence = numbering
        kept = Kept(metadata, events, update_id, sequence)
        self._write_manifest(kept)
        for old in self.directory.glob(f"{_EXPORT_PREFIX}*"):
            if old.is_dir() and old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        return kept

    def _write_manifest(self, kept: Kept) -> None:
        doc = {
            "firestore": str(kept.firestore.relative_to(self.directory)),
            "events": kept.events,
            "telegram": {
                "next_update_id": kept.next_update_id,
                "next_sequence": kept.next_sequence,
            },
        }
        partial = self.manifest.with_suffix(".json.partial")
        partial.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, self.manifest)  # atomic: the old manifest or the new, never half

    def _unusable(self, why: str) -> KeptDataError:
        return KeptDataError(f"{self.manifest}: {why}; move {self.directory} away to start empty")


def settle(firestore: FirestoreEmulator, telegram: FakeTelegram) -> bool:
    """Wait until no event is appended and no Bot API call made for a while (reactors append
    events, notifications call Telegram); False if that did not happen, or cannot be told."""
    try:
        return wait_until_quiet(lambda: (firestore.count(EVENTS), len(telegram.calls())))
    except EmulatorError:
        return False  # the emulator is gone: the export will say so


def wait_until_quiet(
    probe: Callable[[], Hashable],
    *,
    quiet: float = 1.5,
    timeout: float = 15.0,
    interval: float = 0.25,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Poll `probe` until its answer has not changed for `quiet` seconds; False after
    `timeout`. Pub/Sub's messages are not kept: what is still being delivered when the stack
    stops would be lost, so the stop first waits for the deliveries to end."""
    deadline = clock() + timeout
    last = probe()
    since = clock()
    while clock() - since < quiet:
        if clock() >= deadline:
            return False
        sleep(interval)
        now = probe()
        if now != last:
            last, since = now, clock()
    return True


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value or Path(value).is_absolute() or ".." in value:
        raise ValueError(f"not a path inside the directory: {value!r}")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"not a count: {value!r}")
    return value
