"""The Publisher port over Pub/Sub's REST API with httpx: google-cloud-pubsub costs ~0.55 s
of cold start to import, httpx ~0.17 s; the token comes from the metadata server, not google-auth.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import httpx

from events import Envelope
from functions.runtime.ports import PublishFailed
from functions.runtime.settings import Settings
from functions.runtime.topics import topic_for

METADATA_URL = (
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"
)
MAX_MESSAGES = 1000  # per publish request (service limit)
MAX_REQUEST_BYTES = 9_500_000  # the limit is 10 MB; headroom for the request's own framing
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class TokenUnavailable(Exception):
    """No access token could be obtained; treated as transient by the publisher."""


class TokenSource(Protocol):
    # A valid OAuth access token; raises TokenUnavailable if none can be had.
    def token(self) -> str: ...

    # Forget a cached token: the service answered 401 to it.
    def invalidate(self) -> None: ...


class MetadataServerToken:
    """The default service account's token from the metadata server, cached until near expiry."""

    def __init__(
        self,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout_s: float = 5.0,
        margin_s: float = 60.0,
    ) -> None:
        self._http, self._clock, self._timeout_s, self._margin_s = http, clock, timeout_s, margin_s
        # One lock for cache and fetch: threads of a warm instance wait for one fetch
        # instead of all hitting the metadata server when the token expires.
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._token, self._refresh_at = self._fetch()
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        if self._http is None:  # the metadata server is link-local: never via a proxy
            self._http = httpx.Client(trust_env=False, timeout=self._timeout_s)
        try:
            resp = self._http.get(
                METADATA_URL, headers={"Metadata-Flavor": "Google"}, timeout=self._timeout_s
            )
            resp.raise_for_status()
            body = resp.json()
            token, expires_in = str(body["access_token"]), float(body["expires_in"])
            if str(body.get("token_type", "Bearer")).lower() != "bearer" or not token:
                raise ValueError("not a bearer token")
        except (httpx.HTTPError, ValueError, LookupError, TypeError, AttributeError) as err:
            # The type only: a response body could hold the token.
            raise TokenUnavailable(f"metadata server token: {type(err).__name__}") from err
        return token, self._clock() + expires_in - self._margin_s


class PubSubPublisher:
    """Publishes envelopes to `topic_for(stream)`, ordering key = stream; blocks until accepted."""

    def __init__(
        self,
        project: str,
        *,
        endpoint: str = "https://pubsub.googleapis.com",
        emulator_host: str | None = None,
        token_source: TokenSource | None = None,
        http: httpx.Client | None = None,
        attempts: int = 3,
        timeout_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._project, self._attempts, self._timeout_s, self._sleep = (
            project, max(1, attempts), timeout_s, sleep,
        )  # fmt: skip
        self._emulator = emulator_host is not None
        self._base = f"http://{emulator_host}" if emulator_host else endpoint.rstrip("/")
        # The emulator takes no credentials; the cloud needs a token (no I/O until used).
        self._tokens = None if self._emulator else (token_source or MetadataServerToken())
        self._http, self._owns_http = http, http is None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> PubSubPublisher:
        return cls(
            settings.project(),
            endpoint=settings.pubsub_endpoint,
            emulator_host=settings.pubsub_emulator_host,
        )

    def publish(self, events: Sequence[Envelope]) -> None:
        by_topic: dict[str, list[Envelope]] = {}
        for envelope in events:
            by_topic.setdefault(topic_for(envelope.stream), []).append(envelope)
        # Sequential on purpose: chunks of a stream go out in order, so its versions do too.
        for topic, batch in by_topic.items():
            for chunk in _chunks(topic, batch):
                self._post(topic, chunk)

    def close(self) -> None:
        with self._lock:
            if self._http is not None and self._owns_http:
                self._http.close()
                self._http = None

    def _client(self) -> httpx.Client:
        if self._http is None:
            with self._lock:  # lazily, once: no I/O at import or construction
                if self._http is None:
                    # Loopback emulator must bypass HTTP(S)_PROXY; the cloud honours it.
                    self._http = httpx.Client(trust_env=not self._emulator, timeout=self._timeout_s)
        return self._http

    def _post(self, topic: str, messages: list[str]) -> None:
        url = f"{self._base}/v1/projects/{self._project}/topics/{topic}:publish"
        body = '{"messages":[' + ",".join(messages) + "]}"
        attempt, refreshed, token = 0, False, ""
        while True:
            attempt += 1
            try:
                headers = {"Content-Type": "application/json"}
                if self._tokens is not None:
                    token = self._tokens.token()
                    headers["Authorization"] = f"Bearer {token}"
                resp = self._client().post(
                    url, content=body, headers=headers, timeout=self._timeout_s
                )
                if resp.status_code == 401 and self._tokens is not None and not refreshed:
                    # Revoked or rotated early: one fresh token, not counted as an attempt.
                    self._tokens.invalidate()
                    refreshed, attempt = True, attempt - 1
                    continue
                resp.raise_for_status()
                reply = resp.json()
                ids = reply.get("messageIds", []) if isinstance(reply, dict) else []
                if len(ids) != len(messages):  # not retried: it may have accepted some
                    raise PublishFailed(f"{topic}: {len(ids)} ids for {len(messages)} messages")
                return
            except (httpx.TransportError, httpx.HTTPStatusError, TokenUnavailable) as err:
                # Network, token and 429/5xx errors are transient; any other 4xx is final. A retry
                # after a lost reply may duplicate messages: subscribers dedupe by event_id.
                status = err.response.status_code if isinstance(err, httpx.HTTPStatusError) else 0
                if (status == 0 or status in RETRY_STATUSES) and attempt < self._attempts:
                    delay = min(5.0, 0.2 * 2 ** (attempt - 1))
                    # Jitter spreads the retries of many instances; not a secret.
                    self._sleep(delay / 2 + random.uniform(0, delay / 2))  # noqa: S311
                    continue
                reason = f"publish to {topic} failed after {attempt} attempt(s): {_why(err)}"
                raise PublishFailed(reason.replace(token, "***") if token else reason) from err
            except ValueError as err:  # a 2xx without a JSON body
                raise PublishFailed(f"{topic}: unreadable publish response") from err


def _why(err: Exception) -> str:
    if isinstance(err, httpx.HTTPStatusError):
        try:
            detail = str(err.response.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            detail = err.response.text
        return f"HTTP {err.response.status_code} {detail[:200]}".strip()
    return f"{type(err).__name__}: {str(err)[:200]}"


def _chunks(topic: str, batch: list[Envelope]) -> list[list[str]]:
    """Encoded messages, split to fit one publish request each."""
    chunks: list[list[str]] = [[]]
    size = 0
    for e in batch:
        attributes = {"type": e.type, "stream": e.stream, "event_id": e.event_id}
        data = base64.b64encode(e.to_json().encode()).decode("ascii")
        # ensure_ascii (the default) makes len() the byte count.
        message = json.dumps({"data": data, "attributes": attributes, "orderingKey": e.stream})
        if len(message) > MAX_REQUEST_BYTES:
            raise PublishFailed(f"{topic}: event {e.event_id} exceeds the size limit")
        if len(chunks[-1]) == MAX_MESSAGES or size + len(message) + 1 > MAX_REQUEST_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(message)
        size += len(message) + 1
    return [c for c in chunks if c]
