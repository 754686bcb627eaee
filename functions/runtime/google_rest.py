"""What the two REST adapters (Pub/Sub publishing, functions/runtime/pubsub.py, and the
Firestore store, firestore_rest.py) share: the default service account's token from the
metadata server, and one lazily made httpx client that sends it, refreshing it once on a 401.

Neither imports a Google library: google-auth and the gRPC stacks cost cold start, and a
bearer token from the metadata server is all the two APIs need in the cloud.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx

from functions.runtime.tls import http_client

METADATA_URL = (
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"
)


class TokenUnavailable(Exception):
    """No access token could be obtained; the callers treat it as transient."""


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
            self._http = http_client(timeout=self._timeout_s, trust_env=False)
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


class GoogleRest:
    """POSTs to one Google REST API, authorised; no I/O until the first call.

    On an emulator no token is fetched: `emulator_token` is sent as is (the Firestore
    emulator takes "owner" as an admin that security rules do not apply to), or nothing.
    The loopback emulator bypasses HTTP(S)_PROXY; the cloud honours it.
    """

    def __init__(
        self,
        base: str,
        *,
        emulator: bool,
        emulator_token: str | None = None,
        token_source: TokenSource | None = None,
        http: httpx.Client | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.base = base.rstrip("/")
        self._emulator, self._emulator_token = emulator, emulator_token
        self._tokens = None if emulator else (token_source or MetadataServerToken())
        self._http, self._owns_http, self._timeout_s = http, http is None, timeout_s
        self._lock = threading.Lock()
        self._sent: str | None = None

    def post(self, path: str, *, json: Mapping[str, Any] | None = None, content: str = "") -> Any:
        """The response of POST `{base}/{path}`, after at most one token refresh on a 401.

        Raises httpx.TransportError, or TokenUnavailable; the caller judges the status."""
        refreshed = False
        while True:
            token = self._sent = self._token()
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            resp = self._client().post(
                f"{self.base}/{path}",
                headers=headers,
                timeout=self._timeout_s,
                **({"json": json} if json is not None else {"content": content}),
            )
            if resp.status_code == 401 and self._tokens is not None and not refreshed:
                # Revoked or rotated early: one fresh token.
                self._tokens.invalidate()
                refreshed = True
                continue
            return resp

    def redact(self, text: str) -> str:
        """`text` without the last token sent, for error messages."""
        token = self._sent
        return text.replace(token, "***") if token else text

    def close(self) -> None:
        with self._lock:
            if self._http is not None and self._owns_http:
                self._http.close()
                self._http = None

    def _token(self) -> str | None:
        if self._tokens is None:
            return self._emulator_token
        return self._tokens.token()

    def _client(self) -> httpx.Client:
        if self._http is None:
            with self._lock:  # lazily, once: no I/O at import or construction
                if self._http is None:
                    self._http = http_client(timeout=self._timeout_s, trust_env=not self._emulator)
        return self._http
