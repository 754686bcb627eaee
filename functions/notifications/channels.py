"""Paid channels' notices: the buyer's access, its warnings and its end; the owner's sale."""

from __future__ import annotations

from events.channels import (
    BroadcastBatch,
    ExpiryWarned,
    RevenueEarned,
    SubscriberRemoved,
    SubscriptionPaid,
)
from functions import texts
from functions.domain import channels
from functions.notifications.notice import Button, Facts, Notice

PREFIX = "ch"  # the channels context's buttons: ch:<action>:<channel key>[:<plan>]


def _when(moment: object) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def subscription_paid(event: SubscriptionPaid, facts: Facts) -> list[Notice]:
    language = facts.language_of(event.user_id)
    said = texts.text(language, "channels.notice.paid", ends=_when(event.ends_at))
    join = Button(texts.text(language, "channels.button_join"),
                  f"{PREFIX}:join:{channels.key_of(event.chat_id)}")  # fmt: skip
    return [Notice(event.user_id, said, ((join,),))]


def expiry_warned(event: ExpiryWarned, facts: Facts) -> list[Notice]:
    language = facts.language_of(event.user_id)
    said = texts.text(language, "channels.notice.warned", days=event.days_left,
                      ends=_when(event.ends_at))  # fmt: skip
    return [Notice(event.user_id, said, (_renew(language, event.chat_id),))]


def subscriber_removed(event: SubscriberRemoved, facts: Facts) -> list[Notice]:
    language = facts.language_of(event.user_id)
    said = texts.text(language, "channels.notice.removed")
    return [Notice(event.user_id, said, (_renew(language, event.chat_id),))]


def revenue_earned(event: RevenueEarned, facts: Facts) -> list[Notice]:
    language = facts.language_of(event.owner_id)
    key = "channels.notice.donation" if event.kind == "donation" else "channels.notice.sale"
    said = texts.text(
        language, key, buyer=str(event.buyer_id), gross=event.gross,
        fee=event.fee, net=event.net,
    )  # fmt: skip
    return [Notice(event.owner_id, said)]


def broadcast(event: BroadcastBatch, facts: Facts) -> list[Notice]:
    """The owner's words, as typed (escaped), under the channel's name."""
    return [
        Notice(
            r,
            texts.text(
                facts.language_of(r),
                "channels.notice.broadcast",
                title=event.title,
                text=event.text,
            ),
        )
        for r in event.recipients
    ]


def _renew(language: str, chat_id: int) -> tuple[Button, ...]:
    label = texts.text(language, "channels.button_renew")
    return (Button(label, f"{PREFIX}:plans:{channels.key_of(chat_id)}"),)
