"""The `payment-<id>` aggregate: requested -> pending -> succeeded | failed | expired | refunded.

Money moves only on a verified report that the requested amount arrived. Anything else a
provider says is either a legal step, or recorded as an ignored report (the audit trail
keeps it) -- never an error, because providers re-send and reorder callbacks freely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from events import Event, Money
from events.payments import (
    PaymentExpired,
    PaymentFailed,
    PaymentHeldForReview,
    PaymentRefunded,
    PaymentReportIgnored,
    PaymentRequested,
    PaymentStarted,
    PaymentStartFailed,
    PaymentSucceeded,
    Purpose,
)
from functions.domain.decider import Decider, DomainError
from functions.providers.base import Report

State = Literal["new", "requested", "pending", "succeeded", "failed", "expired", "refunded", "held"]
# Where a verified "the money arrived" is still news. A late payment after expiry or a
# success after an out-of-order failure is real money: it must be credited, not lost.
CAN_SUCCEED = frozenset({"requested", "pending", "failed", "expired"})
OPEN = frozenset({"requested", "pending"})


def stream_of(payment_id: str) -> str:
    return f"payment-{payment_id}"


@dataclass(frozen=True)
class Payment:
    state: State = "new"
    payment_id: str = ""
    user_id: int = 0
    purpose: Purpose = "wallet_deposit"
    amount: Money | None = None
    rail: str = ""
    provider_ref: str | None = None
    expires_at: datetime | None = None
    paid: Money | None = None  # what arrived, once succeeded
    receipt: str | None = None  # the provider's receipt of that (Stars: the charge id)
    subject: str | None = None  # an order id for purpose "order"
    arrived: Money | None = None  # what a held payment's report said arrived


@dataclass(frozen=True)
class Request:
    payment_id: str
    user_id: int
    purpose: Purpose
    amount: Money
    rail: str
    subject: str | None = None  # an order id for purpose "order"


@dataclass(frozen=True)
class MarkStarted:
    provider_ref: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class MarkStartFailed:
    reason: str


@dataclass(frozen=True)
class Apply:
    """A provider's report, from a callback (`callback`) or our own status query (`query`)."""

    report: Report
    source: Literal["callback", "query"]


@dataclass(frozen=True)
class Expire:
    now: datetime


@dataclass(frozen=True)
class AdminDecide:
    """An admin settles a held or manual payment: approve what arrived, or reject."""

    admin_id: int
    approve: bool
    paid: Money | None = None


@dataclass(frozen=True)
class AdminRefund:
    """An admin gave a succeeded payment back (Stars: after refundStarPayment succeeded)."""

    admin_id: int
    refund_ref: str | None = None


class UnknownPayment(DomainError):
    code = "unknown_payment"


class InvalidPayment(DomainError):
    code = "invalid_payment"


class NotRefundable(DomainError):
    code = "not_refundable"


PaymentCommand = (
    Request | MarkStarted | MarkStartFailed | Apply | Expire | AdminDecide | AdminRefund
)


def decide(state: Payment, command: PaymentCommand) -> Sequence[Event]:
    if isinstance(command, Request):
        return _request(state, command)
    if state.state == "new":
        raise UnknownPayment("no such payment")
    match command:
        case MarkStarted():
            return [PaymentStarted(**vars(command))] if state.state == "requested" else []
        case MarkStartFailed():
            return [PaymentStartFailed(reason=command.reason)] if state.state in OPEN else []
        case Apply():
            return _apply(state, command.report, command.source)
        case Expire():
            due = state.expires_at is not None and state.expires_at <= command.now
            return [PaymentExpired()] if state.state in OPEN and due else []
        case AdminDecide():
            return _admin(state, command)
        case AdminRefund():
            return _admin_refund(state, command)


def _request(state: Payment, command: Request) -> Sequence[Event]:
    if state.state != "new":
        return []
    if command.amount.amount <= 0:
        raise InvalidPayment("amount must be positive")
    return [PaymentRequested(**vars(command))]


def _apply(state: Payment, report: Report, source: Literal["callback", "query"]) -> Sequence[Event]:
    def ignored(reason: str) -> Sequence[Event]:
        return [PaymentReportIgnored(status=report.raw_status or report.status, reason=reason)]

    if not report.verified:
        return ignored("unverified report")  # unsigned callbacks are confirmed by a query
    if state.state == "refunded":
        return ignored("payment already refunded")
    match report.status:
        case "pending":
            return []
        case "succeeded" if state.state in CAN_SUCCEED:
            return _arrived(state, report, source)
        case "succeeded":
            return [] if state.state == "succeeded" else ignored(f"payment is {state.state}")
        case "partially_paid" if state.state in CAN_SUCCEED:
            return [_hold("partially_paid", report)]
        case "failed" if state.state in OPEN:
            return [PaymentFailed(reason=report.raw_status or "failed at the provider")]
        case "expired" if state.state in OPEN:
            return [PaymentExpired()]
        case "refunded" if state.state == "succeeded":
            reason = report.raw_status or "refunded by the provider"
            return [_refunded(state, reason, report.receipt or report.provider_ref)]
        case _:
            same = state.state == report.status
            return [] if same else ignored(f"{report.status} after {state.state}")


def _arrived(
    state: Payment, report: Report, source: Literal["callback", "query"]
) -> Sequence[Event]:
    assert state.amount is not None
    if report.repeat_deposit:
        return [_hold("repeat_deposit", report)]
    paid = report.paid or state.amount  # a status query may confirm without an amount
    if paid != state.amount:
        return [_hold("amount_mismatch", report)]
    return [_succeeded(state, paid, report.provider_ref, report.receipt, source)]


def _hold(
    reason: Literal["partially_paid", "amount_mismatch", "repeat_deposit"], report: Report
) -> Event:
    return PaymentHeldForReview(reason=reason, paid=report.paid, raw_status=report.raw_status)


def _admin(state: Payment, command: AdminDecide) -> Sequence[Event]:
    if state.state not in {"held", "pending", "requested"}:
        return []  # a second tap, or a payment that settled meanwhile: nothing to do
    if not command.approve:
        return [PaymentFailed(reason=f"rejected by admin {command.admin_id}")]
    paid = command.paid or state.arrived or state.amount  # approve what arrived
    assert paid is not None
    if paid.amount <= 0:
        raise InvalidPayment("an approved amount must be positive")
    return [_succeeded(state, paid, state.provider_ref, f"admin:{command.admin_id}", "admin")]


def _admin_refund(state: Payment, command: AdminRefund) -> Sequence[Event]:
    if state.state == "refunded":
        return []  # a second /refund, or Telegram's refunded_payment message came first
    if state.state != "succeeded":
        raise NotRefundable(f"only a succeeded payment can be refunded; this one is {state.state}")
    reason = f"refunded by admin {command.admin_id}"
    return [_refunded(state, reason, command.refund_ref, command.admin_id)]


def _refunded(
    state: Payment, reason: str, refund_ref: str | None, admin_id: int | None = None
) -> Event:
    return PaymentRefunded(
        reason=reason,
        payment_id=state.payment_id,
        user_id=state.user_id,
        purpose=state.purpose,
        amount=state.paid or state.amount,
        refund_ref=refund_ref,
        admin_id=admin_id,
    )


def _succeeded(
    state: Payment,
    paid: Money,
    provider_ref: str | None,
    receipt: str | None,
    source: Literal["callback", "query", "admin"],
) -> Event:
    return PaymentSucceeded(
        payment_id=state.payment_id,
        user_id=state.user_id,
        purpose=state.purpose,
        paid=paid,
        provider_ref=provider_ref,
        receipt=receipt,
        source=source,
        subject=state.subject,
    )


def evolve(state: Payment, event: Event) -> Payment:
    match event:
        case PaymentRequested():
            return Payment(
                "requested",
                event.payment_id,
                event.user_id,
                event.purpose,
                event.amount,
                event.rail,
                subject=event.subject,
            )
        case PaymentStarted():
            return replace(
                state, state="pending", provider_ref=event.provider_ref, expires_at=event.expires_at
            )
        case PaymentStartFailed() | PaymentFailed():
            return replace(state, state="failed")
        case PaymentSucceeded():
            return replace(state, state="succeeded", paid=event.paid, receipt=event.receipt)
        case PaymentExpired():
            return replace(state, state="expired")
        case PaymentRefunded():
            return replace(state, state="refunded")
        case PaymentHeldForReview():
            return replace(state, state="held", arrived=event.paid)
        case _:
            return state


payments: Decider[Payment, PaymentCommand] = Decider(
    initial=Payment(), evolve=evolve, decide=decide
)
