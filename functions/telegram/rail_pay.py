"""Paying one thing on a provider rail from a button: an order, a circle's contribution, a
channel's plan or a donation. The one place that decides where the phone a rail asks for
comes from, so every purpose asks for it, remembers it and starts the payment alike.

A rail whose payer gives a phone (M-Pesa, MTN MoMo, Airtel, Flutterwave) uses the number
the payer set (/phone, or typed for an earlier payment) when that rail serves its country
and operator (functions/phones/routing.py); else it asks with a question whose marker names
what is being paid, so the answer needs no stored conversation state and comes back,
through the caller's question route, to the caller, which calls this again with the phone.
The typed answer goes to the rail as typed: the rail reads it (and refuses what it cannot).
"""

from __future__ import annotations

from dataclasses import dataclass

from events import Money
from events.payments import Purpose
from functions import texts
from functions.payments.start import start_payment
from functions.providers.spec import RailSpec
from functions.telegram import mobile_money
from functions.telegram.chat import Context, Reply
from functions.telegram.deposits import STARS, order_rails, started_reply
from functions.telegram.replies import ask


@dataclass(frozen=True)
class PhoneQuestion:
    """What to ask when the phone is not known: the question route's key, the payload its
    marker carries (`<what>:<rail>`), and the question (HTML)."""

    key: str
    payload: str
    text: str


def pay_on_rail(
    ctx: Context, option: RailSpec, amount: Money, *, purpose: Purpose, subject: str,
    phone: str | None, question: PhoneQuestion,
) -> Reply:  # fmt: skip
    """Start the payment (once per update), or ask for the phone first."""
    if option.payer_gives == "phone" and phone is None:
        phone = mobile_money.remembered_for(ctx, option.name)
    if option.payer_gives == "phone" and phone is None:
        placeholder = texts.text(ctx.language, "shop.phone_placeholder")
        return ask(ctx, question.key, question.payload, question.text, placeholder)
    outcome = start_payment(
        ctx.runtime, user_id=ctx.user_id, rail_name=option.name, amount=amount,
        purpose=purpose, phone=phone, subject=subject, trace=ctx.trace,
    )  # fmt: skip
    return started_reply(ctx, amount, outcome)


def rails_taking(ctx: Context, price: Money) -> list[RailSpec]:
    """The offered provider rails that collect this price's currency and take its amount,
    those asking for a phone included; Stars' invoices have a button of their own."""
    return [
        o for o in order_rails(ctx.runtime, price.currency)
        if o.name != STARS.name and o.refusal(price) is None
    ]  # fmt: skip
