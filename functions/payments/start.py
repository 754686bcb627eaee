"""Starting a payment: record the request, ask the rail, record what it answered.

The request is recorded first, so a payment the provider accepted is never unknown to us
even if this instance dies before recording the start (the reconcile job can ask).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from events import Money
from events.payments import Purpose
from functions.domain import payments
from functions.providers.base import (
    Instructions,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
)
from functions.runtime.bootstrap import Runtime
from functions.runtime.settings import MissingSetting


@dataclass(frozen=True)
class Outcome:
    payment_id: str
    instructions: Instructions | None  # None when the provider refused or was unreachable
    problem: str = ""  # what to tell the user when it did not start


def new_payment_id() -> str:
    """12 URL-safe characters: fits M-Pesa's AccountReference and every provider's order id."""
    return secrets.token_hex(6)


def start_payment(
    rt: Runtime,
    *,
    user_id: int,
    rail_name: str,
    amount: Money,
    purpose: Purpose,
    phone: str | None = None,
    payment_id: str | None = None,
    subject: str | None = None,
) -> Outcome:
    rail = rt.rails()[rail_name]
    base = rt.settings.public_base_url
    if not base:
        raise MissingSetting("SOKO_PUBLIC_BASE_URL is not set")
    payment_id = payment_id or new_payment_id()
    stream = payments.stream_of(payment_id)
    request = payments.Request(payment_id, user_id, purpose, amount, rail_name, subject)
    rt.pipeline.execute(payments.payments, stream, request)
    callback = f"{base.rstrip('/')}/payments/{rail_name}/{rail.callback_path(payment_id)}"
    try:
        started = rail.start(
            PaymentRequest(payment_id, user_id, amount, callback, "Soko wallet top-up", phone)
        )
    except (ProviderRefused, ProviderUnavailable) as err:
        reason = str(err) if isinstance(err, ProviderRefused) else "provider unavailable"
        rt.pipeline.execute(payments.payments, stream, payments.MarkStartFailed(reason))
        problem = reason if isinstance(err, ProviderRefused) else "try again in a few minutes"
        return Outcome(payment_id, None, problem)
    marked = payments.MarkStarted(started.provider_ref, started.expires_at)
    rt.pipeline.execute(payments.payments, stream, marked)
    return Outcome(payment_id, started.instructions)
