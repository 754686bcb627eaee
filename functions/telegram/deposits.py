"""/deposit and /history: top up a wallet through a deposit option, and see past deposits.

A deposit option is one way to pay in, described by a RailSpec: a provider rail from the
registry (M-Pesa, NOWPayments, Pakasir), or a Telegram-native way (Stars, a manual transfer
an admin approves). The typed form is `/deposit <option> <amount> [extra]`, where `extra` is
what the spec says the payer gives (a phone number, a transfer reference); every option
offers only what this deployment has configured, and drawing the menu loads no rail's code.
"""

from __future__ import annotations

import html
import importlib
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from events import Money
from events.money import MoneyError, format_money, parse_money
from functions.projections.payments import PaymentView, payments_of
from functions.providers import registry
from functions.providers.base import Instructions
from functions.providers.spec import RailSpec
from functions.telegram.chat import Context, Reply, reply
from functions.telegram.replies import ask

if TYPE_CHECKING:
    from functions.payments.start import Outcome
    from functions.runtime.bootstrap import Runtime

log = logging.getLogger(__name__)
HISTORY_SIZE = 10
DepositOption = RailSpec  # the name the Stars and manual starters type their option with
Starter = Callable[["Context", RailSpec, Money, "str | None"], "Reply"]


def _manual_offered(rt: Runtime) -> bool:
    # Transfer details to show, and an admin to approve what arrives.
    return bool(rt.settings.manual_transfer_details) and bool(rt.settings.admin_ids)


# Telegram-native options: no provider, so no adapter or settings of their own.
STARS = RailSpec(
    name="stars", label="Telegram Stars", currencies=("XTR",), example="/deposit stars 50",
    pays_orders=True, starter="functions.telegram.stars:start_stars_deposit",
    offered_when=lambda rt: rt.settings.stars_enabled,
)  # fmt: skip
MANUAL = RailSpec(
    name="bank", label="Bank transfer / BLIK", currencies=("PLN",),
    example="/deposit bank 100.00 REF123", payer_gives="reference",
    starter="functions.telegram.manual:start_manual", offered_when=_manual_offered,
    configured_currency=lambda rt: rt.settings.manual_transfer_currency,
)  # fmt: skip
NATIVE: tuple[RailSpec, ...] = (STARS, MANUAL)


def options() -> tuple[RailSpec, ...]:
    """Every option this code knows, in the order the menu shows them."""
    return (*registry.specs(), *NATIVE)


def is_offered(rt: Runtime, option: RailSpec) -> bool:
    if option.offered_when is not None:
        return option.offered_when(rt)
    return option.name in rt.rails()  # a provider rail: configured (no adapter is built)


def offered(rt: Runtime) -> list[RailSpec]:
    return [option for option in options() if is_offered(rt, option)]


def option_named(rt: Runtime, name: str) -> RailSpec | None:
    return next((o for o in offered(rt) if o.name == name), None)


def order_rails(rt: Runtime, currency_code: str) -> list[RailSpec]:
    """The offered options a held order in this currency can be paid with directly."""
    return [o for o in offered(rt) if o.pays_orders and o.takes(rt, currency_code)]


def start_option(ctx: Context, option: RailSpec, amount: Money, extra: str | None) -> Reply:
    """Start a deposit: a provider rail through start_on_rail, another by its own starter."""
    if option.starter is None:
        return start_on_rail(ctx, option, amount, extra)
    module, _, name = option.starter.partition(":")
    starter: Starter = getattr(importlib.import_module(module), name)
    return starter(ctx, option, amount, extra)


def on_deposit(ctx: Context, argument: str) -> Reply:

    parts = argument.split()
    if not parts:
        return deposit_menu(ctx)
    option = option_named(ctx.runtime, parts[0].lower())
    if option is None:
        return reply(ctx, usage(offered(ctx.runtime)))
    rest = parts[1:]
    extra = rest.pop() if option.payer_gives is not None and len(rest) >= 2 else None
    try:
        amount = parse_money(" ".join(rest), option.currency_in(ctx.runtime))
    except MoneyError as err:
        return reply(ctx, f"{html.escape(str(err))}\n\n{usage([option])}")
    if option.payer_gives is not None and extra is None:
        return reply(ctx, usage([option]))
    refusal = option.refusal(amount)
    if refusal is not None:
        return reply(ctx, f"{html.escape(refusal)}\n\n{usage([option])}")
    return start_option(ctx, option, amount, extra)


def start_on_rail(ctx: Context, option: RailSpec, amount: Money, phone: str | None) -> Reply:
    """A provider rail: ask the provider to collect, then tell the user how to pay."""
    from functions.payments.start import start_payment

    outcome = start_payment(
        ctx.runtime, user_id=ctx.user_id, rail_name=option.name, amount=amount,
        purpose="wallet_deposit", phone=phone, trace=ctx.trace,
    )  # fmt: skip
    return started_reply(ctx, amount, outcome)


def started_reply(ctx: Context, amount: Money, outcome: Outcome, what: str = "Deposit") -> Reply:
    """How to pay a payment that started, or why not. A QR code goes out as a photo whose
    caption is the whole instruction: a second message to the same chat within a second
    would meet Telegram's per-chat limit (429) and be lost, reference and all."""

    how = outcome.instructions
    if how is None:
        return reply(ctx, f"Could not start the payment: {html.escape(outcome.problem)}")
    if how.kind == "qr" and how.qr_payload:
        caption = instructions_text(amount, outcome.payment_id, how, qr_sent=True, what=what)
        if send_qr(ctx, how.qr_payload, caption):
            return {}  # the photo said it all: the webhook answers nothing more
    return reply(ctx, instructions_text(amount, outcome.payment_id, how, what=what))


def send_qr(ctx: Context, payload: str, caption: str) -> bool:
    """The QRIS code as a photo to scan (a webhook answer cannot upload a file, so this is
    an out-of-band sendPhoto). False if Telegram refused: the text then carries the string."""
    from functions.providers.pakasir.qr import qr_png
    from functions.telegram.bot_api import BotApiError

    try:
        ctx.runtime.bot().send_photo(ctx.chat_id, qr_png(payload), caption)
    except BotApiError:
        log.warning("QR photo not sent; the QRIS string goes in the text instead")
        return False
    return True


def on_history(ctx: Context, argument: str) -> Reply:

    recent = payments_of(ctx.runtime.read_models, ctx.user_id)
    if not recent:
        return reply(ctx, "No payments yet. Send /deposit to top up.")
    lines = [_history_line(p) for p in recent[:HISTORY_SIZE]]
    return reply(ctx, "Your last payments:\n" + "\n".join(lines))


HISTORY_KINDS = {"wallet_deposit": "top-up", "order": "order"}


def _history_line(payment: PaymentView) -> str:
    """`2026-12-01 top-up KES 1,500.00 via mpesa: succeeded (ref 1a2b3c4d5e6f)`."""
    day = payment.requested_at.date().isoformat() if payment.requested_at else ""
    kind = HISTORY_KINDS.get(payment.purpose, payment.purpose)
    amount = format_money(payment.amount)
    ref = html.escape(payment.payment_id)
    what = f"{kind} {amount} via {html.escape(payment.rail)}: {payment.state}"
    return f"{day} {what} (ref <code>{ref}</code>)".strip()


# -- the conversation: /deposit -> a button per option -> "how much?" -> instructions --------

ASKED = re.compile(r"Deposit with (?P<label>.+?) \(")


def deposit_menu(ctx: Context) -> Reply:

    options = offered(ctx.runtime)
    answer = reply(ctx, "How would you like to top up?" if options else usage(options))
    if options:
        rows = [[{"text": o.label, "callback_data": f"dep:{o.name}"}] for o in options]
        answer["reply_markup"] = {"inline_keyboard": rows}
    return answer


def on_option_button(ctx: Context, name: str) -> Reply:
    """A tapped option: ask for the amount (and phone or reference) as a reply (ForceReply).

    The question's marker names the option, so the answer needs no stored conversation
    state: it comes back to the `deposit_amount` route as `<option> <amount> [extra]`."""

    option = option_named(ctx.runtime, name)
    if option is None:
        return reply(ctx, usage(offered(ctx.runtime)))
    what = {"phone": " and your phone number", "reference": " and your transfer reference"}
    example = option.example.split(" ", 2)[2]
    question = (
        f"Deposit with {option.label} ({option.currency_in(ctx.runtime)}): reply with the "
        f"amount{what.get(option.payer_gives or '', '')}, e.g. {example}"
    )
    return ask(ctx, "deposit_amount", option.name, html.escape(question), example)


def on_amount_reply(ctx: Context, text: str) -> Reply:
    """An answer to on_option_button's question asked before questions carried a marker
    (replies.LEGACY): the same as typing /deposit <option> …"""
    assert ctx.message is not None
    assert ctx.message.reply_to_message is not None
    found = ASKED.search(ctx.message.reply_to_message.text or "")
    option = next((o for o in offered(ctx.runtime) if found and o.label == found["label"]), None)
    if option is None:
        return reply(ctx, usage(offered(ctx.runtime)))
    return on_deposit(ctx, f"{option.name} {text}")


def usage(shown: list[RailSpec]) -> str:
    if not shown:
        return "Deposits are not available right now."
    return "Top up your wallet:\n" + "\n".join(o.example for o in shown)


def instructions_text(
    amount: Money, payment_id: str, how: Instructions, qr_sent: bool = False, what: str = "Deposit"
) -> str:
    head = f"{what} of {format_money(amount)} started (ref {payment_id})."
    if how.kind == "invoice_url" and how.url:
        return f"{head}\nPay here: {html.escape(how.url)}"
    if how.kind == "qr" and qr_sent:
        return f"{head}\n{html.escape(how.text or 'Scan this QR code with any QRIS app.')}"
    if how.kind == "qr" and how.qr_payload:
        return f"{head}\n{html.escape(how.text)}\nQRIS: <code>{html.escape(how.qr_payload)}</code>"
    return f"{head}\n{html.escape(how.text)}"
