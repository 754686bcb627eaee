"""Notices about who sits in a circle and the owner's tier: a join over the tier's seats
(the owner is asked to upgrade), the owner's reminder, a removal, a request to leave, an
offer to take over a seat, a replacement, and a tier paid on a rail being in force."""

from __future__ import annotations

from events.circles import (
    LeaveRequested,
    MemberLeft,
    MemberReplaced,
    OwnerReminded,
    ReplacementOffered,
    SeatWanted,
)
from events.tiers import TierBought
from functions import texts
from functions.contexts.base import Rules
from functions.domain.circle_state import Circle
from functions.notifications.circles import deadline_text, pay_button
from functions.notifications.notice import Button, Facts, Notice


def _show(facts: Facts, user: int, circle: Circle) -> tuple[tuple[Button, ...], ...]:
    label = texts.text(facts.language_of(user), "circles.button_show", name=circle.name)
    return ((Button(label, f"circle:show:{circle.circle_id}"),),)


def _to_owner(facts: Facts, key: str, **values: texts.Value) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    owner = circle.owner_id
    said = texts.text(facts.language_of(owner), key, name=circle.name, **values)
    return [Notice(owner, said, _show(facts, owner, circle))]


def seat_wanted(event: SeatWanted, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    owner, language = circle.owner_id, facts.language_of(circle.owner_id)
    said = texts.text(language, "circles.notice_seat_wanted", name=circle.name, seats=event.seats)
    label = texts.text(language, "circles.button_upgrade")
    return [Notice(owner, said, ((Button(label, f"circle:upgrade:{circle.circle_id}"),),))]


def owner_reminded(event: OwnerReminded, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    return [
        Notice(
            m.member_id,
            texts.text(
                facts.language_of(m.member_id), "circles.notice_owner_reminder",
                name=circle.name, round=event.round, amount=circle.money(circle.contribution),
                deadline=deadline_text(circle.deadline),
            ),
            pay_button(facts, m.member_id, circle),
        )
        for m in circle.members
        if event.round not in m.paid
    ]  # fmt: skip


def member_left(event: MemberLeft, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None or not event.removed:
        return []  # before the start a member holds one deposit: one notice per removal
    said = texts.text(
        facts.language_of(event.member_id), "circles.notice_removed", name=circle.name
    )
    return [Notice(event.member_id, said)]


def leave_requested(event: LeaveRequested, facts: Facts) -> list[Notice]:
    return _to_owner(facts, "circles.notice_leave_requested")


def replacement_offered(event: ReplacementOffered, facts: Facts) -> list[Notice]:
    return _to_owner(facts, "circles.notice_offered")


def member_replaced(event: MemberReplaced, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    leaver = texts.text(
        facts.language_of(event.leaver_id), "circles.notice_replaced_leaver",
        name=circle.name, refund=event.refund,
    )  # fmt: skip
    newcomer = texts.text(facts.language_of(event.newcomer_id), "circles.notice_replaced_newcomer",
                          name=circle.name)  # fmt: skip
    return [
        Notice(event.leaver_id, leaver),
        Notice(event.newcomer_id, newcomer, _show(facts, event.newcomer_id, circle)),
    ]


def tier_bought(event: TierBought, facts: Facts) -> list[Notice]:
    """A tier paid on a rail: in force from the payment's success (a tier paid from the
    wallet is told in the answer to the tap)."""
    if not event.reference.startswith("payment:"):
        return []
    said = texts.text(
        facts.language_of(event.owner_id), "circles.notice_tier", tier=event.tier,
        until=event.until.strftime("%Y-%m-%d"), circles=event.limits.circles,
        members=event.limits.members,
    )  # fmt: skip
    return [Notice(event.owner_id, said)]


SEAT_RULES: Rules = {
    "circle.seat_wanted.v1": (seat_wanted,),
    "circle.owner_reminded.v1": (owner_reminded,),
    "circle.member_left.v1": (member_left,),
    "circle.leave_requested.v1": (leave_requested,),
    "circle.replacement_offered.v1": (replacement_offered,),
    "circle.member_replaced.v1": (member_replaced,),
    "tier.bought.v1": (tier_bought,),
}
