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
from dataclasses import dataclass
from datetime import timedelta

from events import Money
from events.payments import Purpose
from functions.domain import payments
from functions.payments.callbacks import callback_url
from functions.payments.ids import payment_id_for
from functions.providers.base import (
    DECLINED,
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
UNKNOWN_START_TEXT = (
    "We could not confirm that the payment request reached the provider, so we will not send"
    " it again. If you get a payment prompt on your phone, go ahead and pay: we will tell you"
    " when the money arrives. If nothing comes within a few minutes, start a new payment."
)
UNAVAILABLE_REASON = "provider unavailable"  # as recorded
UNAVAILABLE_TEXT = "the payment provider did not answer. Try again in a few minutes."
DESCRIPTIONS: dict[Purpose, str] = {
    "wallet_deposit": "Soko wallet top-up",
    "order": "Soko order",
    "circle_contribution": "Soko circle contribution",
    "subscription": "Soko subscription",
}


@dataclass(frozen=True)
class Outcome:
    payment_id: str
    instructions: Instructions | None  # None when it did not start (or not yet)
    problem: str = ""  # what to tell the user when it did not start


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
    try:
        url = callback_url(base, rail, payment_id)
        started = rail.start(
            PaymentRequest(payment_id, user_id, amount, url, DESCRIPTIONS[purpose], phone)
        )
    except OutcomeUnknown as err:
        until = rt.clock.now() + UNKNOWN_START_TTL
        rt.pipeline.execute(
            payments.payments, stream, payments.MarkStartUnknown(str(err)[:500], until), why
        )
        return Outcome(payment_id, Instructions(kind="stk_prompt", text=UNKNOWN_START_TEXT))
    except ProviderRefused as err:
        # The provider's words are recorded (the payment's audit trail) and logged; the
        # payer reads what the rail says they can do about it.
        log.warning("payment %s refused by %s: %s", payment_id, rail_name, err)
        reason = str(err)[:500]
        rt.pipeline.execute(payments.payments, stream, payments.MarkStartFailed(reason), why)
        return Outcome(payment_id, None, err.customer)
    except ProviderUnavailable as err:
        log.warning("payment %s not started, %s unavailable: %s", payment_id, rail_name, err)
        failed = payments.MarkStartFailed(UNAVAILABLE_REASON)
        rt.pipeline.execute(payments.payments, stream, failed, why)
        return Outcome(payment_id, None, UNAVAILABLE_TEXT)
    marked = payments.MarkStarted(started.provider_ref, started.expires_at, started.instructions)
    rt.pipeline.execute(payments.payments, stream, marked, why)
    return Outcome(payment_id, started.instructions)


def _as_recorded(state: payments.Payment) -> Outcome:
    """The answer the first delivery gave, from what it recorded."""
    if state.state == "requested":
        text = "Your payment is being started: you will get the instructions in a moment."
        return Outcome(state.payment_id, Instructions(kind="stk_prompt", text=text))
    if state.state == "failed" and state.instructions is None:
        # What was recorded is the provider's own words: never shown to the payer.
        unavailable = state.failure == UNAVAILABLE_REASON
        return Outcome(state.payment_id, None, UNAVAILABLE_TEXT if unavailable else DECLINED)
    if state.instructions is not None:
        return Outcome(state.payment_id, state.instructions)
    if state.state == "pending" and state.provider_ref is None:
        return Outcome(state.payment_id, Instructions(kind="stk_prompt", text=UNKNOWN_START_TEXT))
    text = f"This payment was already started; it is now {state.state}."
    return Outcome(state.payment_id, Instructions(kind="stk_prompt", text=text))
