"""The savings circles' notices: a member joined, a round opened, a reminder, a contribution
in, a pot paid, a default covered, a deposit restored or released, the end. Each rule reads
the circle as of its event (`Facts.circle`, folded from the store by the dispatcher)."""

from __future__ import annotations

from datetime import datetime

from events.circles import (
    CircleEnded,
    CircleReminded,
    ContributionReceived,
    DefaultCovered,
    DepositRestored,
    DepositReturned,
    MemberJoined,
    PotPaid,
    RoundOpened,
)
from functions import texts
from functions.domain.circle_state import Circle
from functions.notifications.notice import Button, Facts, Notice


def deadline_text(deadline: datetime | None) -> str:
    return deadline.strftime("%Y-%m-%d %H:%M UTC") if deadline else "-"


def pay_button(facts: Facts, user: int, circle: Circle) -> tuple[tuple[Button, ...], ...]:
    label = texts.text(
        facts.language_of(user), "circles.button_pay", amount=circle.money(circle.contribution)
    )
    return ((Button(label, f"circle:pay:{circle.circle_id}"),),)


def member_joined(event: MemberJoined, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None or event.member_id == circle.owner_id:
        return []
    said = texts.text(
        facts.language_of(circle.owner_id), "circles.notice_joined",
        name=circle.name, count=len(circle.members), size=circle.size,
    )  # fmt: skip
    return [Notice(circle.owner_id, said)]


def round_opened(event: RoundOpened, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    notices = []
    for member in circle.members:
        user = member.member_id
        said = texts.text(
            facts.language_of(user), "circles.notice_round", round=event.round, name=circle.name,
            amount=circle.money(circle.contribution), deadline=deadline_text(event.deadline),
        )  # fmt: skip
        if user == event.recipient_id:
            said += " " + texts.text(facts.language_of(user), "circles.notice_round_yours")
        notices.append(Notice(user, said, pay_button(facts, user, circle)))
    return notices


def reminded(event: CircleReminded, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    unpaid = [m.member_id for m in circle.members if event.round not in m.paid]
    return [
        Notice(
            user,
            texts.text(
                facts.language_of(user),
                "circles.notice_reminder",
                name=circle.name,
                round=event.round,
                hours=event.hours_before,
                amount=circle.money(circle.contribution),
            ),
            pay_button(facts, user, circle),
        )
        for user in unpaid
    ]


def contribution_received(event: ContributionReceived, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    said = texts.text(
        facts.language_of(event.member_id), "circles.notice_paid",
        amount=event.amount, round=event.round, name=circle.name,
    )  # fmt: skip
    return [Notice(event.member_id, said)]


def pot_paid(event: PotPaid, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    language = facts.language_of(event.recipient_id)
    said = texts.text(
        language, "circles.notice_pot", amount=event.paid, round=event.round, name=circle.name
    )
    if event.withheld.amount or event.short.amount:
        said += texts.text(
            language, "circles.notice_pot_less", withheld=event.withheld, short=event.short
        )
    return [Notice(event.recipient_id, said)]


def default_covered(event: DefaultCovered, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    language = facts.language_of(event.member_id)
    said = texts.text(
        language, "circles.notice_default", round=event.round, name=circle.name, seized=event.seized
    )
    if event.uncovered.amount:
        said += texts.text(language, "circles.notice_uncovered", uncovered=event.uncovered)
    label = texts.text(language, "circles.button_refresh")
    return [Notice(event.member_id, said, ((Button(label, f"circle:show:{circle.circle_id}"),),))]


def deposit_restored(event: DepositRestored, facts: Facts) -> list[Notice]:
    circle = facts.circle
    member = circle.member(event.member_id) if circle else None
    if circle is None or member is None or not circle.in_good_standing(member):
        return []
    said = texts.text(
        facts.language_of(event.member_id), "circles.notice_restored", name=circle.name
    )
    return [Notice(event.member_id, said)]


def deposit_returned(event: DepositReturned, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    said = texts.text(
        facts.language_of(event.member_id), "circles.notice_returned",
        amount=event.amount, name=circle.name,
    )  # fmt: skip
    return [Notice(event.member_id, said)]


def circle_ended(event: CircleEnded, facts: Facts) -> list[Notice]:
    circle = facts.circle
    if circle is None:
        return []
    return [
        Notice(m.member_id, texts.text(facts.language_of(m.member_id), "circles.notice_ended",
                                       name=circle.name))
        for m in circle.members
    ]  # fmt: skip
