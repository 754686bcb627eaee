"""Deployed entry points. Each is a few lines; its work is imported on first call, so an
instance of one function never pays for importing another's dependencies. Each starts by
binding its request to the structured logs (stdlib only, so that costs nothing).

The HTTP functions are written out below. Every Pub/Sub subscriber the contexts declare
(functions/contexts/) is made by `__getattr__` when looked up by name, and goes to the one
subscriber endpoint, functions/subscriber.py. A unit test fails when this file, the root
main.py and the topology disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import flask
import functions_framework
from cloudevents.http import CloudEvent

from functions.runtime import logs
from functions.runtime.warmup import FirstRequest

FIRST_REQUEST = FirstRequest()


def __getattr__(name: str) -> Callable[[CloudEvent], None]:
    """A subscriber's entry point, made when functions-framework looks it up by name: the
    contexts declare the subscribers, so a new one needs no edit here."""
    if name.startswith("__"):  # the import machinery's probes: not entry points
        raise AttributeError(name)
    from functions.contexts import REGISTRY

    try:
        REGISTRY.subscriber(name)
    except LookupError as err:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from err
    return _subscriber_entry_point(name)


@cache
def _subscriber_entry_point(name: str) -> Callable[[CloudEvent], None]:
    def entry_point(cloud_event: CloudEvent) -> None:
        with _request(flask.request.headers.get(logs.TRACE_HEADER)):
            from functions.subscriber import serve

            serve(name, cloud_event.data)

    # functions-framework registers the signature type under the function's name.
    entry_point.__name__ = entry_point.__qualname__ = name
    entry_point.__doc__ = f"Pub/Sub push -> what the `{name}` subscriber serves."
    return functions_framework.cloud_event(entry_point)


@functions_framework.http
def telegram_webhook(request: flask.Request) -> Any:
    """Telegram updates: /start, /balance, …"""
    with _request(request.headers.get(logs.TRACE_HEADER)):
        from functions.telegram.webhook import serve

        return serve(request)


@functions_framework.http
def payment_webhook(request: flask.Request) -> Any:
    """Provider callbacks at /payments/<rail>/…: verified, confirmed, applied once."""
    with _request(request.headers.get(logs.TRACE_HEADER)):
        from functions.payments.webhook import serve

        return serve(request)


@functions_framework.http
def scheduled_job(request: flask.Request) -> Any:
    """Cloud Scheduler: POST {"job": "relay"}."""
    with _request(request.headers.get(logs.TRACE_HEADER)):
        from functions.jobs.endpoint import serve

        return serve(request)


@functions_framework.http
def health(request: flask.Request) -> Any:
    """Store and bus reachability and the relay backlog: 200, or 503 when unreachable."""
    logs.start(request.headers.get(logs.TRACE_HEADER))
    from functions.ops.health import serve

    return serve()


@functions_framework.cloud_event
def dead_letter(cloud_event: CloudEvent) -> None:
    """Pub/Sub `<subscription>-dead` -> an event on the stream deadletter-<subscription>."""
    with _request(flask.request.headers.get(logs.TRACE_HEADER)):
        from functions.ops.dead_letter import serve

        serve(cloud_event["source"], cloud_event.data)


@contextmanager
def _request(trace: str | None) -> Iterator[None]:
    """One request: its log lines carry its trace; before it is answered, what it published
    and no append of it marked is marked, so the relay does not publish it again
    (functions/runtime/pipeline.py). The instance's first request runs without the cyclic
    garbage collector (functions/runtime/warmup.py)."""
    logs.start(trace)
    first = FIRST_REQUEST.begin()
    try:
        yield
    finally:
        from functions.runtime.bootstrap import settle_marks

        try:
            settle_marks()
        finally:
            FIRST_REQUEST.end(first)
