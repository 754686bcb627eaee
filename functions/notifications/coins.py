"""Crypto deposits' notices: the payer hears when an output is seen (and what it will be
worth, or that it is dust); the admins hear when a credited one left the chain. The credit
itself is told by `deposit_credited`, as on every rail."""

from __future__ import annotations

from events import Money
from events.coins import CreditedOutputVanished, OutputSeen
from functions import texts
from functions.notifications.notice import Facts, Notice


def output_seen(event: OutputSeen, facts: Facts) -> list[Notice]:
    language = facts.language_of(event.user_id)
    rate = Money(amount=event.rate.minor_per_coin, currency=event.rate.currency)
    if event.dust:
        said = texts.text(language, "coins.seen_dust", amount=event.amount)
    else:
        said = texts.text(
            language, "coins.seen", amount=event.amount, value=event.value, rate=rate,
            coin=event.amount.currency,
        )  # fmt: skip
    return [Notice(event.user_id, said)]


def credited_output_vanished(event: CreditedOutputVanished, facts: Facts) -> list[Notice]:
    notices = []
    for admin in sorted(facts.admin_ids):
        said = texts.text(
            facts.language_of(admin), "coins.vanished_admin", output=f"{event.txid}:{event.vout}",
            ref=event.payment_id, user=str(event.user_id), value=event.value,
        )  # fmt: skip
        notices.append(Notice(admin, said))
    return notices
