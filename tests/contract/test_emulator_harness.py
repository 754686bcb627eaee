"""Contract tests of infra/local/emulators.py against the real gcloud emulators."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.local.emulators import (
    DEFAULT_PROJECT,
    Emulator,
    EmulatorNotReadyError,
    EmulatorPortInUseError,
    FirestoreEmulator,
    MissingToolError,
    PubSubAdminError,
    PubSubEmulator,
    ack,
    create_pull_subscription,
    create_push_subscription,
    create_topic,
    delete_subscription,
    delete_topic,
    list_subscriptions,
    list_topics,
    port_is_free,
    pull,
    reset_firestore,
)

pytestmark = pytest.mark.contract

PROJECT = DEFAULT_PROJECT  # "demo-soko"


@pytest.fixture(scope="module")
def emulators(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FirestoreEmulator, PubSubEmulator]]:
    log_dir = tmp_path_factory.mktemp("emulators")
    firestore = FirestoreEmulator(log_dir / "firestore.log", project=PROJECT)
    pubsub = PubSubEmulator(log_dir / "pubsub.log", project=PROJECT)
    try:
        firestore.start()
        pubsub.start()
        firestore.wait_ready(90)
        pubsub.wait_ready(90)
        yield firestore, pubsub
    finally:
        pubsub.stop()
        firestore.stop()


@pytest.fixture
def firestore_host(
    emulators: tuple[FirestoreEmulator, PubSubEmulator], monkeypatch: pytest.MonkeyPatch
) -> str:
    host = emulators[0].host
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", host)
    return host


@pytest.fixture
def pubsub_host(emulators: tuple[FirestoreEmulator, PubSubEmulator]) -> str:
    return emulators[1].host


# -- helpers to observe processes without psutil ------------------------------------------


def _live_processes_with(text: str) -> list[tuple[int, str]]:
    """(pid, cmdline) of non-zombie processes whose command line contains ``text``."""
    found: list[tuple[int, str]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        state = stat[stat.rfind(b")") + 2 :].split()[0]
        if text in cmdline and state not in (b"Z", b"X"):
            found.append((int(entry.name), cmdline))
    return found


def _accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- Firestore ----------------------------------------------------------------------------


def test_firestore_answers_ok(emulators: tuple[FirestoreEmulator, PubSubEmulator]) -> None:
    firestore, _ = emulators
    assert firestore.host == f"127.0.0.1:{firestore.port}"
    assert firestore.env()["FIRESTORE_EMULATOR_HOST"] == firestore.host
    assert httpx.get(f"http://{firestore.host}/").text.strip() == "Ok"
    assert firestore.ready_after is not None


def test_reset_firestore_deletes_documents(firestore_host: str) -> None:
    from google.cloud import firestore

    client = firestore.Client(project=PROJECT)
    try:
        doc = client.collection("harness").document("doc-1")
        doc.set({"n": 1, "who": "harness"})
        client.collection("harness").document("doc-2").collection("sub").document("x").set(
            {"nested": True}
        )
        assert doc.get().to_dict() == {"n": 1, "who": "harness"}

        reset_firestore(firestore_host, PROJECT)

        assert not doc.get().exists
        assert list(client.collection("harness").stream()) == []
        nested = client.collection("harness").document("doc-2").collection("sub").document("x")
        assert not nested.get().exists
    finally:
        client.close()  # type: ignore[no-untyped-call]


# -- Pub/Sub ------------------------------------------------------------------------------


def test_publish_rest_and_pull_roundtrip(pubsub_host: str) -> None:
    create_topic(pubsub_host, PROJECT, "harness-events")
    create_pull_subscription(pubsub_host, PROJECT, "harness-pull", "harness-events")
    assert "harness-events" in list_topics(pubsub_host, PROJECT)
    assert "harness-pull" in list_subscriptions(pubsub_host, PROJECT)

    body = {"type": "OrderPlaced", "stream": "order-42", "data": {"total": 1250}}
    raw = json.dumps(body).encode()
    resp = httpx.post(
        f"http://{pubsub_host}/v1/projects/{PROJECT}/topics/harness-events:publish",
        json={
            "messages": [
                {
                    "data": base64.b64encode(raw).decode(),
                    "attributes": {"type": "OrderPlaced", "stream": "order-42"},
                    "orderingKey": "order-42",
                }
            ]
        },
    )
    resp.raise_for_status()
    (message_id,) = resp.json()["messageIds"]

    received = pull(pubsub_host, PROJECT, "harness-pull", max_messages=10, wait=10)
    assert len(received) == 1
    msg = received[0]
    assert msg.message_id == message_id
    assert msg.data == raw
    assert msg.json() == body
    assert msg.attributes == {"type": "OrderPlaced", "stream": "order-42"}
    assert msg.ordering_key == "order-42"

    ack(pubsub_host, PROJECT, "harness-pull", [msg.ack_id])
    assert pull(pubsub_host, PROJECT, "harness-pull", wait=0.5) == []

    delete_subscription(pubsub_host, PROJECT, "harness-pull")
    delete_topic(pubsub_host, PROJECT, "harness-events")
    assert "harness-events" not in list_topics(pubsub_host, PROJECT)


def test_admin_errors_are_clear(pubsub_host: str) -> None:
    with pytest.raises(ValueError, match="at least 3 characters"):
        create_topic(pubsub_host, PROJECT, "ab")
    with pytest.raises(ValueError, match="at least 3 characters"):
        create_pull_subscription(pubsub_host, PROJECT, "s1", "harness-topic")
    with pytest.raises(ValueError, match="at least 3 characters"):
        create_push_subscription(
            pubsub_host, PROJECT, "sub", "abc", "http://127.0.0.1:1/", dead_letter_topic="dl"
        )
    with pytest.raises(PubSubAdminError) as info:
        delete_topic(pubsub_host, PROJECT, "no-such-topic")
    assert info.value.status == 404
    delete_topic(pubsub_host, PROJECT, "no-such-topic", missing_ok=True)

    create_topic(pubsub_host, PROJECT, "dup-topic")
    with pytest.raises(PubSubAdminError) as info:
        create_topic(pubsub_host, PROJECT, "dup-topic")
    assert info.value.status == 409
    create_topic(pubsub_host, PROJECT, "dup-topic", exist_ok=True)
    delete_topic(pubsub_host, PROJECT, "dup-topic")


class _Recorder(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.bodies.append(json.loads(self.rfile.read(length)))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_push_subscription_delivers_wrapped_message(pubsub_host: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.bodies = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/push"
        create_topic(pubsub_host, PROJECT, "push-events")
        create_topic(pubsub_host, PROJECT, "push-events-dlq")
        sub = create_push_subscription(
            pubsub_host,
            PROJECT,
            "push-sub",
            "push-events",
            endpoint,
            dead_letter_topic="push-events-dlq",
            max_delivery_attempts=5,
        )
        assert sub["pushConfig"]["pushEndpoint"] == endpoint
        assert sub["enableMessageOrdering"] is True
        assert sub["deadLetterPolicy"]["maxDeliveryAttempts"] == 5

        httpx.post(
            f"http://{pubsub_host}/v1/projects/{PROJECT}/topics/push-events:publish",
            json={
                "messages": [
                    {
                        "data": base64.b64encode(b'{"x":1}').decode(),
                        "attributes": {"type": "T", "stream": "s-1"},
                        "orderingKey": "s-1",
                    }
                ]
            },
        ).raise_for_status()

        deadline = time.monotonic() + 15
        while not server.bodies and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.05)
        bodies: list[dict[str, Any]] = server.bodies  # type: ignore[attr-defined]
        assert bodies, "no push delivery within 15 s"
        push = bodies[0]
        assert push["subscription"] == f"projects/{PROJECT}/subscriptions/push-sub"
        assert base64.b64decode(push["message"]["data"]) == b'{"x":1}'
        assert push["message"]["attributes"] == {"type": "T", "stream": "s-1"}
        assert push["message"]["messageId"]
    finally:
        server.shutdown()
        server.server_close()
        delete_subscription(pubsub_host, PROJECT, "push-sub", missing_ok=True)
        delete_topic(pubsub_host, PROJECT, "push-events", missing_ok=True)
        delete_topic(pubsub_host, PROJECT, "push-events-dlq", missing_ok=True)


# -- lifecycle ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [PubSubEmulator, FirestoreEmulator], ids=["pubsub", "firestore"])
def test_stop_frees_port_and_leaves_no_java(kind: type[Emulator], tmp_path: Path) -> None:
    emulator = kind(tmp_path / "emulator.log", project=PROJECT)
    with emulator:
        port = emulator.port
        assert _accepts_connections(port)
        java = [p for p in _live_processes_with(f"--port={port}") if "java" in p[1]]
        assert java, "expected the emulator's Java process to be visible in /proc"
        group = emulator.pid
    assert not emulator.running
    assert port_is_free(port)
    assert not _accepts_connections(port)
    assert _live_processes_with(f"--port={port}") == []
    assert group is not None
    assert not _live_group(group)
    emulator.stop()  # idempotent


def _live_group(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def test_wait_ready_timeout_reports_log_and_cleans_up(tmp_path: Path) -> None:
    emulator = PubSubEmulator(tmp_path / "pubsub.log", project=PROJECT)
    emulator.start()
    port, group = emulator.port, emulator.pid
    assert group is not None
    with pytest.raises(EmulatorNotReadyError) as info:
        emulator.wait_ready(timeout=0.01)
    message = str(info.value)
    assert "not ready after" in message
    assert str(tmp_path / "pubsub.log") in message
    assert not _live_group(group)
    assert port_is_free(port)


def test_port_in_use_before_start_is_refused(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        emulator = PubSubEmulator(tmp_path / "pubsub.log", project=PROJECT, port=port)
        with pytest.raises(EmulatorPortInUseError, match="in use"):
            emulator.start()
        assert emulator.pid is None


def test_port_taken_after_check_fails_fast_and_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Pub/Sub emulator hangs after a BindException; the harness must not."""
    import infra.local.emulators as emulators_module

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        real_free_port = emulators_module.free_port
        ports = iter([taken])
        monkeypatch.setattr(
            emulators_module, "free_port", lambda: next(ports, None) or real_free_port()
        )
        monkeypatch.setattr(emulators_module, "port_is_free", lambda port, host="": True)

        # direct=True: the SDK launcher without gcloud; same Java server, ~1 s faster.
        emulator = PubSubEmulator(tmp_path / "pubsub.log", project=PROJECT, direct=True)
        started = time.monotonic()
        with emulator:
            assert emulator.port != taken
            assert httpx.get(f"http://{emulator.host}/").text.strip() == "Ok"
        assert time.monotonic() - started < 45
        clashed = PubSubEmulator(tmp_path / "fixed.log", project=PROJECT, port=taken, direct=True)
        with pytest.raises(EmulatorPortInUseError) as info:
            clashed.start_and_wait(timeout=30)
        assert "BindException" in str(info.value)
        assert _live_processes_with(f"--port={taken}") == []


def test_missing_gcloud_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CLOUDSDK_GCLOUD", raising=False)
    with pytest.raises(MissingToolError, match="gcloud"):
        PubSubEmulator(tmp_path / "pubsub.log").start()
