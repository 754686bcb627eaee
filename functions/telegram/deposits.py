"""/deposit and /history: top up a wallet through a deposit option, and see past deposits.

A deposit option is one way to pay in: a provider rail (M-Pesa, NOWPayments, Pakasir), or a
Telegram-native way (Stars, a manual transfer an admin approves). The typed form is
`/deposit <option> <amount> [extra]`, where `extra` is a phone number or a transfer
reference; every option offers only what this deployment has configured.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from events import Money
from events.money import MoneyError, format_money, parse_money
from functions.providers.base import Instructions

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime
    from functions.telegram.handlers import Context, Reply

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
                  RAIL_STARTER, _rail_configured("mpesa")),
    DepositOption("pakasir", "QRIS", "IDR", "/deposit pakasir 50000", None,
                  RAIL_STARTER, _rail_configured("pakasir")),
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
    from functions.telegram.handlers import reply

    parts = argument.split()
    option = option_named(ctx.runtime, parts[0].lower()) if parts else None
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
    return option.start(ctx, amount, extra)


def start_on_rail(ctx: Context, option: DepositOption, amount: Money, phone: str | None) -> Reply:
    """A provider rail: ask the provider to collect, then tell the user how to pay."""
    from functions.payments.start import start_payment
    from functions.telegram.handlers import reply

    outcome = start_payment(
        ctx.runtime, user_id=ctx.user_id, rail_name=option.name, amount=amount,
        purpose="wallet_deposit", phone=phone,
    )  # fmt: skip
    if outcome.instructions is None:
        return reply(ctx, f"Could not start the payment: {html.escape(outcome.problem)}")
    return reply(ctx, instructions_text(amount, outcome.payment_id, outcome.instructions))


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


def usage(options: list[DepositOption]) -> str:
    if not options:
        return "Deposits are not available right now."
    return "Top up your wallet:\n" + "\n".join(o.example for o in options)


def instructions_text(amount: Money, payment_id: str, how: Instructions) -> str:
    head = f"Deposit of {format_money(amount)} started (ref {payment_id})."
    if how.kind == "invoice_url" and how.url:
        return f"{head}\nPay here: {html.escape(how.url)}"
    if how.kind == "qr" and how.qr_payload:
        return f"{head}\n{html.escape(how.text)}\nQRIS: <code>{html.escape(how.qr_payload)}</code>"
    return f"{head}\n{html.escape(how.text)}"
