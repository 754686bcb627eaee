"""The `payment_webhook` entry point's work: /payments/<rail>/<rest> -> one payment report.

A callback is a hint until verified: a signed one (NOWPayments) is applied as it is; an
unsigned one (M-Pesa, Pakasir) is confirmed by asking the provider with our credentials
about the reference *we* recorded for the payment the callback's URL (or Pakasir's order
id) names, and what the provider says is what gets applied. The rules that bind a report to
its payment live in the payment core (functions/payments/apply.py, callbacks.py and the
decider), not in the rails.

The error boundary: a sender outside the rail's IP allow-list, where one is set, is 403
(functions/payments/allowlist.py); a wrong token or signature is 401, a malformed body
400, a payment we do not have (or of another rail) 404 -- each writes nothing and calls no
provider. A provider refusing our status query is 400 (the reconcile job asks again). Only
our store or a provider being unavailable is 503, so the sender retries.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Literal

import flask

from functions.domain import payments
from functions.http import answer
from functions.payments import allowlist
from functions.payments.apply import apply_report
from functions.payments.callbacks import address
from functions.providers.base import (
    BadCallback,
    ProviderRefused,
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
    if not allowlist.admits(rt, rail_name, request):  # before anything is read or written
        sender = request.headers.get("X-Forwarded-For") or request.remote_addr or ""
        log.warning("callback for %s from %s: not on its allow-list", rail_name, sender[:200])
        return answer(403, "forbidden")
    rail = rt.rails().get(rail_name)
    if rail is None:
        return answer(404, "unknown payment rail")
    if (request.content_length or 0) > rt.settings.max_body_bytes:
        return answer(400, "body too large")
    body = request.get_data(cache=False)
    try:
        addressed = address(rail, rest)
        report = rail.read_callback(
            addressed.rest, dict(request.headers), body[: rt.settings.max_body_bytes + 1]
        )
    except Unauthorized:
        return answer(401, "unauthorized")
    except BadCallback as err:
        return answer(400, str(err))
    if addressed.payment_id is not None and report.payment_id != addressed.payment_id:
        return answer(400, "the callback is about another payment than its URL names")
    try:
        return settle(rt, rail, report)
    except ProviderRefused as err:
        log.info("payment %s not confirmed by %s: %s", report.payment_id, rail.name, err)
        return answer(400, "the provider does not confirm this payment")
    except (ProviderUnavailable, StoreUnavailable) as err:
        log.warning("payment %s not settled now: %s", report.payment_id, err)
        return answer(503, "try again")


def settle(rt: Runtime, rail: Rail, report: Report) -> Any:
    """Apply a parsed report to the payment it names; unknown payments are 404."""
    if not payments.is_payment_id(report.payment_id):
        return answer(404, "unknown payment")
    stream = payments.stream_of(report.payment_id)
    state = rt.pipeline.current(payments.payments, stream)
    if state.state == "new" or state.rail != rail.name:
        return answer(404, "unknown payment")  # nothing written, no provider asked
    trace = Trace(report.idempotency_key, correlation_id=stream)
    source: Literal["callback", "query"] = "callback"
    if not report.verified and payments.reference_mismatch(state, report) is None:
        report, trace = _confirmed(rail, state, report)
        source = "query"
    # A mismatching report is recorded as ignored (the decider says why) and moves nothing.
    apply_report(rt.pipeline, report, source, trace)
    return rail.acknowledgement()


def _confirmed(rail: Rail, state: payments.Payment, hint: Report) -> tuple[Report, Trace]:
    """What the provider says about the reference we recorded (the hint's, if we have none:
    the decider then holds any money for an admin instead of crediting it)."""
    assert state.amount is not None
    truth = rail.query(state.payment_id, state.query_ref() or hint.provider_ref, state.amount)
    # Keyed by what the provider says now: a callback re-sent after the status changed
    # (pending when first confirmed, paid later) is confirmed again, not dropped.
    # A status query may confirm without a receipt (M-Pesa's): keep the callback's.
    receipt = truth.receipt or hint.receipt
    key = f"{hint.idempotency_key}:{truth.status}"
    confirmed = dataclasses.replace(truth, idempotency_key=key, receipt=receipt)
    return confirmed, Trace(key, correlation_id=payments.stream_of(state.payment_id))
