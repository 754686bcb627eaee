"""/refund <payment id>: an admin gives a Telegram Stars deposit back.

The rules (what may be refunded, asking Telegram before recording, held Stars given back
without a debit) live in functions/payments/refunds.py; this parses, calls it and renders.
"""

from __future__ import annotations

import html

from events.money import format_money
from functions.domain import payments
from functions.payments import refunds
from functions.telegram.chat import Context, Reply, reply


def on_refund(ctx: Context, argument: str) -> Reply:
    """Admins (the route's role): give a Stars payment back."""
    payment_id = argument.strip()
    if not payments.is_payment_id(payment_id):
        return reply(ctx, "Usage: /refund &lt;payment id&gt; (the ref shown with the deposit).")
    try:
        refunded = refunds.refund_stars(
            ctx.runtime, admin_id=ctx.user_id, payment_id=payment_id, trace=ctx.trace
        )
    except refunds.RefundRefused as refusal:
        return reply(ctx, html.escape(str(refusal)))
    who = f"user {refunded.user_id} ({refunded.payment_id})"
    if not refunded.credited:
        what = format_money(refunded.amount) if refunded.amount else "the Stars"
        return reply(ctx, f"Refunded {what} to {who}; never credited.")
    assert refunded.amount is not None  # a credited refund gives back what was paid
    return reply(ctx, f"Refunded {format_money(refunded.amount)} to {who}.")
