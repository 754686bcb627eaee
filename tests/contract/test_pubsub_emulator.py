"""PubSubPublisher against the real Pub/Sub emulator: what is published is what is pulled."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from events import Envelope
from events.users import UserLanguageChanged
from events.wallet import WalletCredited
from functions.runtime.ports import PublishFailed
from functions.runtime.pubsub import PubSubPublisher
from infra.local.emulators import (
    DEFAULT_PROJECT,
    PubSubEmulator,
    ReceivedMessage,
    ack,
    create_pull_subscription,
    create_topic,
    pull,
)
from tests import builders

pytestmark = pytest.mark.contract

PROJECT = DEFAULT_PROJECT
TOPICS = ("wallet-events", "user-events")


def subscription(topic: str) -> str:
    return f"{topic}-check"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("pubsub") / "pubsub.log"
    with PubSubEmulator(log, project=PROJECT) as emulator:
        for topic in TOPICS:
            create_topic(emulator.host, PROJECT, topic)
            # Ordering enabled, as the production subscriptions are.
            create_pull_subscription(
                emulator.host, PROJECT, subscription(topic), topic, enable_message_ordering=True
            )
        yield emulator.host


@pytest.fixture
def publisher(host: str) -> Iterator[PubSubPublisher]:
    def no_sleep(seconds: float) -> None:
        raise AssertionError("the emulator should not need a retry")

    publisher = PubSubPublisher(PROJECT, emulator_host=host, sleep=no_sleep)
    yield publisher
    publisher.close()


def credited(stream: str, version: int) -> Envelope:
    event = WalletCredited.model_validate(
        {
            "user_id": 7,
            "amount": {"amount": 100 * version, "currency": "KES"},
            "reason": "deposit",
            "reference": f"payment-{version}",
        }
    )
    return builders.envelope(stream, version, event)


def language(stream: str, version: int) -> Envelope:
    return builders.envelope(
        stream, version, UserLanguageChanged(user_id=7, language=("en", "sw")[version % 2])
    )


def drain(host: str, topic: str, expected: int, wait: float = 15.0) -> list[ReceivedMessage]:
    """Pull and ack until `expected` messages arrived (ordered delivery may trickle)."""
    received: list[ReceivedMessage] = []
    deadline = time.monotonic() + wait
    while len(received) < expected and time.monotonic() < deadline:
        batch = pull(host, PROJECT, subscription(topic), max_messages=100, wait=1.0)
        ack(host, PROJECT, subscription(topic), [m.ack_id for m in batch])
        received.extend(batch)
    # Nothing extra is waiting behind them.
    extra = pull(host, PROJECT, subscription(topic), max_messages=100, wait=0.3)
    ack(host, PROJECT, subscription(topic), [m.ack_id for m in extra])
    return received + extra


def test_published_envelopes_arrive_intact_and_in_order_per_stream(
    host: str, publisher: PubSubPublisher
) -> None:
    wallet_7 = [credited("wallet-7", v) for v in range(1, 7)]
    wallet_8 = [credited("wallet-8", v) for v in range(1, 4)]
    user_7 = [language("user-7", v) for v in range(1, 5)]
    # Interleaved across streams and topics, over several publish calls.
    publisher.publish([wallet_7[0], user_7[0], wallet_8[0], wallet_7[1]])
    publisher.publish([user_7[1], wallet_7[2], wallet_7[3], wallet_8[1], user_7[2]])
    publisher.publish([wallet_7[4], wallet_8[2], user_7[3], wallet_7[5]])

    for topic, sent in (("wallet-events", wallet_7 + wallet_8), ("user-events", user_7)):
        received = drain(host, topic, len(sent))
        assert len(received) == len(sent)
        decoded = [Envelope.from_json(m.data) for m in received]
        by_id = {e.event_id: e for e in sent}
        assert sorted(e.event_id for e in decoded) == sorted(by_id)
        for message, envelope in zip(received, decoded, strict=True):
            assert envelope == by_id[envelope.event_id]
            assert message.data.decode() == by_id[envelope.event_id].to_json()
            assert message.attributes == {
                "type": envelope.type,
                "stream": envelope.stream,
                "event_id": envelope.event_id,
            }
            assert message.ordering_key == envelope.stream
            assert message.message_id
        for stream in {e.stream for e in sent}:
            versions = [e.version for e in decoded if e.stream == stream]
            assert versions == sorted(versions) == list(range(1, len(versions) + 1))


def test_a_batch_larger_than_one_request_arrives_in_order(
    host: str, publisher: PubSubPublisher
) -> None:
    sent = [credited("wallet-9", v) for v in range(1, 1206)]  # two requests: 1000 + 205
    publisher.publish(sent)
    received = drain(host, "wallet-events", len(sent), wait=30)
    versions = [Envelope.from_json(m.data).version for m in received]
    assert versions == list(range(1, 1206))


def test_publishing_to_a_missing_topic_fails_without_retry(host: str) -> None:
    requests: list[httpx.Request] = []
    client = httpx.Client(trust_env=False, event_hooks={"request": [requests.append]})
    sleeps: list[float] = []
    publisher = PubSubPublisher(PROJECT, emulator_host=host, http=client, sleep=sleeps.append)
    event = builders.envelope("order-1", 1, UserLanguageChanged(user_id=1, language="en"))
    try:
        with pytest.raises(PublishFailed, match=r"order-events failed after 1 attempt.*HTTP 404"):
            publisher.publish([event])
    finally:
        client.close()
    assert len(requests) == 1
    assert sleeps == []
