"""One verified TLS context per process, shared by every HTTP client we make.

httpx builds a context and loads a CA bundle into it for each Client (~15 ms: certifi's
certificates parsed by OpenSSL), plain-http clients included; a cold webhook on Firestore
made two before its first answer, a deployed one three (Firestore, Pub/Sub, the metadata
server). An `ssl.SSLContext` may be shared by clients and threads, so each instance loads
the bundle once, on the first client it makes.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def verified_context() -> ssl.SSLContext:
    """httpx's own default: certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR when set."""
    return httpx.create_ssl_context()


def http_client(*, timeout: float | httpx.Timeout, trust_env: bool = True) -> httpx.Client:
    """An httpx client verifying servers with the shared context. `trust_env=False` for
    loopback and the metadata server: no proxy from the environment may stand in between."""
    return httpx.Client(verify=verified_context(), timeout=timeout, trust_env=trust_env)
