"""The Publisher port over Pub/Sub's REST API with httpx: google-cloud-pubsub costs ~0.55 s
of cold start to import, httpx ~0.17 s; the token comes from the metadata server, not google-auth
(functions/runtime/google_rest.py).
"""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable, Sequence

import httpx

from events import Envelope
from functions.runtime.google_rest import GoogleRest, TokenSource, TokenUnavailable
from functions.runtime.ports import PublishFailed
from functions.runtime.settings import Settings
from functions.runtime.topics import topic_for

MAX_MESSAGES = 1000  # per publish request (service limit)
MAX_REQUEST_BYTES = 9_500_000  # the limit is 10 MB; headroom for the request's own framing
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


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
        self._project, self._attempts, self._sleep = project, max(1, attempts), sleep
        # The emulator takes no credentials; the cloud needs a token (no I/O until used).
        self._api = GoogleRest(
            f"http://{emulator_host}" if emulator_host else endpoint,
            emulator=emulator_host is not None,
            token_source=token_source,
            http=http,
            timeout_s=timeout_s,
        )

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
        self._api.close()

    def _post(self, topic: str, messages: list[str]) -> None:
        path = f"v1/projects/{self._project}/topics/{topic}:publish"
        body = '{"messages":[' + ",".join(messages) + "]}"
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self._api.post(path, content=body)
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
                raise PublishFailed(self._api.redact(reason)) from err
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
