"""Plain-text answers to a question the bot asked (Telegram ForceReply).

The question's own text says what it asked, so no conversation state is stored: the reply
arrives with `reply_to_message` and is routed by the marker the question carries.
"""

from __future__ import annotations

from functions.telegram.chat import Context, Reply, on_unknown

# Marker (in the question's text) -> the handler of the answer, as an import path.
QUESTIONS: dict[str, str] = {
    # deposits.on_option_button: the amount for a deposit option the user tapped.
    "Deposit with ": "functions.telegram.deposits.on_amount_reply",
    # shop_rails.PHONE_QUESTION: the buyer's M-Pesa number for paying an order.
    "Reply with your M-Pesa phone number to pay order": (
        "functions.telegram.shop_rails.on_phone_reply"
    ),
}


def on_reply(ctx: Context, text: str) -> Reply:
    from functions.telegram.handlers import _routed

    assert ctx.message is not None
    assert ctx.message.reply_to_message is not None
    asked = ctx.message.reply_to_message.text or ""
    for marker, path in QUESTIONS.items():
        if marker in asked:
            return _routed(path, ctx, text)
    return on_unknown(ctx, text)
