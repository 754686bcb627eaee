"""Applying a provider's report to its payment: the one path every rail's money takes.

The callback webhook, the reconcile job and Telegram's `successful_payment` all come here,
so the rules hold for every rail that exists and every rail added later:
- a report's idempotency key is scoped to its payment's stream: one payment's report can
  never make another payment's report look like a duplicate;
- the payment decider moves money only on a verified report naming the provider reference
  recorded at the start (functions/domain/payments.py);
- a second, distinct movement of money for a settled payment is recorded as a payment of its
  own, held for an admin, never dropped and never credited on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from functions.domain import payments
from functions.providers.base import Report
from functions.runtime.pipeline import Pipeline, Trace
from functions.runtime.ports import Appended


@dataclass(frozen=True)
class Applied:
    appended: Appended
    repeat_id: str | None = None  # the payment opened for money that arrived again

    @property
    def types(self) -> set[str]:
        return {e.type for e in self.appended.events}


def scoped_key(payment_id: str, key: str) -> str:
    """A report's idempotency key, scoped to its payment."""
    return f"{payments.stream_of(payment_id)}:{key}"


def apply_report(
    pipeline: Pipeline,
    report: Report,
    source: Literal["callback", "query"],
    trace: Trace,
) -> Applied:
    """Decide `report` on its payment; `trace.idempotency_key` is scoped here."""
    stream = payments.stream_of(report.payment_id)
    key = scoped_key(report.payment_id, trace.idempotency_key or report.idempotency_key)
    scoped = Trace(key, trace.causation_id or key, trace.correlation_id or stream)
    try:
        appended = pipeline.execute(
            payments.payments, stream, payments.Apply(report, source), scoped
        )
    except payments.RepeatPayment as repeat:
        return _open_repeat(pipeline, repeat, scoped)
    return Applied(appended)


def _open_repeat(pipeline: Pipeline, repeat: payments.RepeatPayment, trace: Trace) -> Applied:
    repeat_id = repeat.repeat_id
    command = payments.OpenRepeat(repeat_id, repeat.state, repeat.report)
    stream = payments.stream_of(repeat_id)
    # The repeat's id derives from the money's own id, so a redelivery finds it opened.
    why = Trace(None, trace.causation_id, trace.correlation_id)
    appended = pipeline.execute(payments.payments, stream, command, why)
    return Applied(appended, repeat_id)
