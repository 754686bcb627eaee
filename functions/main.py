"""Deployed entry points. Each is a few lines; its work is imported on first call, so an
instance of one function never pays for importing another's dependencies. Each starts by
binding its request to the structured logs (stdlib only, so that costs nothing)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework
from cloudevents.http import CloudEvent

from functions.runtime import logs


@functions_framework.http
def telegram_webhook(request: flask.Request) -> Any:
    """Telegram updates: /start, /balance, …"""
    logs.start(request.headers.get(logs.TRACE_HEADER))
    from functions.telegram.webhook import serve

    return serve(request)


@functions_framework.cloud_event
def project_balances(cloud_event: CloudEvent) -> None:
    """Pub/Sub `wallet-events` -> balances/{user}."""
    logs.start(flask.request.headers.get(logs.TRACE_HEADER))
    from functions.projections.balances import balances
    from functions.projections.endpoint import serve

    serve(balances, cloud_event.data)


@functions_framework.cloud_event
def open_wallets(cloud_event: CloudEvent) -> None:
    """Pub/Sub `user-events` -> a wallet for every registered user."""
    logs.start(flask.request.headers.get(logs.TRACE_HEADER))
    from functions.reactors.endpoint import serve
    from functions.reactors.open_wallet import open_wallet

    serve(open_wallet, cloud_event.data)


@functions_framework.http
def payment_webhook(request: flask.Request) -> Any:
    """Provider callbacks at /payments/<rail>/…: verified, confirmed, applied once."""
    logs.start(request.headers.get(logs.TRACE_HEADER))
    from functions.payments.webhook import serve

    return serve(request)


@functions_framework.cloud_event
def credit_deposits(cloud_event: CloudEvent) -> None:
    """Pub/Sub `payment-events` -> a wallet credit for every succeeded deposit."""
    logs.start(flask.request.headers.get(logs.TRACE_HEADER))
    from functions.reactors.credit_deposit import credit_deposit
    from functions.reactors.endpoint import serve

    serve(credit_deposit, cloud_event.data)


@functions_framework.cloud_event
def debit_refunds(cloud_event: CloudEvent) -> None:
    """Pub/Sub `payment-events` -> a wallet debit for every refunded deposit."""
    logs.start(flask.request.headers.get(logs.TRACE_HEADER))
    from functions.reactors.debit_refund import debit_refund
    from functions.reactors.endpoint import serve

    serve(debit_refund, cloud_event.data)


@functions_framework.cloud_event
def project_payments(cloud_event: CloudEvent) -> None:
    """Pub/Sub `payment-events` -> payments/{payment id}."""
    logs.start(flask.request.headers.get(logs.TRACE_HEADER))
    from functions.projections.endpoint import serve
    from functions.projections.payments import payments_view

    serve(payments_view, cloud_event.data)


@functions_framework.cloud_event
def project_shop(cloud_event: CloudEvent) -> None:
    """Pub/Sub `product-`, `lot-` and `order-events` -> products/, stock/ and orders/."""
    logs.start(flask.request.headers.get(logs.TRACE_HEADER))
    from functions.projections.endpoint import serve
    from functions.projections.shop import SHOP_VIEWS

    serve(SHOP_VIEWS, cloud_event.data)


@functions_framework.cloud_event
def run_checkout(cloud_event: CloudEvent) -> None:
    """Pub/Sub product, lot, order, wallet and payment events -> the shop saga's steps."""
    logs.start(flask.request.headers.get(logs.TRACE_HEADER))
    from functions.reactors.checkout import CHECKOUT
    from functions.reactors.endpoint import serve

    serve(CHECKOUT, cloud_event.data)


@functions_framework.http
def scheduled_job(request: flask.Request) -> Any:
    """Cloud Scheduler: POST {"job": "relay"}."""
    logs.start(request.headers.get(logs.TRACE_HEADER))
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
    logs.start(flask.request.headers.get(logs.TRACE_HEADER))
    from functions.ops.dead_letter import serve

    serve(cloud_event["source"], cloud_event.data)


@functions_framework.cloud_event
def notify(cloud_event: CloudEvent) -> None:
    """Pub/Sub `payment-events` and `wallet-events` -> Telegram messages to users and admins."""
    logs.start(flask.request.headers.get(logs.TRACE_HEADER))
    from functions.notifications.endpoint import serve

    serve(cloud_event.data)
