"""Starting a payment: record the request, ask the rail, record what it answered.

Idempotent per inbound update: the payment id derives from the update's key, and only the
delivery that recorded the request asks the provider. A redelivered update (or one racing
its first delivery) finds the payment and answers with the instructions recorded at the
start, or with the reason it did not start: never a second STK push or invoice.

The request is recorded first, so a payment the provider accepted is never unknown to us
even if this instance dies before recording the start (the reconcile job can ask). A
provider call whose outcome is unknown (a timeout after the request went out) is recorded as
such and never repeated: a callback, a status query or the payment's expiry settles it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from events import Money
from events.payments import Purpose
from functions.domain import payments
from functions.payments.callbacks import callback_url
from functions.payments.health import Seen
from functions.payments.ids import payment_id_for
from functions.providers.base import (
    DECLINED,
    NOT_AVAILABLE,
    Instructions,
    OutcomeUnknown,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
)
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.runtime.settings import MissingSetting

log = logging.getLogger(__name__)

# How long a payment whose start timed out waits for a callback or a status query before
# the expire job closes it (money that arrives later is still recorded: it is held).
UNKNOWN_START_TTL = timedelta(minutes=30)
UNAVAILABLE_REASON = "provider unavailable"  # as recorded
# Sent to the provider, which may show it on its own page: not in the payer's language.
DESCRIPTIONS: dict[Purpose, str] = {
    "wallet_deposit": "Soko wallet top-up",
    "order": "Soko order",
    "circle_contribution": "Soko circle contribution",
    "subscription": "Soko subscription",
    "donation": "Soko donation",
    "tier": "Soko circle tier",
}

# What the payer is told instead of (or before) a rail's instructions, by name: the
# Telegram adapter words each one in the catalogue (functions/texts/english/payments.py).
Told = Literal[
    "declined",  # the provider refused, with no words of the rail's for the payer
    "not_available",  # a refusal that is ours to fix (credentials): choose another way
    "unavailable",  # the provider did not answer: try again in a few minutes
    "rail_refused",  # the rail worded the refusal for the payer: `problem`
    "start_unknown",  # the request may have reached the provider: it is never resent
    "starting",  # another delivery of this update is starting it right now
    "already_started",  # started before, nothing recorded to show again: it is `state`
]
NOT_STARTED: frozenset[Told] = frozenset(
    {"declined", "not_available", "unavailable", "rail_refused"}
)


@dataclass(frozen=True)
class Outcome:
    payment_id: str
    instructions: Instructions | None  # how to pay, as the rail said; None if not (yet)
    purpose: Purpose = "wallet_deposit"
    told: Told | None = None  # what to tell the payer when there are no instructions
    problem: str = ""  # "rail_refused": the rail's own words for the payer
    state: payments.State = "pending"  # "already_started": where the payment stands

    @property
    def started(self) -> bool:
        """False when the payment did not start: nothing to pay, nothing to show later."""
        return self.told not in NOT_STARTED


def start_payment(
    rt: Runtime,
    *,
    user_id: int,
    rail_name: str,
    amount: Money,
    purpose: Purpose,
    trace: Trace,
    phone: str | None = None,
    subject: str | None = None,
) -> Outcome:
    rail = rt.rails()[rail_name]
    base = rt.settings.public_base_url
    if not base:
        raise MissingSetting("SOKO_PUBLIC_BASE_URL is not set")
    payment_id = payment_id_for(trace)
    stream = payments.stream_of(payment_id)
    why = Trace(None, trace.causation_id, trace.correlation_id or stream)
    request = payments.Request(payment_id, user_id, purpose, amount, rail_name, subject)
    requested = rt.pipeline.execute(payments.payments, stream, request, why)
    if not requested.events or requested.duplicate:
        # Another delivery of this update recorded the request: it asks the provider.
        return _as_recorded(rt.pipeline.current(payments.payments, stream))
    began = time.monotonic()

    def record(outcome: Seen) -> None:
        latency_ms = int((time.monotonic() - began) * 1000)
        rt.health().record(rail_name, outcome, latency_ms, rt.clock.now())

    try:
        url = callback_url(base, rail, payment_id)
        started = rail.start(
            PaymentRequest(payment_id, user_id, amount, url, DESCRIPTIONS[purpose], phone)
        )
    except OutcomeUnknown as err:
        record("unknown")
        until = rt.clock.now() + UNKNOWN_START_TTL
        rt.pipeline.execute(
            payments.payments, stream, payments.MarkStartUnknown(str(err)[:500], until), why
        )
        return Outcome(payment_id, None, purpose, "start_unknown")
    except ProviderRefused as err:
        record("refused")
        # The provider's words are recorded (the payment's audit trail) and logged; the
        # payer reads what the rail says they can do about it.
        log.warning("payment %s refused by %s: %s", payment_id, rail_name, err)
        reason = str(err)[:500]
        rt.pipeline.execute(payments.payments, stream, payments.MarkStartFailed(reason), why)
        return _refused(payment_id, purpose, err.customer)
    except ProviderUnavailable as err:
        record("unavailable")
        log.warning("payment %s not started, %s unavailable: %s", payment_id, rail_name, err)
        failed = payments.MarkStartFailed(UNAVAILABLE_REASON)
        rt.pipeline.execute(payments.payments, stream, failed, why)
        return Outcome(payment_id, None, purpose, "unavailable")
    record("started")
    marked = payments.MarkStarted(started.provider_ref, started.expires_at, started.instructions)
    rt.pipeline.execute(payments.payments, stream, marked, why)
    return Outcome(payment_id, started.instructions, purpose)


def _refused(payment_id: str, purpose: Purpose, customer: str) -> Outcome:
    """A provider's refusal as the payer hears it: the rail's stock answers by name (the
    catalogue words them in the payer's language), anything else in the rail's own words."""
    if customer == DECLINED:
        return Outcome(payment_id, None, purpose, "declined")
    if customer == NOT_AVAILABLE:
        return Outcome(payment_id, None, purpose, "not_available")
    return Outcome(payment_id, None, purpose, "rail_refused", problem=customer)


def _as_recorded(state: payments.Payment) -> Outcome:
    """The answer the first delivery gave, from what it recorded."""
    answer = Outcome(state.payment_id, None, state.purpose)
    if state.state == "requested":
        return replace(answer, told="starting")
    if state.state == "failed" and state.instructions is None:
        # What was recorded is the provider's own words: never shown to the payer.
        unavailable = state.failure == UNAVAILABLE_REASON
        return replace(answer, told="unavailable" if unavailable else "declined")
    if state.instructions is not None:
        return replace(answer, instructions=state.instructions)
    if state.state == "pending" and state.provider_ref is None:
        return replace(answer, told="start_unknown")
    return replace(answer, told="already_started", state=state.state)
