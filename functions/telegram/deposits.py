"""/deposit and /history: top up a wallet through a deposit option, and see past deposits.

A deposit option is one way to pay in: a provider rail (M-Pesa, NOWPayments, Pakasir), or a
Telegram-native way (Stars, a manual transfer an admin approves). The typed form is
`/deposit <option> <amount> [extra]`, where `extra` is a phone number or a transfer
reference; every option offers only what this deployment has configured.
"""

from __future__ import annotations

import html
import importlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from events import Money
from events.money import MoneyError, currency, format_money, parse_money
from functions.projections.payments import PaymentView, payments_of
from functions.providers.base import Instructions
from functions.telegram.chat import Context, Reply, reply

if TYPE_CHECKING:
    from functions.payments.start import Outcome
    from functions.runtime.bootstrap import Runtime

log = logging.getLogger(__name__)
HISTORY_SIZE = 10
Starter = Callable[["Context", "DepositOption", Money, "str | None"], "Reply"]


@dataclass(frozen=True)
class DepositOption:
    name: str  # what the user types (or the button sends)
    label: str  # the button's label
    currency: str
    example: str  # the typed form, shown in usage
    # What follows the amount: a phone to prompt (M-Pesa), a transfer reference, nothing.
    extra: Literal["phone", "reference"] | None
    starter: str  # import path of a Starter: (ctx, option, amount, extra) -> reply
    offered: Callable[[Runtime], bool]
    # A currency chosen by a setting (manual transfers) instead of the fixed `currency`.
    configured_currency: Callable[[Runtime], str] | None = None
    # What the rail takes, in whole units of its currency (None: no bound of ours).
    minimum: int | None = None
    maximum: int | None = None
    whole_units: bool = False  # M-Pesa takes whole shillings only

    def refusal(self, amount: Money) -> str | None:
        """Why the rail would not take this amount, in words for the user; None if it would."""
        unit = 10 ** currency(amount.currency).exponent
        if self.whole_units and amount.amount % unit:
            return f"{self.label} takes whole {amount.currency} amounts, without cents."
        low = self.minimum * unit if self.minimum is not None else None
        high = self.maximum * unit if self.maximum is not None else None
        too_low = low is not None and amount.amount < low
        if too_low or (high is not None and amount.amount > high):
            if self.maximum is None:
                return f"{self.label} takes at least {amount.currency} {self.minimum:,}."
            return (
                f"{self.label} takes {amount.currency} {self.minimum or 0:,} to {self.maximum:,}."
            )
        return None

    def currency_in(self, rt: Runtime) -> str:
        """The currency amounts are typed in for this deployment."""
        return self.configured_currency(rt) if self.configured_currency else self.currency

    def start(self, ctx: Context, amount: Money, extra: str | None) -> Reply:
        module, _, name = self.starter.rpartition(".")
        starter: Starter = getattr(importlib.import_module(module), name)
        return starter(ctx, self, amount, extra)


def _rail_configured(name: str) -> Callable[[Runtime], bool]:
    return lambda rt: name in rt.rails()


def _manual_offered(rt: Runtime) -> bool:
    # Transfer details to show, and an admin to approve what arrives.
    return bool(rt.settings.manual_transfer_details) and bool(rt.settings.admin_ids)


RAIL_STARTER = "functions.telegram.deposits.start_on_rail"
OPTIONS: tuple[DepositOption, ...] = (
    DepositOption("mpesa", "M-Pesa", "KES", "/deposit mpesa 1500 0712345678", "phone",
                  RAIL_STARTER, _rail_configured("mpesa"), minimum=1, maximum=250_000,
                  whole_units=True),
    DepositOption("pakasir", "QRIS", "IDR", "/deposit pakasir 50000", None,
                  RAIL_STARTER, _rail_configured("pakasir"), minimum=500, whole_units=True),
    DepositOption("nowpayments", "Crypto", "USD", "/deposit nowpayments 25.00", None,
                  RAIL_STARTER, _rail_configured("nowpayments")),
    DepositOption("stars", "Telegram Stars", "XTR", "/deposit stars 50", None,
                  "functions.telegram.stars.start_stars_deposit",
                  lambda rt: rt.settings.stars_enabled),
    DepositOption("bank", "Bank transfer / BLIK", "PLN", "/deposit bank 100.00 REF123",
                  "reference", "functions.telegram.manual.start_manual", _manual_offered,
                  lambda rt: rt.settings.manual_transfer_currency),
    DepositOption("fake", "Test rail", "KES", "/deposit fake 1500", None,
                  RAIL_STARTER, _rail_configured("fake")),
)  # fmt: skip


def offered(rt: Runtime) -> list[DepositOption]:
    return [option for option in OPTIONS if option.offered(rt)]


def option_named(rt: Runtime, name: str) -> DepositOption | None:
    return next((o for o in offered(rt) if o.name == name), None)


def on_deposit(ctx: Context, argument: str) -> Reply:

    parts = argument.split()
    if not parts:
        return deposit_menu(ctx)
    option = option_named(ctx.runtime, parts[0].lower())
    if option is None:
        return reply(ctx, usage(offered(ctx.runtime)))
    rest = parts[1:]
    extra = rest.pop() if option.extra is not None and len(rest) >= 2 else None
    try:
        amount = parse_money(" ".join(rest), option.currency_in(ctx.runtime))
    except MoneyError as err:
        return reply(ctx, f"{html.escape(str(err))}\n\n{usage([option])}")
    if option.extra is not None and extra is None:
        return reply(ctx, usage([option]))
    refusal = option.refusal(amount)
    if refusal is not None:
        return reply(ctx, f"{html.escape(refusal)}\n\n{usage([option])}")
    return option.start(ctx, amount, extra)


def start_on_rail(ctx: Context, option: DepositOption, amount: Money, phone: str | None) -> Reply:
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
    from functions.providers.pakasir import qr_png
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

    The question names the option, so the answer needs no stored conversation state."""

    option = option_named(ctx.runtime, name)
    if option is None:
        return reply(ctx, usage(offered(ctx.runtime)))
    what = {"phone": " and your phone number", "reference": " and your transfer reference"}
    example = option.example.split(" ", 2)[2]
    question = (
        f"Deposit with {option.label} ({option.currency_in(ctx.runtime)}): reply with the "
        f"amount{what.get(option.extra or '', '')}, e.g. {example}"
    )
    answer = reply(ctx, html.escape(question))
    answer["reply_markup"] = {"force_reply": True, "input_field_placeholder": example}
    return answer


def on_amount_reply(ctx: Context, text: str) -> Reply:
    """The answer to on_option_button's question: the same as typing /deposit <option> …"""
    assert ctx.message is not None
    assert ctx.message.reply_to_message is not None
    found = ASKED.search(ctx.message.reply_to_message.text or "")
    option = next((o for o in offered(ctx.runtime) if found and o.label == found["label"]), None)
    if option is None:
        return reply(ctx, usage(offered(ctx.runtime)))
    return on_deposit(ctx, f"{option.name} {text}")


def usage(options: list[DepositOption]) -> str:
    if not options:
        return "Deposits are not available right now."
    return "Top up your wallet:\n" + "\n".join(o.example for o in options)


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
