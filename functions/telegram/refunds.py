"""/refund <payment id>: an admin gives a Telegram Stars deposit back.

Order matters: check everything first (an admin, a succeeded Stars payment, a wallet that
still holds the Stars), then ask Telegram to refund, then record it. Recording after the Bot
API call means a crash in between leaves a refund Telegram made and we did not record; the
next /refund then hears CHARGE_ALREADY_REFUNDED and records it. The reverse order could
record a refund that never happened.

A held Stars payment (a second charge for a paid invoice) was never credited: refunding it
gives the charge back and rejects the payment, with no wallet debit.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from events.money import format_money
from functions.domain import payments, wallet
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import BotApiError
from functions.telegram.chat import Context, Reply, reply
from functions.telegram.stars import RAIL, load_payment

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"  # Telegram's error for a second refund


def on_refund(ctx: Context, argument: str) -> Reply:
    if not ctx.is_admin:
        return reply(ctx, "Only an admin can refund payments.")
    payment_id = argument.strip()
    if not payments.is_payment_id(payment_id):
        return reply(ctx, "Usage: /refund &lt;payment id&gt; (the ref shown with the deposit).")
    payment = load_payment(ctx.runtime, payment_id)
    if payment.state == "held" and payment.rail == RAIL:
        return _refund_held(ctx, payment)
    problem = _refusal(ctx.runtime, payment)
    if problem is not None:
        return reply(ctx, problem)
    assert payment.receipt is not None
    assert payment.paid is not None
    refused = _ask_telegram(ctx, payment.user_id, payment.receipt)
    if refused is not None:
        return reply(ctx, refused)
    key = f"admin-refund:{payment_id}"
    ctx.runtime.pipeline.execute(
        payments.payments,
        payments.stream_of(payment_id),
        payments.AdminRefund(ctx.user_id, payment.receipt),
        Trace(key, ctx.trace.causation_id, ctx.trace.correlation_id),
    )
    return reply(
        ctx, f"Refunded {format_money(payment.paid)} to user {payment.user_id} ({payment_id})."
    )


def _refund_held(ctx: Context, payment: payments.Payment) -> Reply:
    """Give back Stars that were held, not credited: the payment is rejected, no debit."""
    charge = payment.transfer_ref
    if charge is None:
        return reply(ctx, f"Payment {payment.payment_id} names no Stars charge to refund.")
    refused = _ask_telegram(ctx, payment.user_id, charge)
    if refused is not None:
        return reply(ctx, refused)
    key = f"admin-refund:{payment.payment_id}"
    ctx.runtime.pipeline.execute(
        payments.payments,
        payments.stream_of(payment.payment_id),
        payments.AdminDecide(ctx.user_id, approve=False, note=payments.REFUNDED_NOTE),
        Trace(key, ctx.trace.causation_id, ctx.trace.correlation_id),
    )
    what = format_money(payment.arrived) if payment.arrived else "the Stars"
    return reply(
        ctx, f"Refunded {what} to user {payment.user_id} ({payment.payment_id}); never credited."
    )


def _ask_telegram(ctx: Context, user_id: int, charge_id: str) -> str | None:
    """refundStarPayment; what to tell the admin if Telegram refused (None: refunded)."""
    try:
        ctx.runtime.bot().call(
            "refundStarPayment", {"user_id": user_id, "telegram_payment_charge_id": charge_id}
        )
    except BotApiError as err:
        if ALREADY_REFUNDED not in str(err):
            return f"Telegram did not refund: {html.escape(str(err))}. Nothing changed."
    return None


def _refusal(rt: Runtime, payment: payments.Payment) -> str | None:
    """Why this payment cannot be refunded now; None when it can."""
    if payment.state == "new":
        return "No such payment."
    if payment.rail != RAIL:
        return "Only Telegram Stars payments can be refunded with /refund."
    if payment.state == "refunded":
        return f"Payment {payment.payment_id} was already refunded."
    if payment.state != "succeeded" or payment.paid is None or payment.receipt is None:
        return f"Payment {payment.payment_id} is {payment.state}; only a paid one can be refunded."
    if payment.purpose != "wallet_deposit":
        # An order's Stars bought goods, or came back to the wallet when the order could
        # not take them (order.overpaid): refunding them too would pay out twice.
        return "Only Stars deposits can be refunded here; an order settles its own money."
    held = rt.pipeline.current(wallet.wallets, wallet.stream_of(payment.user_id))
    balance = held.balance(payment.paid.currency)
    if balance.amount < payment.paid.amount:
        # The refund would take back Stars the user already spent: refuse, tell why.
        return (
            f"Not refunded: user {payment.user_id} holds {format_money(balance)}, "
            f"less than the {format_money(payment.paid)} deposited (already spent)."
        )
    return None
