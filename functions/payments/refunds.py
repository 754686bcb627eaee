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
    """This payment cannot be refunded now: each reason is its own code, which the catalogue
    words for the admin (the message is the English fallback and what the logs show)."""

    code = "refund_refused"


class RefundOf(RefundRefused):
    """A refusal about one payment, which its text names."""

    def __init__(self, said: str, payment_id: str) -> None:
        super().__init__(said)
        self.payment_id = payment_id

    def facts(self) -> dict[str, str | int | Money]:
        return {"payment_id": self.payment_id}


class NoSuchPayment(RefundOf):
    code = "refund_no_such_payment"


class NotStars(RefundOf):
    code = "refund_not_stars"


class AlreadyRefunded(RefundOf):
    code = "refund_already_refunded"


class NotPaid(RefundOf):
    code = "refund_not_paid"


class NotADeposit(RefundOf):
    code = "refund_not_a_deposit"


class NoCharge(RefundOf):
    code = "refund_no_charge"


class AlreadySpent(RefundRefused):
    """The refund would take back Stars the user no longer holds."""

    code = "refund_already_spent"

    def __init__(self, user_id: int, balance: Money, paid: Money) -> None:
        super().__init__(
            f"Not refunded: user {user_id} holds {format_money(balance)}, "
            f"less than the {format_money(paid)} deposited (already spent)."
        )
        self.user_id, self.balance, self.paid = user_id, balance, paid

    def facts(self) -> dict[str, str | int | Money]:
        # An id is said as digits, not as a number with thousands separators.
        return {"user_id": str(self.user_id), "balance": self.balance, "paid": self.paid}


class TelegramRefused(RefundRefused):
    """refundStarPayment failed: nothing was recorded."""

    code = "telegram_refused_refund"

    def __init__(self, error: str) -> None:
        super().__init__(f"Telegram did not refund: {error}. Nothing changed.")
        self.error = error

    def facts(self) -> dict[str, str | int | Money]:
        return {"error": self.error}


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
    payment_id = payment.payment_id
    if payment.state == "new":
        raise NoSuchPayment("No such payment.", payment_id)
    if payment.rail != RAIL:
        raise NotStars("Only Telegram Stars payments can be refunded with /refund.", payment_id)
    if payment.state == "refunded":
        raise AlreadyRefunded(f"Payment {payment_id} was already refunded.", payment_id)
    if payment.state != "succeeded" or payment.paid is None or payment.receipt is None:
        said = f"Payment {payment_id} is {payment.state}; only a paid one can be refunded."
        raise NotPaid(said, payment_id)
    if payment.purpose != "wallet_deposit":
        # An order's Stars bought goods, or came back to the wallet when the order could
        # not take them (order.overpaid): refunding them too would pay out twice.
        said = "Only Stars deposits can be refunded here; an order settles its own money."
        raise NotADeposit(said, payment_id)
    held = rt.pipeline.current(wallet.wallets, wallet.stream_of(payment.user_id))
    balance = held.available(payment.paid.currency)  # held money is not refundable
    if balance.amount < payment.paid.amount:
        # The refund would take back Stars the user already spent: refuse, tell why.
        raise AlreadySpent(payment.user_id, balance, payment.paid)


def _refund_held(rt: Runtime, admin_id: int, payment: payments.Payment, trace: Trace) -> Refunded:
    """Give back Stars that were held, not credited: the payment is rejected, no debit."""
    charge = payment.transfer_ref
    if charge is None:
        said = f"Payment {payment.payment_id} names no Stars charge to refund."
        raise NoCharge(said, payment.payment_id)
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
