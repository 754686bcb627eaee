"""Deployed entry points. Each is a few lines; its work is imported on first call, so an
instance of one function never pays for importing another's dependencies."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework
from cloudevents.http import CloudEvent


@functions_framework.http
def telegram_webhook(request: flask.Request) -> Any:
    """Telegram updates: /start, /balance, …"""
    from functions.telegram.webhook import serve

    return serve(request)


@functions_framework.cloud_event
def project_balances(cloud_event: CloudEvent) -> None:
    """Pub/Sub `wallet-events` -> balances/{user}."""
    from functions.projections.balances import balances
    from functions.projections.endpoint import serve

    serve(balances, cloud_event.data)


@functions_framework.http
def scheduled_job(request: flask.Request) -> Any:
    """Cloud Scheduler: POST {"job": "relay"}."""
    from functions.jobs.endpoint import serve

    return serve(request)
