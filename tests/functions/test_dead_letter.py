"""dead_letter records poisoned messages once; an admin lists and replays them."""

from __future__ import annotations

import base64
import copy
import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Envelope, Money, decode
from events.ops import MessageDeadLettered
from functions.domain.wallet import Credit, wallets
from functions.ops import replay
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import MemoryPublisher
from tests.builders import recorded
from tests.functions.conftest import client_for

pytestmark = pytest.mark.functions
DEAD_TOPIC_PATH = "/projects/demo-soko/topics/project-balances-dead"
STREAM = "deadletter-project-balances"


def credited_but_never_projected(rt: Runtime) -> Envelope:
    """A committed credit whose projection kept failing (here: it never reached it)."""
    publisher: MemoryPublisher = rt.publisher  # type: ignore[assignment]
    publisher.fail_next = 1
    appended = rt.pipeline.execute(
        wallets, "wallet-7", Credit(7, Money(amount=500, currency="KES"), "deposit", "p-1")
    )
    return appended.events[0]


def push_of(data: bytes, **drop: bool) -> dict[str, Any]:
    """The recorded dead-letter push carrying `data`, optionally without some attributes."""
    body = copy.deepcopy(recorded("pubsub/dead_letter_push.json"))
    body["message"]["data"] = base64.b64encode(data).decode()
    for name in drop:
        del body["message"]["attributes"][name]
    return body


@pytest.fixture
def dead_letter(memory_runtime: Runtime) -> FlaskClient:
    return client_for("dead_letter", "cloudevent")


def test_a_dead_letter_is_recorded_once_however_often_it_is_delivered(
    memory_runtime: Runtime, dead_letter: FlaskClient
) -> None:
    envelope = credited_but_never_projected(memory_runtime)
    for _ in range(3):
        response = dead_letter.post(DEAD_TOPIC_PATH, json=push_of(envelope.to_json().encode()))
        assert response.status_code == 200

    [stored] = memory_runtime.store.load(STREAM)
    event = decode(stored)
    assert isinstance(event, MessageDeadLettered)
    assert (event.subscription, event.message_id, event.delivery_attempts) == (
        "project-balances",
        "9876543210",
        5,
    )
    assert stored.correlation_id == envelope.correlation_id


def test_without_pubsubs_attributes_the_subscription_comes_from_the_topic(
    memory_runtime: Runtime, dead_letter: FlaskClient
) -> None:
    body = push_of(b"not an envelope", CloudPubSubDeadLetterSourceSubscription=True)
    assert dead_letter.post(DEAD_TOPIC_PATH, json=body).status_code == 200
    assert len(memory_runtime.store.load(STREAM)) == 1


def test_an_admin_lists_and_replays_a_dead_letter_once(
    memory_runtime: Runtime, dead_letter: FlaskClient
) -> None:
    envelope = credited_but_never_projected(memory_runtime)
    dead_letter.post(DEAD_TOPIC_PATH, json=push_of(envelope.to_json().encode()))
    assert memory_runtime.read_models.get("balances", "7") is None

    out = io.StringIO()
    replay.main(["list"], memory_runtime, ["project-balances"], out)
    [listed] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert listed["message_id"] == "9876543210"
    assert listed["event_stream"] == "wallet-7"
    assert listed["replayable"]
    assert not listed["replayed"]

    first = replay.replay(memory_runtime, "project-balances")
    second = replay.replay(memory_runtime, "project-balances")

    assert first == {"replayed": 1, "not_replayable": 0}
    assert second == {"replayed": 0, "not_replayable": 0}
    assert memory_runtime.read_models.get("balances", "7") == {
        "user_id": 7,
        "balances": {"KES": 500},
        "applied_version": 1,
    }
    [letter] = replay.dead_letters(memory_runtime, "project-balances")
    assert letter.replayed


def test_garbage_is_kept_for_inspection_but_not_replayed(
    memory_runtime: Runtime, dead_letter: FlaskClient
) -> None:
    dead_letter.post(DEAD_TOPIC_PATH, json=push_of(b"\x00garbage"))
    publisher: MemoryPublisher = memory_runtime.publisher  # type: ignore[assignment]
    published_before = len(publisher.published)
    assert replay.replay(memory_runtime, "project-balances") == {
        "replayed": 0,
        "not_replayable": 1,
    }
    assert len(publisher.published) == published_before


def test_replay_needs_a_subscription(memory_runtime: Runtime) -> None:
    with pytest.raises(SystemExit):
        replay.main(["replay"], memory_runtime, ["project-balances"], io.StringIO())
