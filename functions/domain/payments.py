"""The `payment-<id>` aggregate: requested -> pending -> succeeded | failed | expired | refunded.

Money moves only on a verified report that the requested amount arrived, about *this*
payment: a report naming another provider reference than the one recorded at the start is
recorded as ignored and moves nothing, and one whose reference we never saw confirmed is
held for an admin. Anything else a provider says is either a legal step, or recorded as an
ignored report (the audit trail keeps it) -- never an error, because providers re-send and
reorder callbacks freely. A second, distinct movement of money for a payment that already
has one is refused here with `RepeatPayment`, and opened as a payment of its own, held for
an admin (functions/payments/apply.py): money that arrives is always recorded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from events import Event, Money
from events.payments import (
    HoldReason,
    PaymentExpired,
    PaymentFailed,
    PaymentHeldForReview,
    PaymentReferenceLearnt,
    PaymentRefunded,
    PaymentReportIgnored,
    PaymentRequested,
    PaymentStarted,
    PaymentStartFailed,
    PaymentStartUnknown,
    PaymentSucceeded,
    Purpose,
)
from functions.domain.decider import Decider, DomainError
from functions.domain.reports import Instructions, Report
from functions.domain.snapshots import Snapshots

State = Literal["new", "requested", "pending", "succeeded", "failed", "expired", "refunded", "held"]
# Where a verified "the money arrived" is still news. A late payment after expiry or a
# success after an out-of-order failure is real money: it must be credited, not lost.
CAN_SUCCEED = frozenset({"requested", "pending", "failed", "expired"})
OPEN = frozenset({"requested", "pending"})
# Ends the reason of a held payment an admin rejected by giving the money back.
REFUNDED_NOTE = ", Stars refunded"
SETTLED = frozenset({"succeeded", "held", "refunded"})  # money arrived (or was given back)
# What a payment id may look like (ours are 12 hex characters, functions/payments/ids.py):
# a sender's text of any other shape is refused before it becomes a stream name or a key.
PAYMENT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


def stream_of(payment_id: str) -> str:
    return f"payment-{payment_id}"


def is_payment_id(text: str) -> bool:
    """Whether `text` can be one of our payment ids (no store key is built from others)."""
    return PAYMENT_ID.fullmatch(text) is not None


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
    hold_reason: HoldReason | None = None
    transfer_ref: str | None = None  # the provider's id of the money movement, once known
    settled_ref: str | None = None  # the id of the money it took or holds: repeats differ
    instructions: Instructions | None = None  # how to pay, as the user was told
    failure: str | None = None  # why it failed, as recorded

    def query_ref(self) -> str | None:
        """The only reference a status query may ask about: one we recorded ourselves."""
        return self.transfer_ref or self.provider_ref


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
    instructions: Instructions | None = None


@dataclass(frozen=True)
class MarkStartFailed:
    reason: str


@dataclass(frozen=True)
class MarkStartUnknown:
    reason: str
    expires_at: datetime


@dataclass(frozen=True)
class OpenRepeat:
    """Open a payment for money that arrived again for `parent` (see RepeatPayment)."""

    payment_id: str
    parent: Payment
    report: Report


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
    note: str = ""  # why, for a rejection (REFUNDED_NOTE)


@dataclass(frozen=True)
class AdminRefund:
    """An admin gave a succeeded payment back (Stars: after refundStarPayment succeeded)."""

    admin_id: int
    refund_ref: str | None = None


class UnknownPayment(DomainError):
    code = "unknown_payment"


class InvalidPayment(DomainError):
    """An amount that is not above zero (requested, or approved by an admin)."""

    code = "invalid_payment"


class NotRefundable(DomainError):
    code = "not_refundable"


class AmountNeeded(DomainError):
    """An admin approved money nobody valued: the approval must say how much arrived."""

    code = "amount_needed"

    def __init__(self, payment_id: str) -> None:
        super().__init__(
            f"nobody reported what arrived for {payment_id}: approve it with the amount received"
        )
        self.payment_id = payment_id

    def facts(self) -> dict[str, str | int | Money]:
        return {"payment_id": self.payment_id}


class RepeatPayment(DomainError):
    """A verified report of a second, distinct movement of money for a settled payment.

    This payment takes no more money; the caller opens `repeat_id` for it (OpenRepeat)."""

    code = "repeat_payment"

    def __init__(self, state: Payment, report: Report) -> None:
        super().__init__("a second payment arrived for a settled payment")
        self.state = state
        self.report = report

    @property
    def repeat_id(self) -> str:
        """Derived from the payment and the money's own id: a redelivery opens nothing new."""
        seed = f"repeat:{self.state.payment_id}:{_identity(self.report)}"
        return hashlib.sha256(seed.encode()).hexdigest()[:12]


PaymentCommand = (
    Request
    | MarkStarted
    | MarkStartFailed
    | MarkStartUnknown
    | OpenRepeat
    | Apply
    | Expire
    | AdminDecide
    | AdminRefund
)


def decide(state: Payment, command: PaymentCommand) -> Sequence[Event]:
    if isinstance(command, Request):
        return _request(state, command)
    if isinstance(command, OpenRepeat):
        return _open_repeat(state, command)
    if state.state == "new":
        raise UnknownPayment("no such payment")
    match command:
        case MarkStarted():
            return [PaymentStarted(**vars(command))] if state.state == "requested" else []
        case MarkStartFailed():
            return [PaymentStartFailed(reason=command.reason)] if state.state in OPEN else []
        case MarkStartUnknown():
            if state.state != "requested":
                return []
            return [PaymentStartUnknown(reason=command.reason, expires_at=command.expires_at)]
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

    mismatch = reference_mismatch(state, report)
    if mismatch is not None:
        return ignored(mismatch)
    if not report.verified:
        return ignored("unverified report")  # unsigned callbacks are confirmed by a query
    if _is_repeat(state, report):
        raise RepeatPayment(state, report)
    learnt = _learnt(state, report)
    if state.state == "refunded":
        return ignored("payment already refunded")
    match report.status:
        case "pending":
            return learnt
        case "succeeded" | "partially_paid" if state.state in CAN_SUCCEED or _rehold(state):
            return _arrived(state, report, source)  # its event records the money's id
        case "succeeded":
            return [] if state.state == "succeeded" else ignored(f"payment is {state.state}")
        case "failed" if state.state in OPEN:
            return [*learnt, PaymentFailed(reason=report.raw_status or "failed at the provider")]
        case "expired" if state.state in OPEN:
            return [*learnt, PaymentExpired()]
        case "refunded" if state.state == "succeeded":
            reason = report.raw_status or "refunded by the provider"
            return [_refunded(state, reason, report.receipt or report.provider_ref)]
        case _:
            same = state.state == report.status
            return [] if same else ignored(f"{report.status} after {state.state}")


def reference_mismatch(state: Payment, report: Report) -> str | None:
    """Why `report` may not speak for this payment, or None.

    A report is bound to a payment by our own id (the callback path's token, the signed
    order id, the invoice payload) and must name the provider reference we recorded at the
    start; one naming another is some other payment's report and moves nothing here.
    """
    if report.payment_id != state.payment_id:
        return "report is about another payment"
    theirs, ours = report.provider_ref, state.provider_ref
    if theirs is not None and ours is not None and theirs != ours:
        return "report names another provider reference"
    return None


def _identity(report: Report) -> str:
    """The provider's id of the money a report is about."""
    return report.transfer_ref or report.provider_ref or report.receipt or ""


def _is_repeat(state: Payment, report: Report) -> bool:
    """Money reported that is not the money this payment already took (or holds)."""
    if report.status not in {"succeeded", "partially_paid"} or state.state not in SETTLED:
        return False
    if report.paid is not None and not report.paid.is_positive():
        return False  # nothing arrived: no money to record
    if report.repeat_deposit and state.state != "held":
        return True  # NOWPayments' re-deposit to the address of a settled invoice
    known = state.settled_ref
    return known is not None and _identity(report) not in {"", known}


def _rehold(state: Payment) -> bool:
    """A held payment's own money reported again (a partial payment completed later): the
    report is weighed again, so an admin approves what arrived by then, not what was first."""
    return state.state == "held" and state.hold_reason in {"partially_paid", "amount_mismatch"}


def _learnt(state: Payment, report: Report) -> list[Event]:
    """Record the provider's id of the money, the first time a verified report names it."""
    learnt = report.transfer_ref
    if not learnt or state.transfer_ref is not None or state.state not in OPEN:
        return []
    return [PaymentReferenceLearnt(transfer_ref=learnt)]


def _arrived(
    state: Payment, report: Report, source: Literal["callback", "query"]
) -> Sequence[Event]:
    assert state.amount is not None
    if report.repeat_deposit:
        return [_hold("repeat_deposit", report)]
    if (report.provider_ref is None) != (state.provider_ref is None):
        # One side names no reference: we never learnt the one the provider gave this
        # payment (its start timed out), or the report names none. Nothing proves the money
        # is this payment's, so an admin checks it.
        return [_hold("unconfirmed_reference", report)]
    if report.status == "partially_paid":
        return _rehold_if_changed(state, _hold("partially_paid", report))
    paid = report.paid or state.amount  # a status query may confirm without an amount
    if paid != state.amount:
        return _rehold_if_changed(state, _hold("amount_mismatch", report))
    return [_succeeded(state, paid, report, source)]


def _rehold_if_changed(state: Payment, hold: PaymentHeldForReview) -> Sequence[Event]:
    same = state.state == "held" and state.arrived == hold.paid
    return [] if same and state.hold_reason == hold.reason else [hold]


def _hold(reason: HoldReason, report: Report) -> PaymentHeldForReview:
    return PaymentHeldForReview(
        reason=reason,
        paid=report.paid,
        raw_status=report.raw_status,
        provider_ref=report.provider_ref,
        transfer_ref=report.transfer_ref,
    )


def _open_repeat(state: Payment, command: OpenRepeat) -> Sequence[Event]:
    if state.state != "new":
        return []  # this repeat is recorded already
    parent, report = command.parent, command.report
    assert parent.amount is not None
    requested = PaymentRequested(
        payment_id=command.payment_id,
        user_id=parent.user_id,
        # Money for an order that already has its payment can only go to the wallet.
        purpose="wallet_deposit",
        amount=report.paid or parent.amount,
        rail=parent.rail,
        repeat_of=parent.payment_id,
    )
    reason: HoldReason = "repeat_deposit" if report.repeat_deposit else "repeat_payment"
    return [requested, _hold(reason, report)]


def _admin(state: Payment, command: AdminDecide) -> Sequence[Event]:
    if state.state not in {"held", "pending", "requested"}:
        return []  # a second tap, or a payment that settled meanwhile: nothing to do
    if not command.approve:
        return [PaymentFailed(reason=f"rejected by admin {command.admin_id}{command.note}")]
    paid = command.paid or _approvable(state)
    if paid is None:
        raise AmountNeeded(state.payment_id)
    if paid.amount <= 0:
        raise InvalidPayment("an approved amount must be positive")
    approval = Report(
        state.payment_id,
        "succeeded",
        state.provider_ref,
        # The held money's own id, so the audit sees it if it was credited elsewhere too.
        transfer_ref=state.transfer_ref or state.settled_ref,
        receipt=f"admin:{command.admin_id}",
    )
    return [_succeeded(state, paid, approval, "admin")]


def _approvable(state: Payment) -> Money | None:
    """What approving credits without a stated amount: what arrived, as the rail valued it.

    A held payment is credited what its report said arrived (never the asked amount: a half
    payment is worth half); a manual transfer, which nobody reports, what the user declared.
    """
    if state.state == "held":
        return state.arrived
    return state.amount


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
    report: Report,
    source: Literal["callback", "query", "admin"],
) -> Event:
    return PaymentSucceeded(
        payment_id=state.payment_id,
        user_id=state.user_id,
        purpose=state.purpose,
        paid=paid,
        provider_ref=state.provider_ref or report.provider_ref,
        receipt=report.receipt,
        source=source,
        subject=state.subject,
        transfer_ref=report.transfer_ref,
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
                state,
                state="pending",
                provider_ref=event.provider_ref,
                expires_at=event.expires_at,
                instructions=event.instructions,
            )
        case PaymentStartUnknown():
            return replace(state, state="pending", expires_at=event.expires_at)
        case PaymentReferenceLearnt():
            return replace(state, transfer_ref=event.transfer_ref)
        case PaymentStartFailed() | PaymentFailed():
            return replace(state, state="failed", failure=event.reason)
        case PaymentSucceeded():
            settled = _money_taken(state, event.transfer_ref, event.provider_ref)
            return replace(settled, state="succeeded", paid=event.paid, receipt=event.receipt)
        case PaymentExpired():
            return replace(state, state="expired")
        case PaymentRefunded():
            return replace(state, state="refunded")
        case PaymentHeldForReview():
            held = _money_taken(state, event.transfer_ref, event.provider_ref)
            return replace(held, state="held", arrived=event.paid, hold_reason=event.reason)
        case _:
            return state


def _money_taken(state: Payment, transfer_ref: str | None, provider_ref: str | None) -> Payment:
    """Remember the id of the money a payment took or holds. Older events name it only in
    provider_ref (Stars' charge id, the NOWPayments payment id): a repeat is told apart by it."""
    return replace(
        state,
        transfer_ref=transfer_ref or state.transfer_ref,
        settled_ref=transfer_ref or provider_ref,
    )


payments: Decider[Payment, PaymentCommand] = Decider(
    initial=Payment(), evolve=evolve, decide=decide, snapshots=Snapshots(Payment, evolve)
)
