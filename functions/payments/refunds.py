"""An admin gives a Telegram Stars deposit back.

Order matters: check everything first (an admin, a succeeded Stars payment, a wallet that
still holds the Stars), then ask Telegram to refund, then record it. Recording after the Bot
API call means a crash in between leaves a refund Telegram made and we did not record; the
next refund then hears CHARGE_ALREADY_REFUNDED and records it. The reverse order could
record a refund that never happened.

A held Stars payment (a second charge for a paid invoice) was never credited: refunding it
gives the charge back and rejects the payment, with no wallet debit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from events import Money
from events.money import format_money
from functions.domain import payments, wallet
from functions.domain.decider import DomainError
from functions.payments.admins import require_admin
from functions.payments.stars import RAIL, load_payment
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import BotApiError

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"  # Telegram's error for a second refund


class RefundRefused(DomainError):
    """This payment cannot be refunded now; the message says why, for the admin."""

    code = "refund_refused"


class TelegramRefused(RefundRefused):
    """refundStarPayment failed: nothing was recorded."""

    code = "telegram_refused_refund"

    def __init__(self, error: str) -> None:
        super().__init__(f"Telegram did not refund: {error}. Nothing changed.")
        self.error = error


@dataclass(frozen=True)
class Refunded:
    payment_id: str
    user_id: int
    amount: Money | None  # None: a held charge whose value nobody reported
    credited: bool  # False: held Stars given back, never credited, no wallet debit


def refund_stars(rt: Runtime, *, admin_id: int, payment_id: str, trace: Trace) -> Refunded:
    """Give a Stars payment back through Telegram, then record it; RefundRefused if not."""
    require_admin(rt, admin_id)
    payment = load_payment(rt, payment_id)
    if payment.state == "held" and payment.rail == RAIL:
        return _refund_held(rt, admin_id, payment, trace)
    check_refundable(rt, payment)
    assert payment.receipt is not None  # checked: a succeeded Stars payment has both
    assert payment.paid is not None
    _ask_telegram(rt, payment.user_id, payment.receipt)
    rt.pipeline.execute(
        payments.payments,
        payments.stream_of(payment_id),
        payments.AdminRefund(admin_id, payment.receipt),
        _keyed(payment_id, trace),
    )
    return Refunded(payment_id, payment.user_id, payment.paid, credited=True)


def check_refundable(rt: Runtime, payment: payments.Payment) -> None:
    """RefundRefused saying why this payment cannot be refunded now; returns when it can."""
    if payment.state == "new":
        raise RefundRefused("No such payment.")
    if payment.rail != RAIL:
        raise RefundRefused("Only Telegram Stars payments can be refunded with /refund.")
    if payment.state == "refunded":
        raise RefundRefused(f"Payment {payment.payment_id} was already refunded.")
    if payment.state != "succeeded" or payment.paid is None or payment.receipt is None:
        raise RefundRefused(
            f"Payment {payment.payment_id} is {payment.state}; only a paid one can be refunded."
        )
    if payment.purpose != "wallet_deposit":
        # An order's Stars bought goods, or came back to the wallet when the order could
        # not take them (order.overpaid): refunding them too would pay out twice.
        raise RefundRefused(
            "Only Stars deposits can be refunded here; an order settles its own money."
        )
    held = rt.pipeline.current(wallet.wallets, wallet.stream_of(payment.user_id))
    balance = held.balance(payment.paid.currency)
    if balance.amount < payment.paid.amount:
        # The refund would take back Stars the user already spent: refuse, tell why.
        raise RefundRefused(
            f"Not refunded: user {payment.user_id} holds {format_money(balance)}, "
            f"less than the {format_money(payment.paid)} deposited (already spent)."
        )


def _refund_held(rt: Runtime, admin_id: int, payment: payments.Payment, trace: Trace) -> Refunded:
    """Give back Stars that were held, not credited: the payment is rejected, no debit."""
    charge = payment.transfer_ref
    if charge is None:
        raise RefundRefused(f"Payment {payment.payment_id} names no Stars charge to refund.")
    _ask_telegram(rt, payment.user_id, charge)
    rt.pipeline.execute(
        payments.payments,
        payments.stream_of(payment.payment_id),
        payments.AdminDecide(admin_id, approve=False, note=payments.REFUNDED_NOTE),
        _keyed(payment.payment_id, trace),
    )
    return Refunded(payment.payment_id, payment.user_id, payment.arrived, credited=False)


def _ask_telegram(rt: Runtime, user_id: int, charge_id: str) -> None:
    """refundStarPayment; TelegramRefused unless Telegram refunded (now or before)."""
    try:
        rt.bot().call(
            "refundStarPayment", {"user_id": user_id, "telegram_payment_charge_id": charge_id}
        )
    except BotApiError as err:
        if ALREADY_REFUNDED not in str(err):
            raise TelegramRefused(str(err)) from err


def _keyed(payment_id: str, trace: Trace) -> Trace:
    # One refund per payment, whichever update asks: the key names the payment.
    return Trace(f"admin-refund:{payment_id}", trace.causation_id, trace.correlation_id)
