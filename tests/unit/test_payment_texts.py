"""What the payments area says: every refusal and state in the catalogue, in words, with
money for humans; a provider's refusal is told by name, never in the provider's words."""

from __future__ import annotations

from typing import get_args

import pytest

from events import Money
from functions import texts
from functions.domain import payments
from functions.domain.decider import DomainError
from functions.payments import manual, refunds, stars
from functions.payments.admins import NotAdmin
from functions.payments.start import NOT_STARTED, Outcome, Told
from functions.providers.spec import BelowMinimum, CentsRefused, OutsideRange
from functions.telegram.deposits import STATE_TEXTS, not_started_text, rail_label, state_text

pytestmark = pytest.mark.unit
ENGLISH = texts.LANGUAGES["en"]


def xtr(stars: int) -> Money:
    return Money(amount=stars, currency="XTR")


# One of every refusal the payments area tells a payer or an admin, built as raised.
REFUSALS: list[tuple[DomainError, str]] = [
    (CentsRefused("", "M-Pesa", "KES"), "M-Pesa takes whole KES amounts, without cents."),
    (BelowMinimum("", "QRIS", "IDR", 500), "QRIS takes at least IDR 500."),
    (OutsideRange("", "M-Pesa", "KES", 1, 250_000), "M-Pesa takes KES 1 to 250,000."),
    (stars.StarsAmountRefused(), "A Stars deposit is 1 to 10,000 Stars."),
    (stars.NotInStars(""), "This invoice can only be paid in Telegram Stars."),
    (stars.NotOurInvoice(""), "This invoice is not valid. Send /deposit to start a new one."),
    (
        stars.SomeoneElsesInvoice(""),
        "This invoice was issued to someone else. Send /deposit to get your own.",
    ),
    (
        stars.InvoiceClosed(""),
        "This invoice was already paid or has expired. Send /deposit for a new one.",
    ),
    (
        stars.AmountDiffers(""),
        "The amount does not match this invoice. Send /deposit to start again.",
    ),
    (
        manual.BadReference(),
        "The reference is the text you put in the transfer's title: 3 to 35 letters, "
        "digits or - _ . /",
    ),
    (manual.WrongCurrency("KES"), "This payment is in KES: give the amount in KES."),
    (NotAdmin(7), "Only an admin can do that."),
    (payments.UnknownPayment("no such payment"), "No such payment."),
    (payments.InvalidPayment("amount must be positive"), "The amount must be above zero."),
    (payments.NotRefundable("this one is pending"), "Only a paid payment can be refunded."),
    (
        payments.AmountNeeded("p1"),
        "Nothing says what arrived: send /credit p1 &lt;amount&gt; &lt;currency&gt;.",
    ),
    (refunds.NoSuchPayment("", ""), "No such payment."),
    (refunds.NotStars("", "p1"), "Only Telegram Stars payments can be refunded with /refund."),
    (refunds.AlreadyRefunded("", "p1"), "Payment p1 was already refunded."),
    (refunds.NotPaid("", "p1"), "Payment p1 was never paid; only a paid one can be refunded."),
    (
        refunds.NotADeposit("", "p1"),
        "Only Stars deposits can be refunded here; an order settles its own money.",
    ),
    (refunds.NoCharge("", "p1"), "Payment p1 names no Stars charge to refund."),
    (
        refunds.AlreadySpent(1234567, xtr(20), xtr(50)),
        "Not refunded: user 1234567 holds XTR 20, less than the XTR 50 deposited (already spent).",
    ),
    (
        refunds.TelegramRefused("CHARGE_NOT_FOUND"),
        "Telegram did not refund: CHARGE_NOT_FOUND. Nothing changed.",
    ),
]


@pytest.mark.parametrize(("error", "said"), REFUSALS, ids=[e.code for e, _ in REFUSALS])
def test_every_payments_refusal_has_its_own_text_filled_from_its_facts(
    error: DomainError, said: str
) -> None:
    key = f"refusal.{error.code}"
    assert key in ENGLISH, key
    assert texts.placeholders(ENGLISH[key]) <= set(error.facts()), key
    assert texts.refusal("en", error) == said


def test_every_payment_state_is_said_in_words_never_as_its_code() -> None:
    assert set(STATE_TEXTS) == set(get_args(payments.State))
    said = {state: state_text("en", state) for state in get_args(payments.State)}
    assert said["pending"] == "waiting for payment"
    assert said["succeeded"] == "paid"
    assert said["held"] == "held for review"
    assert said["refunded"] == "refunded"
    assert said["expired"] == "expired"


@pytest.mark.parametrize(
    ("told", "key"),
    [
        ("declined", "payments.declined"),
        ("not_available", "payments.not_available"),
        ("unavailable", "payments.unavailable"),
        ("rail_refused", None),
    ],
)
def test_a_payment_that_did_not_start_is_explained_by_name_never_in_the_providers_words(
    told: Told, key: str | None
) -> None:
    rails_words = "the <test> rail takes at most KES 50"
    outcome = Outcome("p1", None, told=told, problem=rails_words)
    assert not outcome.started
    why = not_started_text("en", outcome)
    if key is None:  # the rail worded it for the payer: shown as it is, escaped
        assert texts.render(why) == "the &lt;test&gt; rail takes at most KES 50"
    else:
        assert why == ENGLISH[key]
    assert set(NOT_STARTED) == {"declined", "not_available", "unavailable", "rail_refused"}


def test_a_payments_rail_is_named_by_its_label_not_its_id() -> None:
    labels = {rail: rail_label(rail) for rail in ("mpesa", "pakasir", "nowpayments", "stars")}
    assert labels == {
        "mpesa": "M-Pesa",
        "pakasir": "QRIS",
        "nowpayments": "Crypto",
        "stars": "Telegram Stars",
    }
    assert rail_label("manual") == "Bank transfer / BLIK"  # recorded as `manual`, offered as bank
