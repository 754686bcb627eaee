"""The referral programme's notices: a new referral, a commission paid or taken back."""

from __future__ import annotations

from events.referrals import CommissionReversed, RefereeJoined
from events.wallet import WalletCredited, WalletDebited
from functions import texts
from functions.domain import loyalty, referrals
from functions.notifications.notice import Facts, Notice


def new_referral(event: RefereeJoined, facts: Facts) -> list[Notice]:
    said = texts.text(
        facts.language_of(event.referrer_id), "referrals.new_referral", name=event.referee_name
    )
    return [Notice(event.referrer_id, said)]


def commission_paid(event: WalletCredited, facts: Facts) -> list[Notice]:
    if event.reason != "commission":
        return []
    # A tier's bonus moves as the commission of `bonus:<payment id>`: told as what it is,
    # not as a second commission on the same top-up.
    bonus = event.reference.startswith(referrals.COMMISSION + loyalty.BONUS)
    key = "referrals.bonus" if bonus else "referrals.commission"
    said = texts.text(facts.language_of(event.user_id), key, amount=event.amount)
    return [Notice(event.user_id, said)]


def commission_reversed(event: CommissionReversed, facts: Facts) -> list[Notice]:
    language = facts.language_of(event.referrer_id)
    said = texts.text(language, "referrals.reversed", amount=event.commission)
    return [Notice(event.referrer_id, said)]


def debt_repaid(event: WalletDebited, facts: Facts) -> list[Notice]:
    """Part of a commission went to what a refunded top-up left owed: said, so the commission
    notice just before it never reads as more money than the wallet kept."""
    if event.reason != "commission_debt":
        return []
    language = facts.language_of(event.user_id)
    said = texts.text(language, "referrals.debt_repaid", amount=event.amount)
    return [Notice(event.user_id, said)]
