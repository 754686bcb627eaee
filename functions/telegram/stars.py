"""Telegram Stars (XTR): the pre-checkout answer and the successful payment.

Until Stars deposits are offered, no invoice exists, so a pre-checkout query can only be
a stale or forged one: it is refused, and nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from functions.telegram.handlers import Context, Reply


def on_pre_checkout(ctx: Context, argument: str) -> Reply:
    query = ctx.update.pre_checkout_query
    assert query is not None
    return {
        "method": "answerPreCheckoutQuery",
        "pre_checkout_query_id": query.id,
        "ok": False,
        "error_message": "This invoice is no longer valid.",
    }


def on_successful_payment(ctx: Context, argument: str) -> Reply:
    from functions.telegram.handlers import reply

    return reply(ctx, "Payment received; an admin will check it.")
