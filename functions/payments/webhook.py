"""The `payment_webhook` entry point's work: /payments/<rail>/<rest> -> one payment report.

A callback is a hint until verified: a signed one (NOWPayments) is applied as it is; an
unsigned one (M-Pesa, Pakasir) is confirmed by asking the provider with our credentials,
and what the provider says is what gets applied. Bad input is 401/400/404 and writes
nothing; a provider or store outage is 503 so the sender retries (and the reconcile job
settles it regardless).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import flask

from events import decode
from functions.domain import payments
from functions.http import answer
from functions.providers.base import (
    BadCallback,
    ProviderUnavailable,
    Rail,
    Report,
    Unauthorized,
)
from functions.runtime.bootstrap import Runtime, runtime
from functions.runtime.pipeline import Trace
from functions.runtime.ports import StoreUnavailable

log = logging.getLogger(__name__)


def serve(request: flask.Request) -> Any:
    rt = runtime()
    rail_name, _, rest = request.path.strip("/").removeprefix("payments/").partition("/")
    rail = rt.rails().get(rail_name)
    if rail is None:
        return answer(404, "unknown payment rail")
    if (request.content_length or 0) > rt.settings.max_body_bytes:
        return answer(400, "body too large")
    body = request.get_data(cache=False)
    try:
        report = rail.read_callback(
            rest, dict(request.headers), body[: rt.settings.max_body_bytes + 1]
        )
    except Unauthorized:
        return answer(401, "unauthorized")
    except BadCallback as err:
        return answer(400, str(err))
    try:
        return settle(rt, rail, report)
    except (ProviderUnavailable, StoreUnavailable) as err:
        log.warning("payment %s not settled now: %s", report.payment_id, err)
        return answer(503, "try again")


def settle(rt: Runtime, rail: Rail, report: Report) -> Any:
    """Apply a parsed report to its payment; unknown payments are 404 and write nothing."""
    stream = payments.stream_of(report.payment_id)
    source: Any = "callback"
    key = report.idempotency_key
    if not report.verified:
        # The payment's state is needed before asking the provider, and an unknown one must
        # be refused before any call goes out. A signed report skips this read: the
        # pipeline loads the stream anyway and refuses an unknown payment itself.
        history = rt.store.load(stream)
        if not history:
            return answer(404, "unknown payment")
        state = payments.payments.fold(decode(e) for e in history)
        assert state.amount is not None
        truth = rail.query(
            report.payment_id, report.provider_ref or state.provider_ref, state.amount
        )
        # Keyed by what the provider says now: a callback re-sent after the status changed
        # (pending when first confirmed, paid later) is confirmed again, not dropped.
        # A status query may confirm without a receipt (M-Pesa's): keep the callback's.
        receipt = truth.receipt or report.receipt
        report = dataclasses.replace(truth, idempotency_key=key, receipt=receipt)
        source = "query"
        key = f"{key}:{truth.status}"
    trace = Trace(key, causation_id=key, correlation_id=stream)
    try:
        rt.pipeline.execute(payments.payments, stream, payments.Apply(report, source), trace)
    except payments.UnknownPayment:
        return answer(404, "unknown payment")
    return rail.acknowledgement()
