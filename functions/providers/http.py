"""Calling a provider: bounded retries with backoff on transient failures only.

A 4xx other than 429 is the provider's answer and is returned to the rail to interpret;
timeouts, connection errors, 429 and 5xx are retried, then raise ProviderUnavailable.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from functions.providers.base import ProviderUnavailable

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    **request: Any,
) -> httpx.Response:
    """The provider's response, or ProviderUnavailable once retries are spent."""
    reason = ""
    for attempt in range(attempts):
        try:
            response = client.request(method, url, **request)
        except httpx.TransportError as err:
            reason = type(err).__name__
        else:
            if response.status_code not in TRANSIENT_STATUSES:
                return response
            reason = f"HTTP {response.status_code}"
        if attempt + 1 < attempts:
            sleep(random.uniform(0.5, 1.0) * min(2.0, 0.2 * 2**attempt))  # noqa: S311
    # The URL may carry credentials in its query (Pakasir's api_key): name only the host.
    raise ProviderUnavailable(f"{httpx.URL(url).host}: {reason} after {attempts} attempts")
