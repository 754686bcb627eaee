"""Payment jobs: settle what callbacks did not, and expire what was never paid."""

from __future__ import annotations

import logging
from datetime import timedelta

from functions.domain import payments
from functions.payments.apply import apply_report
from functions.projections.payments import pending_since, pending_until
from functions.providers.base import RailError
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace

log = logging.getLogger(__name__)


def reconcile(rt: Runtime) -> dict[str, int]:
    """Ask the provider about every payment pending longer than the configured age, about
    the reference we recorded for it (never one a callback named)."""
    cutoff = rt.clock.now() - timedelta(seconds=rt.settings.reconcile_after_s)
    settled = unavailable = 0
    for due in pending_since(rt.read_models, cutoff, rt.settings.payments_batch):
        rail = rt.rails().get(due.rail)
        if rail is None:
            continue  # Stars and manual transfers have no provider to ask
        payment_id = due.payment_id
        state = rt.pipeline.current(payments.payments, payments.stream_of(payment_id))
        if state.amount is None or state.state not in payments.OPEN:
            continue  # the view lags the stream: settled meanwhile
        try:
            truth = rail.query(payment_id, state.query_ref(), state.amount)
        except RailError as err:
            # Down, or cannot answer yet (NOWPayments knows a payment id only once the user
            # paid, and its signed IPN settles it): one payment never fails the whole run.
            log.info("reconcile %s: %s", payment_id, type(err).__name__)
            unavailable += 1
            continue
        key = f"reconcile:{truth.status}"
        applied = apply_report(rt.pipeline, truth, "query", Trace(key))
        fresh = applied.appended.events and not applied.appended.duplicate
        settled += 1 if fresh else 0
    return {"settled": settled, "provider_unavailable": unavailable}


def expire(rt: Runtime) -> dict[str, int]:
    """Close pending payments whose deadline passed (a QRIS code is valid 10 minutes)."""
    now = rt.clock.now()
    expired = 0
    for due in pending_until(rt.read_models, now, rt.settings.payments_batch):
        stream = payments.stream_of(due.payment_id)
        key = f"expire:{due.payment_id}"
        appended = rt.pipeline.execute(
            payments.payments, stream, payments.Expire(now), Trace(key, key, stream)
        )
        expired += 1 if appended.events and not appended.duplicate else 0
    return {"expired": expired}
