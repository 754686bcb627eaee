"""Manual transfers (bank, BLIK): the user declares a transfer, an admin approves or rejects.

A declaration records a payment on the `manual` rail (requested, then started with the
user's reference). The notification rules put Approve / Reject buttons in front of every
admin; only an admin's decision moves money (AdminDecide), and a payment settles once: a
second decision changes nothing. The same decision, with the amount that really arrived,
approves a held payment of any rail that nobody valued.

Plain functions over the Runtime: functions/telegram/manual.py parses and renders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from events import Money
from functions.domain import payments
from functions.domain.decider import DomainError
from functions.notifications.rules import MANUAL_RAIL
from functions.payments.admins import require_admin
from functions.payments.ids import payment_id_for
from functions.runtime.pipeline import Trace

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

# What people type in a transfer title; also safe to show in HTML and in a button's data.
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{2,34}")


class BadReference(DomainError):
    code = "bad_reference"

    def __init__(self) -> None:
        super().__init__(
            "The reference is the text you put in the transfer's title: 3 to 35 letters, "
            "digits or - _ . /"
        )


class WrongCurrency(DomainError):
    code = "wrong_currency"

    def __init__(self, currency: str) -> None:
        super().__init__(f"This payment is in {currency}.")
        self.currency = currency

    def facts(self) -> dict[str, str | int | Money]:
        return {"currency": self.currency}


@dataclass(frozen=True)
class Declared:
    payment_id: str
    amount: Money
    reference: str  # what the transfer's title must say
    pay_to: str  # the deployment's transfer details


@dataclass(frozen=True)
class Decided:
    """An admin's decision: `changed` when it settled the payment (or is that very decision
    delivered again), else the payment was already `state`."""

    payment_id: str
    approve: bool
    changed: bool
    state: payments.State
    paid: Money | None = None  # the amount an admin stated (credit)


def declare_transfer(
    rt: Runtime, *, user_id: int, amount: Money, reference: str, trace: Trace
) -> Declared:
    """Record the declared transfer; BadReference for a title nobody could find."""
    if not REFERENCE.fullmatch(reference):
        raise BadReference
    # Derived from the update, so Telegram re-sending it cannot declare a second payment.
    payment_id = payment_id_for(trace)
    stream = payments.stream_of(payment_id)
    request = payments.Request(
        payment_id=payment_id, user_id=user_id, purpose="wallet_deposit", amount=amount,
        rail=MANUAL_RAIL,
    )  # fmt: skip
    rt.pipeline.execute(payments.payments, stream, request, _step(trace, "request"))
    started = payments.MarkStarted(provider_ref=reference)
    rt.pipeline.execute(payments.payments, stream, started, _step(trace, "start"))
    details = rt.settings.manual_transfer_details or ""
    return Declared(payment_id, amount, reference, details)


def decide(rt: Runtime, *, admin_id: int, payment_id: str, approve: bool, trace: Trace) -> Decided:
    """Approve (what arrived, or what was declared) or reject a waiting payment, once.

    AmountNeeded when nobody said what arrived (use `credit`); UnknownPayment for no such."""
    require_admin(rt, admin_id)
    stream = _stream(payment_id)
    command = payments.AdminDecide(admin_id=admin_id, approve=approve)
    appended = rt.pipeline.execute(payments.payments, stream, command, trace)
    state = rt.pipeline.current(payments.payments, stream).state
    return Decided(payment_id, approve, bool(appended.events), state)


def credit(rt: Runtime, *, admin_id: int, payment_id: str, paid: Money, trace: Trace) -> Decided:
    """Approve a held payment (or a transfer) with the amount that really arrived."""
    require_admin(rt, admin_id)
    stream = _stream(payment_id)
    before = rt.pipeline.current(payments.payments, stream)
    if before.state == "new" or before.amount is None:
        raise payments.UnknownPayment("no such payment")
    if paid.currency != before.amount.currency:
        raise WrongCurrency(before.amount.currency)
    command = payments.AdminDecide(admin_id=admin_id, approve=True, paid=paid)
    appended = rt.pipeline.execute(payments.payments, stream, command, trace)
    state = rt.pipeline.current(payments.payments, stream).state
    return Decided(payment_id, True, bool(appended.events), state, paid)


def payment_currency(rt: Runtime, payment_id: str) -> str:
    """The currency a payment is in, so an admin's amount can be read in it."""
    state = rt.pipeline.current(payments.payments, _stream(payment_id))
    if state.state == "new" or state.amount is None:
        raise payments.UnknownPayment("no such payment")
    return state.amount.currency


def _stream(payment_id: str) -> str:
    if not payments.is_payment_id(payment_id):
        raise payments.UnknownPayment("no such payment")
    return payments.stream_of(payment_id)


def _step(trace: Trace, step: str) -> Trace:
    # Two commands of one update need two keys: one key records one outcome.
    key = f"{trace.idempotency_key}:manual:{step}" if trace.idempotency_key else None
    return Trace(key, trace.causation_id, trace.correlation_id)
