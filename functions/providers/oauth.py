"""The OAuth client-credentials token the rails that need one share (M-Pesa, MTN MoMo,
Airtel): minting it, reading the provider's reply, and using it with one refresh when the
provider rejects it. Each rail keeps only how it asks for a token (URL, verb, credentials)
and how it tells a rejected token; the token itself is one `SharedToken` per provider
account, kept in the runtime's token cache (functions/providers/token_cache.py).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from functions.providers.base import NOT_AVAILABLE, ProviderRefused, ProviderUnavailable
from functions.providers.http import HttpRail, ProviderHttp, SettingsT, json_of, utcnow
from functions.providers.pace import Gate
from functions.providers.token_cache import SharedToken, TokenCache
from functions.runtime import logs


def token_reply(rail: str, data: object) -> tuple[str, int]:
    """(access_token, expires_in seconds) of a token reply. expires_in may be a number or
    a string of digits (Airtel's "180", older Daraja replies); anything else is no token."""
    token = data.get("access_token") if isinstance(data, dict) else None
    lifetime = data.get("expires_in") if isinstance(data, dict) else None
    if isinstance(lifetime, str) and lifetime.strip().isdigit():
        lifetime = int(lifetime)
    if not isinstance(token, str) or not token:
        raise ProviderUnavailable(f"{rail}: token reply without an access_token")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime <= 0:
        raise ProviderUnavailable(f"{rail}: token reply without a valid expires_in")
    return token, lifetime


def mint(
    http: ProviderHttp,
    rail: str,
    now: Callable[[], datetime],
    method: str,
    url: str,
    check: str,
    **request: Any,
) -> tuple[str, datetime]:
    """Ask the provider for a token; a refusal names what to `check` (the credentials), and
    the token is registered so no log line ever shows it."""
    response = http.send(method, url, **request)
    if response.status_code >= 400:
        raise ProviderRefused(
            f"{rail}: token refused (HTTP {response.status_code}): check {check}", NOT_AVAILABLE
        )
    token, lifetime = token_reply(rail, json_of(response))
    logs.never_log(token)
    return token, now() + timedelta(seconds=lifetime)


def _unauthorised(response: httpx.Response) -> bool:
    return response.status_code == 401


def with_token(
    token: SharedToken,
    send: Callable[[str], httpx.Response],
    rejected: Callable[[httpx.Response], bool] = _unauthorised,
) -> httpx.Response:
    """`send` with the shared token; when the provider rejects it (it did nothing then),
    once more with a fresh one (another instance's newer token, or a new mint)."""
    first = token.get()
    response = send(first)
    if rejected(response):
        response = send(token.get(rejected=first))
    return response


def account_name(rail: str, market: str, *identity: str) -> str:
    """The token cache's name for one provider account, e.g. `mtnmomo-mtnuganda-1a2b3c4d5e6f`:
    readable by its market, distinct by a digest of what identifies the account."""
    digest = hashlib.sha256("|".join(identity).encode()).hexdigest()[:12]
    return f"{rail}-{market or 'none'}-{digest}"


class TokenRail(HttpRail[SettingsT]):
    """An HttpRail whose calls carry the account's shared OAuth token (`self.token`); the
    rail says how its token is named and minted."""

    def __init__(
        self,
        settings: SettingsT,
        client: httpx.Client | None = None,
        now: Callable[[], datetime] = utcnow,
        *,
        token_cache: TokenCache,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 3,
        timeout_s: float = 10.0,
        pacer: Gate | None = None,  # build() gives the rail's quota and pace
    ) -> None:
        super().__init__(
            settings, client, now, sleep=sleep, attempts=attempts, timeout_s=timeout_s,
            pacer=pacer,
        )  # fmt: skip
        self.token = SharedToken(token_cache, self.token_name(), self._mint, now)

    def token_name(self) -> str:
        """The token cache's name for this account's token."""
        raise NotImplementedError

    def _mint(self) -> tuple[str, datetime]:
        """A new token from the provider and its expiry (usually through `mint`)."""
        raise NotImplementedError
