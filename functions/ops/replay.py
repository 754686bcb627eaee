"""List dead-lettered messages and publish them again: an admin's tool, run by hand.

    python -m infra.replay list   [--subscription NAME ...]
    python -m infra.replay replay --subscription NAME [--message-id ID ...]

`infra/replay.py` runs `main` with the admin's own credentials against the configured
backend (SOKO_BACKEND=firestore, SOKO_GCP_PROJECT=...). Replaying publishes
the recorded event to its stream's topic again, so every subscriber of that topic sees it
once more; subscribers are idempotent, so only the one that failed changes anything. Each
replay is recorded (`ops.dead_letter_replayed.v1`) and a dead letter is replayed once.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TextIO

from pydantic import ValidationError

from events import Envelope, decode
from events.ops import DeadLetterReplayed, MessageDeadLettered
from functions.domain import deadletters
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace


@dataclass(frozen=True)
class DeadLetter:
    subscription: str
    message_id: str
    recorded_at: str
    event_type: str | None
    event_stream: str | None
    delivery_attempts: int | None
    replayed: bool
    envelope: Envelope | None  # None: truncated or not an event, so it cannot be replayed


def dead_letters(rt: Runtime, subscription: str) -> list[DeadLetter]:
    """The subscription's dead letters, oldest first, with whether each was replayed."""
    letters: dict[str, DeadLetter] = {}
    for stored in rt.store.load(deadletters.stream_of(subscription)):
        event = decode(stored)
        if isinstance(event, MessageDeadLettered):
            letters[event.message_id] = DeadLetter(
                subscription=subscription,
                message_id=event.message_id,
                recorded_at=stored.occurred_at.isoformat(),
                event_type=event.attributes.get("type"),
                event_stream=event.attributes.get("stream"),
                delivery_attempts=event.delivery_attempts,
                replayed=False,
                envelope=None if event.truncated else _envelope(event.data),
            )
        elif isinstance(event, DeadLetterReplayed) and event.message_id in letters:
            letters[event.message_id] = replace(letters[event.message_id], replayed=True)
    return list(letters.values())


def replay(rt: Runtime, subscription: str, message_ids: Iterable[str] = ()) -> dict[str, int]:
    """Publish the pending dead letters (all, or those named) again; record each replay."""
    wanted = set(message_ids)
    counts = {"replayed": 0, "not_replayable": 0}
    for letter in dead_letters(rt, subscription):
        if letter.replayed or (wanted and letter.message_id not in wanted):
            continue
        if letter.envelope is None:
            counts["not_replayable"] += 1
            continue
        rt.publisher.publish([letter.envelope])  # PublishFailed stops the run: nothing marked
        rt.pipeline.execute(
            deadletters.deadletters,
            deadletters.stream_of(subscription),
            deadletters.MarkReplayed(subscription, letter.message_id, letter.envelope.event_id),
            Trace(idempotency_key=f"replayed:{subscription}:{letter.message_id}"),
        )
        counts["replayed"] += 1
    return counts


def main(argv: Sequence[str], rt: Runtime, subscriptions: Sequence[str], out: TextIO) -> int:
    """Run the command line against a runtime; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m infra.replay")
    parser.add_argument("command", choices=("list", "replay"))
    parser.add_argument("--subscription", action="append", default=[])
    parser.add_argument("--message-id", action="append", default=[])
    args = parser.parse_args(argv)
    chosen: list[str] = args.subscription or list(subscriptions)
    if args.command == "list":
        for name in chosen:
            for letter in dead_letters(rt, name):
                row = {k: v for k, v in asdict(letter).items() if k != "envelope"}
                out.write(json.dumps({**row, "replayable": letter.envelope is not None}) + "\n")
        return 0
    if not args.subscription:
        parser.error("replay needs --subscription")
    for name in chosen:
        out.write(json.dumps({"subscription": name, **replay(rt, name, args.message_id)}) + "\n")
    rt.settle_marks()  # what the replay's records published, as an entry point does
    return 0


def _envelope(data: str) -> Envelope | None:
    try:
        return Envelope.from_json(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError, ValidationError):
        return None
