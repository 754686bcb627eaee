"""Notification rules: pure functions from an event, and facts read beside it, to notices.

A rule never reads anything itself: the dispatcher reads the facts (the payment as of the
event, the payer's name, who the admins are) and the rule only decides what to say to whom.
Each context declares which rules read which event types (functions/contexts/); the shop's
rules live in shop_rules.py.
"""

from __future__ import annotations

import html

from events import Money
from events.money import format_money
from events.payments import (
    PaymentExpired,
    PaymentFailed,
    PaymentHeldForReview,
    PaymentRefunded,
    PaymentStarted,
)
from events.wallet import WalletCredited
from functions.domain.payments import REFUNDED_NOTE, Payment
from functions.notifications.notice import Button, Facts, Notice

# Inline buttons an admin taps to settle a payment: `adm:ok:<payment id>` / `adm:no:<id>`.
ADMIN_PREFIX = "adm"
MANUAL_RAIL = "manual"


def decision_buttons(payment_id: str, label: str = "") -> tuple[Button, ...]:
    """Approve / Reject for one payment; `label` tells rows apart in a list."""
    suffix = f" {label}" if label else ""
    return (
        Button(f"✅ Approve{suffix}", f"{ADMIN_PREFIX}:ok:{payment_id}"),
        Button(f"❌ Reject{suffix}", f"{ADMIN_PREFIX}:no:{payment_id}"),
    )


def deposit_credited(event: WalletCredited, facts: Facts) -> list[Notice]:
    if event.reason != "deposit":
        return []
    text = f"Your deposit of {format_money(event.amount)} was credited."
    return [Notice(event.user_id, text)]


def payment_failed(event: PaymentFailed | PaymentExpired, facts: Facts) -> list[Notice]:
    payment = facts.payment
    if payment is None or payment.amount is None:
        return []
    refunded = isinstance(event, PaymentFailed) and event.reason.endswith(REFUNDED_NOTE)
    what = (
        "expired before it was paid" if isinstance(event, PaymentExpired) else "did not go through"
    )
    if refunded:
        what = "was refunded to you: it was paid twice, and never added to your wallet"
    text = (
        f"Your payment of {format_money(payment.amount)} (ref {_code(payment.payment_id)}) {what}."
    )
    if payment.purpose == "wallet_deposit" and not refunded:
        text += " Send /deposit to try again."
    return [Notice(payment.user_id, text)]


def payment_refunded(event: PaymentRefunded, facts: Facts) -> list[Notice]:
    """An admin gave a payment back: the payer hears it (Telegram's own refunded_payment
    message is answered by the webhook, so only an admin's refund is told here)."""
    if event.admin_id is None or event.user_id is None or event.amount is None:
        return []
    text = (
        f"Your payment {_code(event.payment_id or '')} of {format_money(event.amount)} was "
        "refunded to you; it has left your wallet."
    )
    return [Notice(event.user_id, text)]


def payment_held(event: PaymentHeldForReview, facts: Facts) -> list[Notice]:
    payment = facts.payment
    if payment is None or payment.amount is None:
        return []
    reason = event.reason.replace("_", " ")
    # Approving credits what arrived, as the rail valued it, never the asked amount.
    approve = (
        f"Approve credits {format_money(event.paid)}."
        if event.paid is not None
        else "What arrived is unknown: check it, then send "
        f"<code>/credit {html.escape(payment.payment_id)} &lt;amount&gt; "
        f"{html.escape(payment.amount.currency)}</code>."
    )
    to_admins = (
        f"⚠️ Payment {_code(payment.payment_id)} needs a review ({reason}).\n"
        f"{_payer(payment, facts)} asked {format_money(payment.amount)} via "
        f"{html.escape(payment.rail)}; arrived {_amount_or_unknown(event.paid)}"
        f"{_provider_ref(event)}.\n"
        f"{approve}"
    )
    to_user = (
        f"Your payment of {format_money(payment.amount)} (ref {_code(payment.payment_id)}) "
        "arrived differently than asked; an admin will review it."
    )
    return [*_to_admins(facts, to_admins, payment.payment_id), Notice(payment.user_id, to_user)]


def manual_declared(event: PaymentStarted, facts: Facts) -> list[Notice]:
    payment = facts.payment
    if payment is None or payment.amount is None or payment.rail != MANUAL_RAIL:
        return []
    text = (
        f"🏦 Transfer declared by {_payer(payment, facts)}: {format_money(payment.amount)}, "
        f"reference {_code(event.provider_ref)} (payment {_code(payment.payment_id)}).\n"
        "Approve only once the money is in the account."
    )
    return _to_admins(facts, text, payment.payment_id)


def _to_admins(facts: Facts, text: str, payment_id: str) -> list[Notice]:
    buttons = (decision_buttons(payment_id),)
    return [Notice(admin, text, buttons) for admin in sorted(facts.admin_ids)]


def _provider_ref(event: PaymentHeldForReview) -> str:
    """The held money's id at the provider: check it was not credited on another payment."""
    ref = event.transfer_ref or event.provider_ref
    return f" (provider ref {_code(ref)})" if ref else ""


def _payer(payment: Payment, facts: Facts) -> str:
    name = html.escape(facts.payer_name) if facts.payer_name else "user"
    return f"{name} (id {payment.user_id})"


def _amount_or_unknown(money: Money | None) -> str:
    return format_money(money) if money is not None else "an unknown amount"


def _code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"
