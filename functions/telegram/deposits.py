"""/deposit and /history: top up a wallet on a configured rail, and see past deposits."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from events import Money
from events.money import MoneyError, format_money, parse_money
from functions.payments.start import start_payment
from functions.providers.base import Instructions

if TYPE_CHECKING:
    from functions.telegram.handlers import Context, Reply

# The currency each rail collects in (NOWPayments invoices are priced in USD here).
CURRENCY_OF = {"mpesa": "KES", "pakasir": "IDR", "nowpayments": "USD", "fake": "KES"}
NEEDS_PHONE = frozenset({"mpesa"})
HISTORY_SIZE = 10


def on_deposit(ctx: Context, argument: str) -> Reply:
    from functions.telegram.handlers import reply

    rails = sorted(r for r in ctx.runtime.rails() if r in CURRENCY_OF)
    parts = argument.split()
    if not parts or parts[0] not in rails:
        return reply(ctx, _usage(rails))
    rail, rest = parts[0], parts[1:]
    phone = rest.pop() if rail in NEEDS_PHONE and len(rest) >= 2 else None
    try:
        amount = parse_money(" ".join(rest), CURRENCY_OF[rail])
    except MoneyError as err:
        return reply(ctx, f"{html.escape(str(err))}\n\n{_usage([rail])}")
    if rail in NEEDS_PHONE and phone is None:
        return reply(ctx, _usage([rail]))
    outcome = start_payment(
        ctx.runtime, user_id=ctx.user_id, rail_name=rail, amount=amount,
        purpose="wallet_deposit", phone=phone,
    )  # fmt: skip
    if outcome.instructions is None:
        return reply(ctx, f"Could not start the payment: {html.escape(outcome.problem)}")
    return reply(ctx, _instructions(amount, outcome.payment_id, outcome.instructions))


def on_history(ctx: Context, argument: str) -> Reply:
    from functions.telegram.handlers import reply

    docs = ctx.runtime.read_models.find("payments", "user_id", ctx.user_id, 100)
    docs.sort(key=lambda d: str(d.get("requested_at", "")), reverse=True)
    if not docs:
        return reply(ctx, "No deposits yet. Send /deposit to top up.")
    lines = [
        f"{format_money(Money.model_validate(d['amount']))} via {d['rail']}: {d['state']}"
        for d in docs[:HISTORY_SIZE]
    ]
    return reply(ctx, "Your last deposits:\n" + "\n".join(lines))


def _usage(rails: list[str]) -> str:
    if not rails:
        return "Deposits are not available right now."
    examples = {
        "mpesa": "/deposit mpesa 1500 0712345678",
        "pakasir": "/deposit pakasir 50000",
        "nowpayments": "/deposit nowpayments 25.00",
        "fake": "/deposit fake 1500",
    }
    return "Top up your wallet:\n" + "\n".join(examples[r] for r in rails)


def _instructions(amount: Money, payment_id: str, how: Instructions) -> str:
    head = f"Deposit of {format_money(amount)} started (ref {payment_id})."
    if how.kind == "invoice_url" and how.url:
        return f"{head}\nPay here: {html.escape(how.url)}"
    if how.kind == "qr" and how.qr_payload:
        return f"{head}\n{html.escape(how.text)}\nQRIS: <code>{html.escape(how.qr_payload)}</code>"
    return f"{head}\n{html.escape(how.text)}"
