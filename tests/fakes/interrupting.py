"""A transport to a fake provider that interrupts chosen requests, to prove what a rail
resends: a connection that never opened, or a reply lost after the fake did the work."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Action = Callable[[httpx.Request, httpx.BaseTransport], httpx.Response]


class Interrupting(httpx.BaseTransport):
    """The real transport to the fake, except that each request to `path` first meets the
    next of `actions`."""

    def __init__(self, path: str, *actions: Action) -> None:
        self.inner = httpx.HTTPTransport(trust_env=False)
        self.path, self.actions = path, list(actions)
        self.attempts = 0  # requests to `path` the client tried to send

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path:
            self.attempts += 1
            if self.actions:
                return self.actions.pop(0)(request, self.inner)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def not_connected(kind: type[httpx.TransportError] = httpx.ConnectError) -> Action:
    """The request never left: the connection could not be made."""

    def act(request: httpx.Request, inner: httpx.BaseTransport) -> httpx.Response:
        raise kind("no connection to the provider", request=request)

    return act


def reply_lost(kind: type[httpx.TransportError] = httpx.ReadTimeout) -> Action:
    """The fake gets and carries out the request, but its reply never reaches the rail."""

    def act(request: httpx.Request, inner: httpx.BaseTransport) -> httpx.Response:
        response = inner.handle_request(request)
        response.read()
        response.close()
        raise kind("the reply did not come back", request=request)

    return act


def too_many_requests(request: httpx.Request, inner: httpx.BaseTransport) -> httpx.Response:
    """The provider's gateway turned the request away without doing anything."""
    return httpx.Response(429, json={"message": "Too Many Requests"}, request=request)
