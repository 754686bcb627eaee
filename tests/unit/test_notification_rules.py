"""Notification rules are pure: an event and its facts in, the notices out."""

from __future__ import annotations

import typing
from dataclasses import replace

import pytest

from events import Money
from events.payments import (
    HoldReason,
    PaymentExpired,
    PaymentFailed,
    PaymentHeldForReview,
    PaymentRefunded,
    PaymentRequested,
    PaymentStarted,
)
from events.wallet import WalletCredited, WalletOpened
from functions.contexts import REGISTRY
from functions.domain import payments
from functions.notifications import rules
from functions.notifications.by_type import notices, wants
from functions.notifications.notice import Button, Facts, Notice
from tests.builders import envelope

pytestmark = pytest.mark.unit
PLN = Money(amount=10_000, currency="PLN")
ADMINS = frozenset({99, 98})


def payment(rail: str = "manual", *history: object) -> payments.Payment:
    requested = PaymentRequested(
        payment_id="p1", user_id=7, purpose="wallet_deposit", amount=PLN, rail=rail
    )
    return payments.payments.fold([requested, *history])  # type: ignore[list-item]


def test_a_credited_deposit_tells_the_user_the_amount() -> None:
    credited = WalletCredited(
        user_id=7,
        amount=Money(amount=150_000, currency="KES"),
        reason="deposit",
        reference="payment:p1",
    )
    assert notices(envelope("wallet-7", 2, credited), Facts()) == [
        Notice(7, "Your deposit of KES 1,500.00 was credited.")
    ]


def test_credits_that_are_not_deposits_and_other_wallet_events_say_nothing() -> None:
    refund = WalletCredited(user_id=7, amount=PLN, reason="refund", reference="order:o1")
    assert notices(envelope("wallet-7", 2, refund), Facts()) == []
    assert notices(envelope("wallet-7", 1, WalletOpened(user_id=7)), Facts()) == []
    assert not wants("wallet.opened.v1")


def test_a_declared_manual_transfer_asks_every_admin_with_buttons() -> None:
    started = PaymentStarted(provider_ref="JAN-7")
    facts = Facts(ADMINS, payment("manual", started), payer_name="Amina <b>")
    found = notices(envelope("payment-p1", 2, started), facts)
    assert [n.chat_id for n in found] == [98, 99]
    for notice in found:
        assert "Amina &lt;b&gt; (id 7)" in notice.text
        assert "PLN 100.00" in notice.text
        assert "<code>JAN-7</code>" in notice.text
        assert notice.keyboard == (
            (Button("✅ Approve", "adm:ok:p1"), Button("❌ Reject", "adm:no:p1")),
        )
        assert notice.params()["reply_markup"] == {
            "inline_keyboard": [
                [
                    {"text": "✅ Approve", "callback_data": "adm:ok:p1"},
                    {"text": "❌ Reject", "callback_data": "adm:no:p1"},
                ]
            ]
        }


def test_a_provider_payment_starting_asks_no_admin() -> None:
    started = PaymentStarted(provider_ref="ws_CO_1")
    facts = Facts(ADMINS, payment("mpesa", started))
    assert notices(envelope("payment-p1", 2, started), facts) == []


def test_a_held_payment_asks_every_admin_and_tells_the_user() -> None:
    held = PaymentHeldForReview(
        reason="partially_paid", paid=Money(amount=6_000, currency="PLN"), raw_status="x"
    )
    facts = Facts(ADMINS, payment("nowpayments", PaymentStarted(provider_ref="r"), held))
    admin_98, admin_99, user = notices(envelope("payment-p1", 3, held), facts)
    assert (admin_98.chat_id, admin_99.chat_id, user.chat_id) == (98, 99, 7)
    assert "partially paid" in admin_98.text
    assert "Approve credits PLN 60.00" in admin_98.text
    assert admin_98.keyboard
    assert not user.keyboard
    assert "an admin will review it" in user.text


@pytest.mark.parametrize(
    ("event", "said"),
    [
        (PaymentFailed(reason="rejected by admin 99"), "did not go through"),
        (PaymentExpired(), "expired before it was paid"),
    ],
)
def test_a_failed_or_expired_payment_tells_the_user(event: object, said: str) -> None:
    facts = Facts(ADMINS, payment("manual", PaymentStarted(provider_ref="r")))
    (notice,) = notices(envelope("payment-p1", 3, event), facts)  # type: ignore[arg-type]
    assert notice.chat_id == 7
    assert notice.text == (
        f"Your payment of PLN 100.00 (ref <code>p1</code>) {said}. Send /deposit to try again."
    )


def test_without_admins_a_held_payment_still_tells_the_user() -> None:
    held = PaymentHeldForReview(reason="amount_mismatch", paid=None)
    facts = Facts(frozenset(), payment("fake", held))
    (notice,) = notices(envelope("payment-p1", 2, held), facts)
    assert notice.chat_id == 7


def test_rules_are_keyed_by_registered_event_types() -> None:
    from events import registered_types

    assert set(REGISTRY.rules) <= set(registered_types())


def test_held_money_of_unknown_value_asks_the_admin_to_state_it_and_names_its_ref() -> None:
    held = PaymentHeldForReview(
        reason="unconfirmed_reference", paid=None, provider_ref="ws_CO_B", raw_status="0"
    )
    facts = Facts(ADMINS, payment("mpesa", held), rail_label="M-Pesa")
    admin_98, _, _ = notices(envelope("payment-p1", 2, held), facts)
    assert "arrived an unknown amount (provider ref <code>ws_CO_B</code>)" in admin_98.text
    assert "via M-Pesa;" in admin_98.text  # the rail's label, not its id
    # HTML: the placeholder is escaped, or Telegram refuses the whole message.
    assert "send <code>/credit p1 &lt;amount&gt; PLN</code>." in admin_98.text
    assert "Approve credits" not in admin_98.text


def test_an_admins_refund_tells_the_payer_and_telegrams_own_refund_does_not_twice() -> None:
    xtr = Money(amount=50, currency="XTR")
    by_admin = PaymentRefunded(
        reason="refunded by admin 99", payment_id="p1", user_id=7, purpose="wallet_deposit",
        amount=xtr, refund_ref="stxA1", admin_id=99,
    )  # fmt: skip
    facts = Facts(ADMINS, payment("stars"))
    (notice,) = notices(envelope("payment-p1", 4, by_admin), facts)
    assert notice.chat_id == 7
    assert notice.text == (
        "Your payment <code>p1</code> of XTR 50 was refunded to you; it has left your wallet."
    )
    by_telegram = by_admin.model_copy(update={"admin_id": None})
    assert notices(envelope("payment-p1", 4, by_telegram), facts) == []


def test_a_refunded_second_charge_says_so_and_does_not_ask_to_try_again() -> None:
    refused = PaymentFailed(reason="rejected by admin 99, Stars refunded")
    (notice,) = notices(envelope("payment-p1", 3, refused), Facts(ADMINS, payment("stars")))
    assert "was refunded to you: it was paid twice, and never added to your wallet" in (notice.text)
    assert "/deposit" not in notice.text


def test_facts_tell_a_recipients_language_and_english_for_an_unknown_chat() -> None:
    facts = Facts(ADMINS, languages={7: "sw", 99: "id"})
    assert [facts.language_of(chat) for chat in (7, 99, 98)] == ["sw", "id", "en"]


def test_every_hold_reason_and_rail_is_told_in_words_not_codes() -> None:
    for reason in typing.get_args(HoldReason):
        said = rules.hold_reason("en", reason)
        assert "_" not in said, reason  # a reason without its text raises KeyError
    native = {rail: rules.rail_label("en", rail, Facts()) for rail in ("stars", "manual")}
    assert native == {"stars": "Telegram Stars", "manual": "bank transfer"}
    assert rules.rail_label("en", "mpesa", Facts(rail_label="M-Pesa")) == "M-Pesa"


def test_a_payer_id_is_shown_as_typed_not_grouped_in_thousands() -> None:
    started = PaymentStarted(provider_ref="JAN-7")
    paid = payment("manual", started)
    facts = Facts(frozenset({99}), replace(paid, user_id=900001), payer_name="Amina")
    (notice,) = notices(envelope("payment-p1", 2, started), facts)
    assert "Amina (id 900001)" in notice.text
