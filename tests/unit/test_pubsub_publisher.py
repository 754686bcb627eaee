"""PubSubPublisher and MetadataServerToken against httpx.MockTransport: no network."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import functions.runtime.pubsub as pubsub_module
from events import Envelope
from events.users import UserRegistered
from events.wallet import WalletCredited
from functions.runtime.google_rest import METADATA_URL, MetadataServerToken, TokenUnavailable
from functions.runtime.ports import PublishFailed
from functions.runtime.pubsub import PubSubPublisher
from tests import builders

pytestmark = pytest.mark.unit

PROJECT = "demo-soko"
TOKEN = "ya29.secret-token-never-shown"
CLOUD = "https://pubsub.googleapis.com"


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


def registered(stream: str, version: int) -> Envelope:
    event = UserRegistered(user_id=7, chat_id=7, first_name="Amina", language="sw")
    return builders.envelope(stream, version, event)


class Bus:
    """A fake Pub/Sub REST endpoint: records requests, answers from a script, then 200."""

    def __init__(self, *script: int | Exception | Callable[[httpx.Request], httpx.Response]):
        self.requests: list[httpx.Request] = []
        self.script = list(script)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(request)
        if step == 200:
            count = len(json.loads(request.content)["messages"])
            return httpx.Response(200, json={"messageIds": [str(i) for i in range(count)]})
        return httpx.Response(step, json={"error": {"code": step, "message": f"status {step}"}})

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


class StaticToken:
    def __init__(self, *tokens: str) -> None:
        self.tokens = list(tokens) or [TOKEN]
        self.calls = 0
        self.invalidated = 0

    def token(self) -> str:
        self.calls += 1
        return self.tokens[min(self.invalidated, len(self.tokens) - 1)]

    def invalidate(self) -> None:
        self.invalidated += 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> list[float]:
    return []


def cloud(bus: Bus, sleeps: list[float], tokens: Any = None, attempts: int = 3) -> PubSubPublisher:
    return PubSubPublisher(
        PROJECT,
        token_source=tokens or StaticToken(),
        http=httpx.Client(transport=httpx.MockTransport(bus)),
        attempts=attempts,
        sleep=sleeps.append,
    )


def emulator(bus: Bus) -> PubSubPublisher:
    return PubSubPublisher(
        PROJECT,
        emulator_host="127.0.0.1:8085",
        http=httpx.Client(transport=httpx.MockTransport(bus)),
        sleep=lambda s: None,
    )


# -- request shape --------------------------------------------------------------------------


def test_request_shape_url_body_attributes_and_ordering_key(sleeps: list[float]) -> None:
    bus = Bus()
    sent = credited("wallet-7", 3)
    cloud(bus, sleeps).publish([sent])

    (request,) = bus.requests
    assert request.method == "POST"
    assert str(request.url) == f"{CLOUD}/v1/projects/{PROJECT}/topics/wallet-events:publish"
    assert request.headers["content-type"] == "application/json"
    (message,) = json.loads(request.content)["messages"]
    assert base64.b64decode(message["data"]).decode() == sent.to_json()
    assert Envelope.from_json(base64.b64decode(message["data"])) == sent
    assert message["attributes"] == {
        "type": "wallet.credited.v1",
        "stream": "wallet-7",
        "event_id": "wallet-7#3",
    }
    assert message["orderingKey"] == "wallet-7"
    assert sleeps == []


def test_groups_by_topic_keeping_order(sleeps: list[float]) -> None:
    bus = Bus()
    events = [
        credited("wallet-7", 1),
        registered("user-7", 1),
        credited("wallet-7", 2),
        credited("wallet-8", 1),
        credited("wallet-7", 3),
    ]
    cloud(bus, sleeps).publish(events)

    paths = [r.url.path for r in bus.requests]
    assert paths == [
        f"/v1/projects/{PROJECT}/topics/wallet-events:publish",
        f"/v1/projects/{PROJECT}/topics/user-events:publish",
    ]
    wallet, user = bus.bodies()
    assert [m["attributes"]["event_id"] for m in wallet["messages"]] == [
        "wallet-7#1",
        "wallet-7#2",
        "wallet-8#1",
        "wallet-7#3",
    ]
    assert [m["orderingKey"] for m in user["messages"]] == ["user-7"]


def test_empty_input_sends_nothing(sleeps: list[float]) -> None:
    bus = Bus()
    tokens = StaticToken()
    cloud(bus, sleeps, tokens).publish([])
    assert bus.requests == []
    assert tokens.calls == 0


def test_chunks_at_1000_messages_in_order(sleeps: list[float]) -> None:
    bus = Bus()
    events = [credited("wallet-7", v) for v in range(1, 1002)]
    cloud(bus, sleeps).publish(events)
    sizes = [len(b["messages"]) for b in bus.bodies()]
    assert sizes == [1000, 1]
    versions = [
        json.loads(base64.b64decode(m["data"]))["version"]
        for b in bus.bodies()
        for m in b["messages"]
    ]
    assert versions == list(range(1, 1002))


def test_chunks_by_request_size(sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pubsub_module, "MAX_REQUEST_BYTES", 2500)
    bus = Bus()
    cloud(bus, sleeps).publish([credited("wallet-7", v) for v in range(1, 11)])
    assert len(bus.requests) > 1
    framing = len('{"messages":[]}')
    assert all(len(r.content) <= 2500 + framing for r in bus.requests)
    versions = [
        json.loads(base64.b64decode(m["data"]))["version"]
        for b in bus.bodies()
        for m in b["messages"]
    ]
    assert versions == list(range(1, 11))


def test_an_event_larger_than_a_request_fails_without_sending(
    sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pubsub_module, "MAX_REQUEST_BYTES", 100)
    bus = Bus()
    with pytest.raises(PublishFailed, match="size limit"):
        cloud(bus, sleeps).publish([credited("wallet-7", 1)])
    assert bus.requests == []


def test_missing_message_ids_fail(sleeps: list[float]) -> None:
    bus = Bus(lambda r: httpx.Response(200, json={"messageIds": []}))
    with pytest.raises(PublishFailed, match="0 ids for 1 messages"):
        cloud(bus, sleeps).publish([credited("wallet-7", 1)])
    assert len(bus.requests) == 1


# -- auth -----------------------------------------------------------------------------------


def test_cloud_mode_sends_bearer_token(sleeps: list[float]) -> None:
    bus = Bus()
    cloud(bus, sleeps).publish([credited("wallet-7", 1)])
    assert bus.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_emulator_mode_has_no_authorization_and_uses_http_host() -> None:
    bus = Bus()
    emulator(bus).publish([credited("wallet-7", 1)])
    (request,) = bus.requests
    assert "authorization" not in request.headers
    assert str(request.url) == (
        f"http://127.0.0.1:8085/v1/projects/{PROJECT}/topics/wallet-events:publish"
    )


def test_emulator_401_is_not_retried() -> None:
    bus = Bus(401)
    with pytest.raises(PublishFailed, match="HTTP 401"):
        emulator(bus).publish([credited("wallet-7", 1)])
    assert len(bus.requests) == 1


class Metadata:
    """A fake metadata server issuing tok-1, tok-2, ..."""

    def __init__(self, expires_in: int = 3599) -> None:
        self.requests: list[httpx.Request] = []
        self.expires_in = expires_in

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(
            200,
            json={
                "access_token": f"tok-{len(self.requests)}",
                "expires_in": self.expires_in,
                "token_type": "Bearer",
            },
        )

    def source(self, clock: Callable[[], float]) -> MetadataServerToken:
        return MetadataServerToken(
            http=httpx.Client(transport=httpx.MockTransport(self)), clock=clock
        )


def test_metadata_token_request_shape() -> None:
    metadata = Metadata()
    assert metadata.source(Clock()).token() == "tok-1"
    (request,) = metadata.requests
    assert request.method == "GET"
    assert str(request.url) == METADATA_URL
    assert request.url.host == "metadata.google.internal"
    assert request.headers["metadata-flavor"] == "Google"


def test_token_cached_across_publishes_and_refreshed_60s_before_expiry(
    sleeps: list[float],
) -> None:
    clock, metadata, bus = Clock(), Metadata(expires_in=3600), Bus()
    publisher = cloud(bus, sleeps, metadata.source(clock))
    publisher.publish([credited("wallet-7", 1)])
    clock.now += 3600 - 61
    publisher.publish([credited("wallet-7", 2)])
    assert len(metadata.requests) == 1
    clock.now += 1  # now within 60 s of expiry
    publisher.publish([credited("wallet-7", 3)])
    assert len(metadata.requests) == 2
    auth = [r.headers["authorization"] for r in bus.requests]
    assert auth == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


def test_401_refreshes_the_token_once_and_retries(sleeps: list[float]) -> None:
    metadata, bus = Metadata(), Bus(401)
    cloud(bus, sleeps, metadata.source(Clock())).publish([credited("wallet-7", 1)])
    assert [r.headers["authorization"] for r in bus.requests] == ["Bearer tok-1", "Bearer tok-2"]
    assert len(metadata.requests) == 2
    assert sleeps == []


def test_repeated_401_fails_after_one_refresh(sleeps: list[float]) -> None:
    metadata, bus = Metadata(), Bus(401, 401, 401)
    with pytest.raises(PublishFailed, match="HTTP 401"):
        cloud(bus, sleeps, metadata.source(Clock())).publish([credited("wallet-7", 1)])
    assert len(bus.requests) == 2
    assert len(metadata.requests) == 2


def test_metadata_token_invalidate_forgets_it() -> None:
    metadata = Metadata()
    source = metadata.source(Clock())
    assert source.token() == source.token() == "tok-1"
    source.invalidate()
    assert source.token() == "tok-2"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500),
        httpx.Response(200, json={"expires_in": 3599}),
        httpx.Response(200, json={"access_token": "x", "expires_in": 1, "token_type": "Mac"}),
        httpx.Response(200, text="not json"),
    ],
    ids=["500", "no-token", "not-bearer", "not-json"],
)
def test_metadata_failures_raise_token_unavailable(response: httpx.Response) -> None:
    source = MetadataServerToken(
        http=httpx.Client(transport=httpx.MockTransport(lambda r: response))
    )
    with pytest.raises(TokenUnavailable):
        source.token()


def test_metadata_server_unreachable_is_transient_then_publish_failed(
    sleeps: list[float],
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to metadata", request=request)

    tokens = MetadataServerToken(http=httpx.Client(transport=httpx.MockTransport(down)))
    bus = Bus()
    with pytest.raises(PublishFailed, match="TokenUnavailable") as info:
        cloud(bus, sleeps, tokens).publish([credited("wallet-7", 1)])
    assert isinstance(info.value.__cause__, TokenUnavailable)
    assert bus.requests == []
    assert len(sleeps) == 2


def test_metadata_token_is_fetched_once_by_many_threads() -> None:
    gate = threading.Event()
    calls: list[int] = []

    def slow(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        gate.wait(2)
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 3599})

    source = MetadataServerToken(http=httpx.Client(transport=httpx.MockTransport(slow)))
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(source.token())) for _ in range(16)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert got == ["tok"] * 16
    assert len(calls) == 1


# -- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_status_is_retried_then_succeeds(status: int, sleeps: list[float]) -> None:
    bus = Bus(status)
    cloud(bus, sleeps).publish([credited("wallet-7", 1)])
    assert len(bus.requests) == 2
    assert bus.requests[0].content == bus.requests[1].content
    assert len(sleeps) == 1
    assert 0.1 <= sleeps[0] <= 0.2


@pytest.mark.parametrize("status", [400, 403, 404, 409, 413])
def test_other_4xx_fail_at_once(status: int, sleeps: list[float]) -> None:
    bus = Bus(status)
    with pytest.raises(PublishFailed, match=f"HTTP {status}") as info:
        cloud(bus, sleeps).publish([credited("wallet-7", 1)])
    assert len(bus.requests) == 1
    assert sleeps == []
    assert isinstance(info.value.__cause__, httpx.HTTPStatusError)


def test_publish_failed_after_exhausting_attempts(sleeps: list[float]) -> None:
    bus = Bus(503, 503, 503, 503)
    with pytest.raises(PublishFailed, match="wallet-events failed after 3 attempt") as info:
        cloud(bus, sleeps, attempts=3).publish([credited("wallet-7", 1)])
    assert len(bus.requests) == 3
    assert "HTTP 503" in str(info.value)
    # Exponential with jitter: each delay in [d/2, d] for d = 0.2, 0.4.
    assert len(sleeps) == 2
    assert 0.1 <= sleeps[0] <= 0.2
    assert 0.2 <= sleeps[1] <= 0.4


def test_attempts_one_means_no_retry(sleeps: list[float]) -> None:
    bus = Bus(503)
    with pytest.raises(PublishFailed):
        cloud(bus, sleeps, attempts=1).publish([credited("wallet-7", 1)])
    assert len(bus.requests) == 1


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("connection refused"), httpx.ReadTimeout("timed out")],
    ids=["connect", "timeout"],
)
def test_transport_errors_are_retried_then_publish_failed(
    error: Exception, sleeps: list[float]
) -> None:
    bus = Bus(error, error, error)
    with pytest.raises(PublishFailed, match=type(error).__name__) as info:
        cloud(bus, sleeps).publish([credited("wallet-7", 1)])
    assert len(bus.requests) == 3
    assert info.value.__cause__ is error


def test_transport_error_then_success(sleeps: list[float]) -> None:
    bus = Bus(httpx.ConnectError("reset"))
    cloud(bus, sleeps).publish([credited("wallet-7", 1)])
    assert len(bus.requests) == 2


def test_token_never_appears_in_the_failure(sleeps: list[float]) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        # A hostile or buggy server echoing our credentials back.
        auth = request.headers["authorization"]
        return httpx.Response(400, json={"error": {"message": f"bad request with {auth}"}})

    for bus in (Bus(echo), Bus(*[httpx.ConnectError(f"refused {TOKEN}")] * 3)):
        with pytest.raises(PublishFailed) as info:
            cloud(bus, sleeps).publish([credited("wallet-7", 1)])
        assert TOKEN not in str(info.value)
        assert TOKEN not in repr(info.value)


# -- laziness -------------------------------------------------------------------------------


@pytest.fixture
def no_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("httpx.Client created at construction")

    monkeypatch.setattr(httpx.Client, "__init__", refuse)


@pytest.mark.usefixtures("no_clients")
def test_construction_makes_no_client_and_no_request() -> None:
    PubSubPublisher(PROJECT)
    PubSubPublisher(PROJECT, emulator_host="127.0.0.1:1")
    PubSubPublisher.from_settings(builders.settings(backend="firestore", gcp_project=PROJECT))


def test_construction_with_injected_parts_makes_no_request(sleeps: list[float]) -> None:
    bus, tokens = Bus(), StaticToken()
    cloud(bus, sleeps, tokens)
    assert bus.requests == []
    assert tokens.calls == 0


def test_client_is_created_once_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    bus = Bus()
    created: list[dict[str, Any]] = []
    real = httpx.Client

    def factory(**kwargs: Any) -> httpx.Client:
        created.append(kwargs)
        return real(transport=httpx.MockTransport(bus), **kwargs)

    monkeypatch.setattr(httpx, "Client", factory)
    publisher = PubSubPublisher(PROJECT, emulator_host="127.0.0.1:1")
    assert created == []
    publisher.publish([credited("wallet-7", 1)])
    publisher.publish([credited("wallet-7", 2)])
    assert len(created) == 1
    assert created[0]["trust_env"] is False  # loopback emulator: no proxy
    assert len(bus.requests) == 2
    publisher.close()


@pytest.mark.parametrize(
    ("overrides", "url", "auth"),
    [
        ({"PUBSUB_EMULATOR_HOST": "127.0.0.1:9"}, "http://127.0.0.1:9", None),
        (
            {"pubsub_endpoint": "https://europe-west1-pubsub.googleapis.com"},
            "https://europe-west1-pubsub.googleapis.com",
            "Bearer tok-1",
        ),
    ],
    ids=["emulator", "regional"],
)
def test_from_settings_picks_emulator_or_endpoint(
    overrides: dict[str, str], url: str, auth: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus, metadata = Bus(), Metadata()
    real = httpx.Client

    def factory(**kwargs: Any) -> httpx.Client:
        # The publisher's client goes to the bus, the token source's to the metadata server.
        return real(
            transport=httpx.MockTransport(
                lambda r: (metadata if r.url.host == "metadata.google.internal" else bus)(r)
            ),
            **kwargs,
        )

    monkeypatch.setattr(httpx, "Client", factory)
    settings = builders.settings(backend="firestore", gcp_project=PROJECT, **overrides)
    PubSubPublisher.from_settings(settings).publish([credited("wallet-7", 1)])
    (request,) = bus.requests
    assert str(request.url) == f"{url}/v1/projects/{PROJECT}/topics/wallet-events:publish"
    assert request.headers.get("authorization") == auth
