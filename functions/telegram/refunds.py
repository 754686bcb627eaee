"""/refund <payment id>: an admin gives a Telegram Stars deposit back.

The rules (what may be refunded, asking Telegram before recording, held Stars given back
without a debit) live in functions/payments/refunds.py; this parses, calls it and renders.
"""

from __future__ import annotations

from functions import texts
from functions.domain import payments
from functions.payments import refunds
from functions.telegram.chat import Context, Reply, reply


def on_refund(ctx: Context, argument: str) -> Reply:
    """Admins (the route's role): give a Stars payment back."""
    payment_id = argument.strip()
    if not payments.is_payment_id(payment_id):
        return reply(ctx, texts.text(ctx.language, "payments.refund.usage"))
    try:
        refunded = refunds.refund_stars(
            ctx.runtime, admin_id=ctx.user_id, payment_id=payment_id, trace=ctx.trace
        )
    except refunds.RefundRefused as refused:
        return reply(ctx, texts.refusal(ctx.language, refused))
    # An id is said as digits, not as a number with thousands separators.
    who = {"user_id": str(refunded.user_id), "payment_id": refunded.payment_id}
    if refunded.credited and refunded.amount is not None:
        return reply(
            ctx, texts.text(ctx.language, "payments.refund.done", amount=refunded.amount, **who)
        )
    if refunded.amount is not None:
        said = texts.text(
            ctx.language, "payments.refund.never_credited", amount=refunded.amount, **who
        )
        return reply(ctx, said)
    return reply(ctx, texts.text(ctx.language, "payments.refund.never_credited_unvalued", **who))
