"""Notification rules: pure functions from an event, and facts read beside it, to notices.

A rule never reads anything itself: the dispatcher reads the facts (the payment as of the
event, the payer's name, who the admins are, each recipient's language) and the rule only
decides what to say to whom, in the words of the catalogue (functions/texts/english/
notices.py) in the recipient's language. Each context declares which rules read which event
types (functions/contexts/); the shop's rules live in shop_rules.py.
"""

from __future__ import annotations

from collections.abc import Callable

from events import Money
from events.payments import (
    HoldReason,
    PaymentExpired,
    PaymentFailed,
    PaymentHeldForReview,
    PaymentRefunded,
    PaymentStarted,
)
from events.wallet import WalletCredited
from functions import texts
from functions.domain.payments import REFUNDED_NOTE, Payment
from functions.notifications.notice import Button, Facts, Notice
from functions.texts import Html

# Inline buttons an admin taps to settle a payment: `adm:ok:<payment id>` / `adm:no:<id>`.
ADMIN_PREFIX = "adm"
MANUAL_RAIL = "manual"


def decision_buttons(
    payment_id: str, label: str = "", *, language: str = texts.FALLBACK
) -> tuple[Button, ...]:
    """Approve / Reject for one payment; `label` tells rows apart in a list."""
    suffix = f" {label}" if label else ""
    return (
        Button(
            texts.text(language, "notices.button_approve") + suffix,
            f"{ADMIN_PREFIX}:ok:{payment_id}",
        ),
        Button(
            texts.text(language, "notices.button_reject") + suffix,
            f"{ADMIN_PREFIX}:no:{payment_id}",
        ),
    )


def deposit_credited(event: WalletCredited, facts: Facts) -> list[Notice]:
    if event.reason != "deposit":
        return []
    said = texts.text(
        facts.language_of(event.user_id), "notices.deposit_credited", amount=event.amount
    )
    return [Notice(event.user_id, said)]


def payment_failed(event: PaymentFailed | PaymentExpired, facts: Facts) -> list[Notice]:
    payment = facts.payment
    if payment is None or payment.amount is None:
        return []
    language = facts.language_of(payment.user_id)
    told: dict[str, texts.Value] = {"amount": payment.amount, "ref": payment.payment_id}
    if isinstance(event, PaymentExpired):
        said = texts.text(language, "notices.payment_expired", **told)
    elif event.reason.endswith(REFUNDED_NOTE):  # it was paid: nothing to try again
        paid_twice = texts.text(language, "notices.payment_paid_twice", **told)
        return [Notice(payment.user_id, paid_twice)]
    else:
        said = texts.text(language, "notices.payment_failed", **told)
    if payment.purpose == "wallet_deposit":
        said += " " + texts.text(language, "notices.deposit_again")
    return [Notice(payment.user_id, said)]


def payment_refunded(event: PaymentRefunded, facts: Facts) -> list[Notice]:
    """An admin gave a payment back: the payer hears it (Telegram's own refunded_payment
    message is answered by the webhook, so only an admin's refund is told here)."""
    if event.admin_id is None or event.user_id is None or event.amount is None:
        return []
    said = texts.text(
        facts.language_of(event.user_id),
        "notices.payment_refunded",
        ref=event.payment_id or "",
        amount=event.amount,
    )
    return [Notice(event.user_id, said)]


def payment_held(event: PaymentHeldForReview, facts: Facts) -> list[Notice]:
    payment = facts.payment
    if payment is None or payment.amount is None:
        return []
    to_user = texts.text(
        facts.language_of(payment.user_id),
        "notices.held_for_user",
        amount=payment.amount,
        ref=payment.payment_id,
    )
    asked = payment.amount

    def to_admin(language: str) -> str:
        return texts.text(
            language,
            "notices.held_for_admins",
            ref=payment.payment_id,
            reason=hold_reason(language, event.reason),
            payer=_payer(language, payment, facts),
            asked=asked,
            rail=rail_label(language, payment.rail, facts),
            arrived=_arrived(language, event),
            approve=_approve(language, event, payment.payment_id, asked),
        )

    return [*_to_admins(facts, payment.payment_id, to_admin), Notice(payment.user_id, to_user)]


def _approve(language: str, event: PaymentHeldForReview, payment_id: str, asked: Money) -> Html:
    # Approving credits what arrived, as the rail valued it, never the asked amount.
    if event.paid is not None:
        return Html(texts.text(language, "notices.held_approve_credits", paid=event.paid))
    return Html(
        texts.text(language, "notices.held_state_amount", ref=payment_id, currency=asked.currency)
    )


def _arrived(language: str, event: PaymentHeldForReview) -> Html:
    """What arrived, and the held money's id at the provider: an admin checks it was not
    credited on another payment."""
    if event.paid is not None:
        arrived = texts.text(language, "notices.held_arrived", paid=event.paid)
    else:
        arrived = texts.text(language, "notices.held_arrived_unknown")
    ref = event.transfer_ref or event.provider_ref
    if not ref:
        return Html(arrived)
    return Html(
        texts.text(
            language, "notices.held_arrived_with_ref", arrived=Html(arrived), provider_ref=ref
        )
    )


def hold_reason(language: str, reason: HoldReason) -> str:
    """Why a payment is held, in words an admin reads (`notices.hold_<reason>`; a unit test
    checks every HoldReason has its text)."""
    return texts.text(language, f"notices.hold_{reason}")


def rail_label(language: str, rail: str, facts: Facts) -> str:
    """The rail as customers and admins know it ("M-Pesa"), not its id ("mpesa"): a provider
    rail's label is in its spec, which the dispatcher reads into the facts."""
    if facts.rail_label:
        return facts.rail_label
    if rail == "stars":
        return texts.text(language, "notices.rail_stars")
    if rail == MANUAL_RAIL:
        return texts.text(language, "notices.rail_manual")
    return rail  # a test rail (tests/fakes)


def manual_declared(event: PaymentStarted, facts: Facts) -> list[Notice]:
    payment = facts.payment
    if payment is None or payment.amount is None or payment.rail != MANUAL_RAIL:
        return []
    amount = payment.amount

    def said(language: str) -> str:
        return texts.text(
            language,
            "notices.transfer_declared",
            payer=_payer(language, payment, facts),
            amount=amount,
            reference=event.provider_ref,
            ref=payment.payment_id,
        )

    return _to_admins(facts, payment.payment_id, said)


def _to_admins(facts: Facts, payment_id: str, said: Callable[[str], str]) -> list[Notice]:
    """One notice per admin, each in the admin's language, with the decision buttons."""
    notices = []
    for admin in sorted(facts.admin_ids):
        language = facts.language_of(admin)
        buttons = (decision_buttons(payment_id, language=language),)
        notices.append(Notice(admin, said(language), buttons))
    return notices


def _payer(language: str, payment: Payment, facts: Facts) -> Html:
    user_id = str(payment.user_id)  # an id, not a number to group in thousands
    if facts.payer_name:
        return Html(texts.text(language, "notices.payer", name=facts.payer_name, user_id=user_id))
    return Html(texts.text(language, "notices.payer_unnamed", user_id=user_id))
