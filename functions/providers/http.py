"""Calling a provider: bounded retries with backoff on transient failures only.

A 4xx other than 429 is the provider's answer and is returned to the rail to interpret;
timeouts, connection errors, 429 and 5xx are retried, then raise ProviderUnavailable.

A call that creates something (an STK push, an invoice) is resent only when the failure
proves the provider never received it (no connection, or 429 "slow down"); after a timeout,
a broken reply or a 5xx it may have been done, so it raises OutcomeUnknown instead: a second
push would prompt the customer twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from functions.providers.base import OutcomeUnknown, ProviderUnavailable
from functions.providers.pace import Gate
from functions.runtime import secrets
from functions.runtime.tls import http_client

if TYPE_CHECKING:
    from functions.providers.spec import RailSettings

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_RECEIVED_STATUSES = frozenset({429})  # the provider says it did nothing
# Transport errors raised before the request could reach the provider.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    creates: bool = False,
    **request: Any,
) -> httpx.Response:
    """The provider's response, or ProviderUnavailable once retries are spent (for a
    `creates` call, OutcomeUnknown as soon as it may have been received)."""
    reason = ""
    host = httpx.URL(url).host
    for attempt in range(attempts):
        try:
            response = client.request(method, url, **request)
        except httpx.TransportError as err:
            reason = type(err).__name__
            if creates and not isinstance(err, NOT_SENT):
                raise OutcomeUnknown(f"{host}: {reason}: the request may have arrived") from None
        else:
            if response.status_code not in TRANSIENT_STATUSES:
                return response
            reason = f"HTTP {response.status_code}"
            if creates and response.status_code not in NOT_RECEIVED_STATUSES:
                raise OutcomeUnknown(f"{host}: {reason}: the request may have been done")
        if attempt + 1 < attempts:
            sleep(random.uniform(0.5, 1.0) * min(2.0, 0.2 * 2**attempt))  # noqa: S311
    # The URL may carry credentials in its query (Pakasir's api_key): name only the host.
    raise ProviderUnavailable(f"{host}: {reason} after {attempts} attempts")


class ProviderHttp:
    """One provider's HTTP client, created on first use, with its retry policy."""

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        timeout_s: float = 10.0,
        pacer: Gate | None = None,
    ) -> None:
        self._client = client
        self._attempts = attempts
        self._sleep = sleep
        self._timeout_s = timeout_s
        # The provider's pace (functions/providers/pace.py) and quota (quota.py), if any.
        self._pacer = pacer

    @property
    def created(self) -> bool:
        """Whether a client exists yet (nothing connects at construction)."""
        return self._client is not None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = http_client(timeout=self._timeout_s)
        return self._client

    def send(
        self, method: str, url: str, *, via: Any = None, creates: bool = False, **request: Any
    ) -> httpx.Response:
        """send() with this provider's policy; `via` wraps the client for one kind of call."""
        client = via if via is not None else self.client
        if self._pacer is not None:
            self._pacer.wait(httpx.URL(url).host)
        return send(
            client,
            method,
            url,
            attempts=self._attempts,
            sleep=self._sleep,
            creates=creates,
            **request,
        )


def reveal_setting(settings: object, name: str, env_prefix: str) -> str:
    """A rail's secret setting, resolved (Secret Manager in the cloud); one that cannot be
    read now makes the provider unavailable, named by its variable, never its value."""
    value = getattr(settings, name)
    try:
        return secrets.reveal(value.get_secret_value())
    except secrets.SecretUnavailable as err:
        raise ProviderUnavailable(f"{env_prefix}{name.upper()} {err}") from None


def json_of(response: httpx.Response) -> object:
    """The response's JSON, or None when its body is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


SettingsT = TypeVar("SettingsT", bound="RailSettings")


def utcnow() -> datetime:
    return datetime.now(UTC)


class HttpRail(Generic[SettingsT]):
    """What every provider rail's adapter over HTTP is made of: its settings, its provider's HTTP
    client with the retry policy and the gate its calls wait at (quota and pace), and the
    clock. Each rail keeps its wire and its calls."""

    def __init__(
        self,
        settings: SettingsT,
        client: httpx.Client | None = None,
        now: Callable[[], datetime] = utcnow,
        *,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 3,
        timeout_s: float = 10.0,
        pacer: Gate | None = None,  # build() gives the rail's quota and pace
    ) -> None:
        self.settings = settings
        self._http = ProviderHttp(
            client, attempts=attempts, sleep=sleep, timeout_s=timeout_s, pacer=pacer
        )
        self._now = now

    def configured(self) -> bool:
        return self.settings.configured()
