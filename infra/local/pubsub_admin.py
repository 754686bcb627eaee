"""Pub/Sub emulator admin over its REST surface (``/v1/projects/...``), with httpx.

Creates and deletes topics and subscriptions (push configs, dead-letter policies, ordering,
ack deadlines), checks resource ids against the service's rules, lists them, and publishes,
pulls and acknowledges messages for tests and the local stack. Never imports
``google.cloud.pubsub_v1``. Re-exported by ``infra.local.emulators``.
"""

from __future__ import annotations

import atexit
import base64
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = [
    "PubSubAdminError",
    "ReceivedMessage",
    "ack",
    "create_pull_subscription",
    "create_push_subscription",
    "create_topic",
    "delete_subscription",
    "delete_topic",
    "list_subscriptions",
    "list_topics",
    "publish",
    "pull",
    "stop_pushing",
    "validate_resource_id",
]


class PubSubAdminError(RuntimeError):
    """A Pub/Sub emulator REST call failed; carries the HTTP status and the error body."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"{method} {url} -> HTTP {status}: {body.strip()[:2000]}")
        self.method = method
        self.url = url
        self.status = status
        self.body = body


_ID_CHARS = re.compile(r"^[A-Za-z][A-Za-z0-9\-_.~+%]*$")


def validate_resource_id(kind: str, resource_id: str) -> str:
    """Check a Pub/Sub topic/subscription id against the service's rules; return it.

    Ids are 3-255 characters, start with a letter, use ``[A-Za-z0-9-_.~+%]`` and do not
    start with ``goog``. The emulator refuses ids shorter than 3 with an opaque
    "Invalid [topics] name"; this check fails first with a clearer ValueError.
    """
    if not isinstance(resource_id, str):
        raise TypeError(f"Pub/Sub {kind} id must be a str, got {type(resource_id).__name__}")
    if "/" in resource_id:
        raise ValueError(
            f"Pub/Sub {kind} id {resource_id!r} must be a bare id, not a resource path"
        )
    if len(resource_id) < 3:
        raise ValueError(
            f"Pub/Sub {kind} id {resource_id!r} is too short ({len(resource_id)} characters): "
            "ids must be at least 3 characters (the emulator and the service refuse shorter)"
        )
    if len(resource_id) > 255:
        raise ValueError(f"Pub/Sub {kind} id is too long ({len(resource_id)} > 255 characters)")
    if not _ID_CHARS.match(resource_id):
        raise ValueError(
            f"Pub/Sub {kind} id {resource_id!r} must start with a letter and contain only "
            "letters, digits and - _ . ~ + %"
        )
    if resource_id.lower().startswith("goog"):
        raise ValueError(f"Pub/Sub {kind} id {resource_id!r} must not start with 'goog'")
    return resource_id


def _topic_path(project: str, topic: str) -> str:
    return f"projects/{project}/topics/{validate_resource_id('topic', topic)}"


def _subscription_path(project: str, subscription: str) -> str:
    return f"projects/{project}/subscriptions/{validate_resource_id('subscription', subscription)}"


_shared_client: httpx.Client | None = None


def _default_client() -> httpx.Client:
    """One keep-alive client for admin calls (a new httpx.Client costs ~50 ms)."""
    global _shared_client
    if _shared_client is None:
        _shared_client = httpx.Client(trust_env=False, timeout=30.0)
        atexit.register(_shared_client.close)
    return _shared_client


def _call(
    method: str,
    host: str,
    path: str,
    *,
    body: Mapping[str, Any] | None = None,
    params: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    ok_statuses: tuple[int, ...] = (),
    timeout: float = 30.0,
) -> dict[str, Any]:
    url = f"http://{host}/v1/{path}"
    resp = (client or _default_client()).request(
        method, url, json=body, params=params, timeout=timeout
    )
    if resp.status_code in ok_statuses:
        return {}
    if resp.status_code >= 400:
        raise PubSubAdminError(method, url, resp.status_code, resp.text)
    if not resp.content.strip():
        return {}
    data = resp.json()
    if not isinstance(data, dict):
        raise PubSubAdminError(method, url, resp.status_code, f"unexpected body {resp.text}")
    return data


def create_topic(
    host: str,
    project: str,
    topic: str,
    *,
    exist_ok: bool = False,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """``PUT /v1/projects/P/topics/T``; returns the topic resource ({} if it existed)."""
    return _call(
        "PUT",
        host,
        _topic_path(project, topic),
        body={},
        client=client,
        ok_statuses=(409,) if exist_ok else (),
    )


def delete_topic(
    host: str,
    project: str,
    topic: str,
    *,
    missing_ok: bool = False,
    client: httpx.Client | None = None,
) -> None:
    """``DELETE /v1/projects/P/topics/T``."""
    _call(
        "DELETE",
        host,
        _topic_path(project, topic),
        client=client,
        ok_statuses=(404,) if missing_ok else (),
    )


def _list(host: str, path: str, key: str, client: httpx.Client | None) -> list[str]:
    names: list[str] = []
    token = ""
    while True:
        params = {"pageSize": "1000"}
        if token:
            params["pageToken"] = token
        page = _call("GET", host, path, params=params, client=client)
        for item in page.get(key, []):
            # Topics list as objects {"name": ...}; topic subscriptions list as plain names.
            name = item["name"] if isinstance(item, dict) else str(item)
            names.append(name.rsplit("/", 1)[-1])
        token = str(page.get("nextPageToken", ""))
        if not token:
            return names


def list_topics(host: str, project: str, *, client: httpx.Client | None = None) -> list[str]:
    """Topic ids (not full paths) of ``project``."""
    return _list(host, f"projects/{project}/topics", "topics", client)


def list_subscriptions(host: str, project: str, *, client: httpx.Client | None = None) -> list[str]:
    """Subscription ids (not full paths) of ``project``."""
    return _list(host, f"projects/{project}/subscriptions", "subscriptions", client)


def _subscription_body(
    project: str,
    topic: str,
    *,
    push_endpoint: str | None,
    dead_letter_topic: str | None,
    max_delivery_attempts: int,
    enable_message_ordering: bool,
    ack_deadline_seconds: int,
) -> dict[str, Any]:
    if not 10 <= ack_deadline_seconds <= 600:
        raise ValueError(f"ack_deadline_seconds must be 10..600, got {ack_deadline_seconds}")
    body: dict[str, Any] = {
        "topic": _topic_path(project, topic),
        "ackDeadlineSeconds": ack_deadline_seconds,
        "enableMessageOrdering": enable_message_ordering,
    }
    if push_endpoint is not None:
        if not push_endpoint.startswith(("http://", "https://")):
            raise ValueError(f"push_endpoint must be an http(s) URL, got {push_endpoint!r}")
        body["pushConfig"] = {"pushEndpoint": push_endpoint}
    if dead_letter_topic is not None:
        if not 5 <= max_delivery_attempts <= 100:
            raise ValueError(f"max_delivery_attempts must be 5..100, got {max_delivery_attempts}")
        body["deadLetterPolicy"] = {
            "deadLetterTopic": _topic_path(project, dead_letter_topic),
            "maxDeliveryAttempts": max_delivery_attempts,
        }
    return body


def create_push_subscription(
    host: str,
    project: str,
    name: str,
    topic: str,
    push_endpoint: str,
    dead_letter_topic: str | None = None,
    max_delivery_attempts: int = 5,
    enable_message_ordering: bool = True,
    *,
    ack_deadline_seconds: int = 10,
    exist_ok: bool = False,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """``PUT /v1/projects/P/subscriptions/S`` with a push config (wrapped payloads).

    ``dead_letter_topic`` is a topic id in the same project; it must exist. Returns the
    subscription resource ({} if it existed and ``exist_ok``).
    """
    body = _subscription_body(
        project,
        topic,
        push_endpoint=push_endpoint,
        dead_letter_topic=dead_letter_topic,
        max_delivery_attempts=max_delivery_attempts,
        enable_message_ordering=enable_message_ordering,
        ack_deadline_seconds=ack_deadline_seconds,
    )
    return _call(
        "PUT",
        host,
        _subscription_path(project, name),
        body=body,
        client=client,
        ok_statuses=(409,) if exist_ok else (),
    )


def create_pull_subscription(
    host: str,
    project: str,
    name: str,
    topic: str,
    dead_letter_topic: str | None = None,
    max_delivery_attempts: int = 5,
    enable_message_ordering: bool = True,
    *,
    ack_deadline_seconds: int = 10,
    exist_ok: bool = False,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """``PUT /v1/projects/P/subscriptions/S`` without push config ({} if it existed)."""
    body = _subscription_body(
        project,
        topic,
        push_endpoint=None,
        dead_letter_topic=dead_letter_topic,
        max_delivery_attempts=max_delivery_attempts,
        enable_message_ordering=enable_message_ordering,
        ack_deadline_seconds=ack_deadline_seconds,
    )
    return _call(
        "PUT",
        host,
        _subscription_path(project, name),
        body=body,
        client=client,
        ok_statuses=(409,) if exist_ok else (),
    )


def delete_subscription(
    host: str,
    project: str,
    name: str,
    *,
    missing_ok: bool = False,
    client: httpx.Client | None = None,
) -> None:
    """``DELETE /v1/projects/P/subscriptions/S``."""
    _call(
        "DELETE",
        host,
        _subscription_path(project, name),
        client=client,
        ok_statuses=(404,) if missing_ok else (),
    )


def stop_pushing(host: str, project: str, name: str, *, client: httpx.Client | None = None) -> None:
    """``POST .../subscriptions/S:modifyPushConfig`` with an empty config: the subscription
    keeps every message but becomes a pull one, so nothing is delivered while it stays so."""
    _call(
        "POST",
        host,
        f"{_subscription_path(project, name)}:modifyPushConfig",
        body={"pushConfig": {}},
        client=client,
    )


def _encode_data(data: bytes | str | Mapping[str, Any] | Sequence[Any]) -> str:
    if isinstance(data, str):
        raw = data.encode("utf-8")
    elif isinstance(data, bytes | bytearray):
        raw = bytes(data)
    else:
        raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def publish(
    host: str,
    project: str,
    topic: str,
    data: bytes | str | Mapping[str, Any] | Sequence[Any],
    *,
    attributes: Mapping[str, str] | None = None,
    ordering_key: str | None = None,
    client: httpx.Client | None = None,
) -> str:
    """``POST /v1/projects/P/topics/T:publish`` one message; return its message id.

    ``data`` may be bytes, text (UTF-8) or a JSON-serialisable value.
    """
    message: dict[str, Any] = {"data": _encode_data(data)}
    if attributes:
        message["attributes"] = dict(attributes)
    if ordering_key:
        message["orderingKey"] = ordering_key
    result = _call(
        "POST",
        host,
        f"{_topic_path(project, topic)}:publish",
        body={"messages": [message]},
        client=client,
    )
    ids = result.get("messageIds", [])
    if len(ids) != 1:
        raise PubSubAdminError("POST", f"{host} publish", 200, f"unexpected reply {result}")
    return str(ids[0])


@dataclass(frozen=True)
class ReceivedMessage:
    """A pulled message with ``data`` base64-decoded."""

    ack_id: str
    message_id: str
    data: bytes
    attributes: dict[str, str] = field(default_factory=dict)
    ordering_key: str = ""
    publish_time: str = ""
    delivery_attempt: int | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.data)

    @classmethod
    def from_rest(cls, item: Mapping[str, Any]) -> ReceivedMessage:
        msg: Mapping[str, Any] = item.get("message", {})
        attempt = item.get("deliveryAttempt")
        return cls(
            ack_id=str(item["ackId"]),
            message_id=str(msg.get("messageId", "")),
            data=base64.b64decode(msg.get("data", "")),
            attributes={str(k): str(v) for k, v in msg.get("attributes", {}).items()},
            ordering_key=str(msg.get("orderingKey", "")),
            publish_time=str(msg.get("publishTime", "")),
            delivery_attempt=int(attempt) if attempt is not None else None,
        )


def pull(
    host: str,
    project: str,
    subscription: str,
    max_messages: int = 10,
    *,
    wait: float = 5.0,
    client: httpx.Client | None = None,
) -> list[ReceivedMessage]:
    """``POST .../subscriptions/S:pull``; poll up to ``wait`` seconds for at least one message.

    Returns as soon as a pull yields messages (possibly fewer than ``max_messages``), or
    an empty list when ``wait`` runs out. ``wait=0`` makes a single attempt.
    """
    if max_messages < 1:
        raise ValueError(f"max_messages must be >= 1, got {max_messages}")
    path = f"{_subscription_path(project, subscription)}:pull"
    deadline = time.monotonic() + wait
    while True:
        result = _call(
            "POST",
            host,
            path,
            body={"maxMessages": max_messages, "returnImmediately": True},
            client=client,
        )
        received = [ReceivedMessage.from_rest(item) for item in result.get("receivedMessages", [])]
        if received or time.monotonic() >= deadline:
            return received
        time.sleep(0.05)


def ack(
    host: str,
    project: str,
    subscription: str,
    ack_ids: Sequence[str],
    *,
    client: httpx.Client | None = None,
) -> None:
    """``POST .../subscriptions/S:acknowledge``."""
    if isinstance(ack_ids, str):
        raise TypeError("ack_ids must be a sequence of ack ids, not a single str")
    if not ack_ids:
        return
    _call(
        "POST",
        host,
        f"{_subscription_path(project, subscription)}:acknowledge",
        body={"ackIds": list(ack_ids)},
        client=client,
    )
