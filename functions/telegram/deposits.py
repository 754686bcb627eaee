"""/deposit and /history: top up a wallet through a deposit option, and see past payments.

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
from dataclasses import replace
from typing import TYPE_CHECKING

from events import Money
from events.money import MoneyError, parse_money
from events.payments import Purpose
from functions import texts
from functions.crypto.coins import NAMES as COIN_NAMES
from functions.crypto.coins import CryptoSettings
from functions.phones.numbers import BadPhone, Phone
from functions.projections.payments import MANUAL_RAIL, PaymentView, payments_of
from functions.providers import registry
from functions.providers.base import Instructions
from functions.providers.spec import RailSpec
from functions.telegram import mobile_money
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
# Deposits to the user's own address are payments on the coin's rail (functions/contexts/coins.py).
COIN_LABELS = {"btc": "Bitcoin", "ltc": "Litecoin"}


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
    if parts[0].lower() in COIN_NAMES:  # a standing address, no amount: the coins context's
        from functions.telegram.coins import on_coin_deposit

        return on_coin_deposit(ctx, parts[0])
    option = option_named(ctx.runtime, parts[0].lower())
    if option is None and parts[0][:1].isdigit():
        return deposit_by_phone(ctx, parts[0], " ".join(parts[1:]))
    if option is None:
        return reply(ctx, usage(ctx, offered(ctx.runtime)))
    rest = parts[1:]
    extra = rest.pop() if option.payer_gives is not None and len(rest) >= 2 else None
    phone: Phone | None = None
    if option.payer_gives == "phone":
        try:
            phone = _phone_given(ctx, extra)
        except BadPhone as err:
            return reply(ctx, try_again(ctx, texts.Html(texts.refusal(ctx.language, err)), option))
        extra = phone.e164 if phone else None
    try:
        amount = parse_money(" ".join(rest), mobile_money.currency_for(ctx.runtime, option, phone))
    except MoneyError as err:
        return reply(ctx, try_again(ctx, str(err), option))
    if option.payer_gives is not None and extra is None:
        return reply(ctx, usage(ctx, [option]))
    refused = option.refusal(amount)
    if refused is not None:
        return reply(ctx, try_again(ctx, texts.Html(texts.refusal(ctx.language, refused)), option))
    return start_option(ctx, option, amount, extra)


def _phone_given(ctx: Context, typed: str | None) -> Phone | None:
    """The phone typed (then remembered), or the one remembered; BadPhone if unreadable."""
    if typed is None:
        known = mobile_money.remembered(ctx)
        return mobile_money.read_phone(ctx, known) if known else None
    phone = mobile_money.read_phone(ctx, typed)
    mobile_money.remember(ctx, phone)
    return phone


def deposit_by_phone(ctx: Context, amount_text: str, typed: str) -> Reply:
    """`/deposit <amount> [phone]`: Soko chooses the rail for the phone (the one typed, or
    the one remembered), says which and why, and starts the payment on it."""
    known = typed.strip() or mobile_money.remembered(ctx)
    if not known:
        return reply(ctx, texts.text(ctx.language, "payments.phone_needed"))
    routed = mobile_money.route_typed(ctx, known, typed)
    if isinstance(routed, str):
        return reply(ctx, routed)
    phone, choice = routed
    assert choice.rail is not None  # route_typed said why otherwise
    try:
        amount = parse_money(amount_text, choice.route.currency)
    except MoneyError as err:
        return reply(ctx, try_again(ctx, str(err), choice.rail))
    refused = choice.rail.refusal(amount)
    if refused is not None:
        said = texts.Html(texts.refusal(ctx.language, refused))
        return reply(ctx, try_again(ctx, said, choice.rail))
    return start_by_phone(ctx, choice, amount, phone)


def start_by_phone(
    ctx: Context, choice: mobile_money.Choice, amount: Money, phone: Phone,
    purpose: Purpose = "wallet_deposit", subject: str | None = None,
) -> Reply:  # fmt: skip
    """Start a payment on the rail chosen for the phone (failing over while unavailable),
    remember the number, and say which rail and why above how to pay."""
    mobile_money.remember(ctx, phone)
    tried, outcome = _start_with_failover(ctx, choice, amount, phone.e164, purpose, subject)
    chosen = mobile_money.describe(ctx.language, choice, tried, others=purpose == "wallet_deposit")
    answer = started_reply(ctx, amount, outcome)
    if "text" in answer:
        answer["text"] = f"{chosen}\n{answer['text']}"
    return answer


def _start_with_failover(
    ctx: Context, choice: mobile_money.Choice, amount: Money, phone: str,
    purpose: Purpose, subject: str | None,
) -> tuple[list[RailSpec], Outcome]:  # fmt: skip
    """Start on the chosen rail; while a rail fails as unavailable (its payment is then
    closed: failed, nothing was asked of the payer), start on the next one of the route.
    Each attempt's payment id derives from the update's key and the attempt's number, so a
    redelivered update finds the same payments and never starts a second one live."""
    from functions.payments.start import start_payment

    tried: list[RailSpec] = []
    outcome: Outcome | None = None
    for attempt, option in enumerate(mobile_money.attempts(choice, amount)):
        key = ctx.trace.idempotency_key
        trace = ctx.trace if attempt == 0 else replace(ctx.trace, idempotency_key=(
            f"{key}:failover:{attempt}" if key else None))  # fmt: skip
        tried.append(option)
        outcome = start_payment(
            ctx.runtime, user_id=ctx.user_id, rail_name=option.name, amount=amount,
            purpose=purpose, phone=phone, trace=trace, subject=subject,
        )  # fmt: skip
        if outcome.told != "unavailable":
            break
    assert outcome is not None  # attempts() starts with the chosen rail
    return tried, outcome


def try_again(ctx: Context, problem: str, option: RailSpec) -> str:
    """Why the typed deposit was refused, then how to type it (`problem` is text to escape,
    or Html)."""
    return texts.text(
        ctx.language, "payments.try_again", problem=problem, usage=texts.Html(usage(ctx, [option]))
    )


def start_on_rail(ctx: Context, option: RailSpec, amount: Money, phone: str | None) -> Reply:
    """A provider rail: ask the provider to collect, then tell the user how to pay."""
    from functions.payments.start import start_payment

    outcome = start_payment(
        ctx.runtime, user_id=ctx.user_id, rail_name=option.name, amount=amount,
        purpose="wallet_deposit", phone=phone, trace=ctx.trace,
    )  # fmt: skip
    return started_reply(ctx, amount, outcome)


def started_reply(ctx: Context, amount: Money, outcome: Outcome) -> Reply:
    """How to pay a payment that started (a top-up or an order's, by its purpose), or why
    not. A QR code goes out as a photo whose caption is the whole instruction: a second
    message to the same chat within a second would meet Telegram's per-chat limit (429) and
    be lost, reference and all."""

    if not outcome.started:
        why = not_started_text(ctx.language, outcome)
        return reply(ctx, texts.text(ctx.language, "payments.not_started", why=why))
    head = started_head(ctx.language, amount, outcome)
    how = outcome.instructions
    if how is None:  # ours to say: the start is unknown, or under way
        return reply(ctx, f"{head}\n{pending_text(ctx.language, outcome)}")
    if how.kind == "qr" and how.qr_payload:
        caption = f"{head}\n{instructions_text(ctx.language, how, qr_sent=True)}"
        if send_qr(ctx, how.qr_payload, caption):
            return {}  # the photo said it all: the webhook answers nothing more
    return reply(ctx, f"{head}\n{instructions_text(ctx.language, how)}")


def started_head(language: str, amount: Money, outcome: Outcome) -> str:
    """`Deposit of KES 1,500.00 started (ref 1a2b3c4d5e6f).`: the reference is what the
    payer (and an admin, and the local console's payer) finds the payment by."""
    ref = outcome.payment_id
    if outcome.purpose == "wallet_deposit":
        return texts.text(language, "payments.started.wallet_deposit", amount=amount, ref=ref)
    if outcome.purpose == "order":
        return texts.text(language, "payments.started.order", amount=amount, ref=ref)
    return texts.text(language, "payments.started.other", amount=amount, ref=ref)


def not_started_text(language: str, outcome: Outcome) -> str | texts.Html:
    """Why a payment did not start, as a clause the payer can act on (never the provider's
    own words, which stay in the payment's record)."""
    match outcome.told:
        case "not_available":
            return texts.Html(texts.text(language, "payments.not_available"))
        case "unavailable":
            return texts.Html(texts.text(language, "payments.unavailable"))
        case "rail_refused" if outcome.problem:
            return outcome.problem  # the rail worded it for the payer (English), escaped
        case _:
            return texts.Html(texts.text(language, "payments.declined"))


def pending_text(language: str, outcome: Outcome) -> str:
    """What a started payment without instructions to show means for the payer."""
    match outcome.told:
        case "starting":
            return texts.text(language, "payments.starting")
        case "already_started":
            state = state_text(language, outcome.state)
            return texts.text(language, "payments.already_started", state=texts.Html(state))
        case _:
            return texts.text(language, "payments.start_unknown")


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
    """The user's last payments: what each was for, how much, how, where it stands."""
    shown = [p for p in payments_of(ctx.runtime.read_models, ctx.user_id) if in_history(p)]
    if not shown:
        return reply(ctx, texts.text(ctx.language, "payments.history_empty"))
    lines = "\n".join(history_line(ctx.language, p) for p in shown[:HISTORY_SIZE])
    return reply(ctx, texts.text(ctx.language, "payments.history", lines=texts.Html(lines)))


def in_history(payment: PaymentView) -> bool:
    """Whether /history lists it: not a payment that never started (the provider refused
    or did not answer at once, and the payer was told so then). Nothing was asked of the
    payer and nothing can arrive for it; listing it would bury the payments that count.
    A start that failed records no provider reference; a payment that failed later (a
    cancelled prompt, a rejected transfer) has one and is listed."""
    return not (payment.state == "failed" and payment.provider_ref is None)


def history_line(language: str, payment: PaymentView) -> str:
    """`2026-12-01 top-up KES 1,500.00 via M-Pesa: paid (ref 1a2b3c4d5e6f)`."""
    day = payment.requested_at.date().isoformat() if payment.requested_at else ""
    line = texts.text(
        language, "payments.history_line", day=day, kind=texts.Html(kind_text(language, payment)),
        amount=payment.paid or payment.amount, rail=rail_label(payment.rail),
        state=texts.Html(state_text(language, payment.state)), ref=payment.payment_id,
    )  # fmt: skip
    return line.strip()


def kind_text(language: str, payment: PaymentView) -> str:
    """What the payment was for, in words: a top-up, an order's payment."""
    match payment.purpose:
        case "order":
            return texts.text(language, "payments.kind.order")
        case "circle_contribution":
            return texts.text(language, "payments.kind.circle_contribution")
        case "subscription":
            return texts.text(language, "payments.kind.subscription")
        case "tier":
            return texts.text(language, "payments.kind.tier")
        case "donation":
            return texts.text(language, "payments.kind.donation")
        case _:
            return texts.text(language, "payments.kind.wallet_deposit")


# Where a payment stands, in the customer's words (functions/domain/payments.py `State`).
STATE_TEXTS: dict[str, str] = {
    "new": "payments.state.new",
    "requested": "payments.state.requested",
    "pending": "payments.state.pending",
    "succeeded": "payments.state.succeeded",
    "failed": "payments.state.failed",
    "expired": "payments.state.expired",
    "refunded": "payments.state.refunded",
    "held": "payments.state.held",
}


def state_text(language: str, state: str) -> str:
    """Where a payment stands, in words ("paid", "held for review"), never its code."""
    return texts.text(language, STATE_TEXTS.get(state, "payments.state.new"))


def rail_label(rail: str) -> str:
    """The name a payer knows a payment's rail by ("M-Pesa", "Telegram Stars"), from its
    spec; manual transfers are recorded on the `manual` rail, offered as "bank"."""
    labels = {o.name: o.label for o in options()} | {MANUAL_RAIL: MANUAL.label} | COIN_LABELS
    return labels.get(rail, rail)


# -- the conversation: /deposit -> a button per option -> "how much?" -> instructions --------

ASKED = re.compile(r"Deposit with (?P<label>.+?) \(")


def deposit_menu(ctx: Context) -> Reply:

    options = offered(ctx.runtime)
    coins = ctx.runtime.settings_of(CryptoSettings).coins()
    if not options and not coins:
        return reply(ctx, usage(ctx, options))
    answer = reply(ctx, texts.text(ctx.language, "payments.menu"))
    rows = [[{"text": o.label, "callback_data": f"dep:{o.name}"}] for o in options]
    rows += [
        [{"text": texts.text(ctx.language, "coins.button", coin=c.code),
          "callback_data": f"cdep:{c.name}"}]
        for c in coins
    ]  # fmt: skip
    answer["reply_markup"] = {"inline_keyboard": rows}
    return answer


def on_option_button(ctx: Context, name: str) -> Reply:
    """A tapped option: ask for the amount (and phone or reference) as a reply (ForceReply).

    The question's marker names the option, so the answer needs no stored conversation
    state: it comes back to the `deposit_amount` route as `<option> <amount> [extra]`."""

    option = option_named(ctx.runtime, name)
    if option is None:
        return reply(ctx, usage(ctx, offered(ctx.runtime)))
    example = option.example.split(" ", 2)[2]
    question = _question(ctx.language, option, option.currency_in(ctx.runtime), example)
    return ask(ctx, "deposit_amount", option.name, question, example)


def _question(language: str, option: RailSpec, currency: str, example: str) -> str:
    values = {"rail": option.label, "currency": currency, "example": example}
    if option.payer_gives == "phone":
        return texts.text(language, "payments.ask_amount_and_phone", **values)
    if option.payer_gives == "reference":
        return texts.text(language, "payments.ask_amount_and_reference", **values)
    return texts.text(language, "payments.ask_amount", **values)


def on_amount_reply(ctx: Context, text: str) -> Reply:
    """An answer to on_option_button's question asked before questions carried a marker
    (replies.LEGACY): the same as typing /deposit <option> …"""
    assert ctx.message is not None
    assert ctx.message.reply_to_message is not None
    found = ASKED.search(ctx.message.reply_to_message.text or "")
    option = next((o for o in offered(ctx.runtime) if found and o.label == found["label"]), None)
    if option is None:
        return reply(ctx, usage(ctx, offered(ctx.runtime)))
    return on_deposit(ctx, f"{option.name} {text}")


def usage(ctx: Context, shown: list[RailSpec]) -> str:
    """The typed form of each option shown, or that there is none."""
    # Every option shown: the coins too, typed without an amount.
    everything = shown == offered(ctx.runtime)
    coins = ctx.runtime.settings_of(CryptoSettings).coins() if everything else ()
    if not shown and not coins:
        return texts.text(ctx.language, "payments.none_offered")
    examples = "\n".join([*(o.example for o in shown), *(f"/deposit {c.name}" for c in coins)])
    return texts.text(ctx.language, "payments.usage", examples=examples)


def instructions_text(language: str, how: Instructions, qr_sent: bool = False) -> str:
    """How to pay, as the rail said it (its words, escaped), with our own words around."""
    if how.kind == "invoice_url" and how.url:
        return texts.text(language, "payments.pay_here", url=how.url)
    if how.kind == "qr" and qr_sent:
        return html.escape(how.text) if how.text else texts.text(language, "payments.scan_qr")
    if how.kind == "qr" and how.qr_payload:
        qris = texts.text(language, "payments.qris_string", qris=how.qr_payload)
        return f"{html.escape(how.text)}\n{qris}" if how.text else qris
    return html.escape(how.text)
