"""Every HTTP client of an instance verifies servers with one shared TLS context."""

from __future__ import annotations

import ssl

import httpx
import pytest

from functions.runtime import tls

pytestmark = pytest.mark.unit


def _context_of(client: httpx.Client) -> ssl.SSLContext:
    transport = client._transport
    assert isinstance(transport, httpx.HTTPTransport)
    found = transport._pool._ssl_context
    assert isinstance(found, ssl.SSLContext)
    return found


def test_clients_share_one_context_that_verifies_servers() -> None:
    first = tls.http_client(timeout=5.0)
    second = tls.http_client(timeout=httpx.Timeout(10.0, connect=5.0), trust_env=False)
    assert _context_of(first) is _context_of(second) is tls.verified_context()
    assert tls.verified_context().verify_mode == ssl.CERT_REQUIRED
    assert tls.verified_context().check_hostname
    assert tls.verified_context().get_ca_certs()  # a bundle is loaded
    assert (first.timeout.read, second.timeout.connect) == (5.0, 5.0)
    assert (first.trust_env, second.trust_env) == (True, False)
