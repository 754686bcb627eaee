"""Savings circles: the `circle-<id>` decider (create, join, leave, cancel, start, pay,
restore a deposit, close a round, remind). State and fold: circle_state.py; closing:
circle_rounds.py; seats (tier seats, removal, replacement): circle_seats.py.

Money is never moved here: each decision names the wallet movement its reactor makes
(functions/reactors/circles.py), and a join or a top-up arrives only once its money is held
on the member's wallet, so every refusal of held money is recorded (`circle.hold_refused`)
and the hold released: nothing is stranded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from events import Event, Money
from events.circles import (
    CircleCancelled,
    CircleCreated,
    CircleReminded,
    CircleStarted,
    ContributionReceived,
    ContributionReturned,
    DepositRestored,
    HoldRefused,
    MemberJoined,
    OwnerReminded,
    PeriodUnit,
    Rotation,
    RoundOpened,
)
from functions.domain.circle_rounds import close
from functions.domain.circle_seats import (
    Approve,
    Decline,
    Offer,
    Remove,
    RequestLeave,
    SeatCommand,
    WantSeat,
    decide_seat,
    released,
)
from functions.domain.circle_state import Circle, Member, evolve, stream_of
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import Snapshots

__all__ = [
    "Approve", "Circle", "Decline", "Member", "Offer", "Remove", "RequestLeave", "WantSeat",
    "circles", "stream_of",
]  # fmt: skip
DEFAULT_DEPOSIT_ROUNDS = 1
# An owner's "Remind" reaches the unpaid at most this often (the jobs' reminders 24 h and
# 1 h before the deadline come on top): enough to nudge, too rare to become spam.
OWNER_REMINDER_GAP = timedelta(hours=6)


@dataclass(frozen=True)
class Create:
    circle_id: str
    owner_id: int
    name: str
    contribution: Money
    period_unit: PeriodUnit
    period_count: int
    size: int
    rotation: Rotation
    at: datetime
    deposit_rounds: int = DEFAULT_DEPOSIT_ROUNDS


@dataclass(frozen=True)
class Join:
    """From the reactor on `wallet.held` (reason circle_deposit): the deposit is held."""

    member_id: int
    deposit: Money
    hold_reference: str
    seed: str  # for a random rotation, if this join fills the circle and starts it
    at: datetime


@dataclass(frozen=True)
class Restore:
    """From the reactor on `wallet.held` (reason circle_restore): a top-up is held."""

    member_id: int
    amount: Money
    hold_reference: str


@dataclass(frozen=True)
class Leave:
    member_id: int


@dataclass(frozen=True)
class Cancel:
    by: int


@dataclass(frozen=True)
class Start:
    by: int
    seed: str
    at: datetime
    order: tuple[int, ...] = ()  # the owner's rotation (rotation "owner" only)


@dataclass(frozen=True)
class Contribute:
    """From the reactor on `wallet.debited` (reason circle_contribution): it is debited."""

    member_id: int
    round: int
    amount: Money
    reference: str
    at: datetime  # when it was debited: the time of an early close


@dataclass(frozen=True)
class CloseRound:
    """The deadline job: close `round` if it is still open and its deadline passed."""

    round: int
    at: datetime


@dataclass(frozen=True)
class Remind:
    """The reminders job: the open round's deadline is `hours_before` hours away or less."""

    round: int
    hours_before: int
    at: datetime


@dataclass(frozen=True)
class RemindNow:
    """The owner's Remind button: the members who have not paid the open round are told."""

    by: int
    at: datetime


class RemindedRecently(DomainError):
    code = "circle_reminded_recently"

    def __init__(self, again: datetime) -> None:
        super().__init__(f"the members were reminded recently; again after {again}")
        self.again = again

    def facts(self) -> dict[str, str | int | Money]:
        return {"again": self.again.strftime("%Y-%m-%d %H:%M UTC")}


class CircleRefused(DomainError):
    code = "circle_refused"


class NotOwner(DomainError):
    code = "circle_not_owner"


class AlreadyStarted(DomainError):
    code = "circle_started"


class TooFewMembers(DomainError):
    code = "circle_too_few"


CircleCommand = (
    Create | Join | Restore | Leave | Cancel | Start | Contribute | CloseRound | Remind
    | RemindNow | SeatCommand
)  # fmt: skip


def decide(state: Circle, command: CircleCommand) -> Sequence[Event]:
    match command:
        case Create():
            return _create(state, command)
        case Join():
            return _join(state, command)
        case Restore():
            return _restore(state, command)
        case Leave():
            return _leave(state, command.member_id)
        case Cancel():
            return _cancel(state, command.by)
        case Start():
            return _start(state, command)
        case Contribute():
            return _contribute(state, command)
        case CloseRound():
            due = state.deadline is not None and command.at >= state.deadline
            if state.status != "running" or command.round != state.round or not due:
                return []  # closed already, or not yet due: a repeated run changes nothing
            return close(state, command.at)
        case Remind():
            return _remind(state, command)
        case RemindNow():
            return _remind_now(state, command)
        case _:
            return decide_seat(state, command)


def _remind_now(state: Circle, command: RemindNow) -> Sequence[Event]:
    if command.by != state.owner_id:
        raise NotOwner("only the circle's owner can do this")
    if state.status != "running":
        raise CircleRefused("only a running circle has a round to pay")
    if all(state.round in m.paid for m in state.members):
        raise CircleRefused("everyone has paid this round")
    last = state.owner_reminded_at
    if last is not None and command.at < last + OWNER_REMINDER_GAP:
        raise RemindedRecently(last + OWNER_REMINDER_GAP)
    return [OwnerReminded(round=state.round, at=command.at)]


def _remind(state: Circle, command: Remind) -> Sequence[Event]:
    number, hours, deadline = command.round, command.hours_before, state.deadline
    if state.status != "running" or number != state.round or deadline is None:
        return []
    if f"{number}:{hours}" in state.reminded or command.at < deadline - timedelta(hours=hours):
        return []
    if command.at >= deadline:
        return []  # too late to remind: the close is due
    return [CircleReminded(round=number, hours_before=hours)]


def _create(state: Circle, command: Create) -> Sequence[Event]:
    if state.status != "none":
        return []  # created once; the id comes from the command's update
    if command.contribution.amount <= 0:
        raise CircleRefused("the contribution must be positive")
    if not 0 <= command.deposit_rounds <= command.size:
        raise CircleRefused("the deposit is between 0 and `size` contributions")
    return [
        CircleCreated(
            circle_id=command.circle_id,
            owner_id=command.owner_id,
            name=command.name,
            contribution=command.contribution,
            period_unit=command.period_unit,
            period_count=command.period_count,
            size=command.size,
            rotation=command.rotation,
            deposit_rounds=command.deposit_rounds,
            at=command.at,
        )
    ]


def _join(state: Circle, command: Join) -> Sequence[Event]:
    who, ref = command.member_id, command.hold_reference
    if ref in state.seen:
        return []
    reason = _why_not_join(state, command)
    if reason:
        return [
            HoldRefused(member_id=who, deposit=command.deposit, hold_reference=ref, reason=reason)
        ]
    joined = MemberJoined(member_id=who, deposit=command.deposit, hold_reference=ref, at=command.at)
    after = evolve(state, joined)
    if len(after.members) < after.size:
        return [joined]
    return [joined, *_started(after, command.seed, command.at, ())]


def _why_not_join(state: Circle, command: Join) -> str:
    if state.status != "open":
        return "not open" if state.status == "none" else state.status
    if state.member(command.member_id) is not None:
        return "a member already"
    if len(state.members) >= state.size:
        return "full"
    if command.deposit != state.money(state.deposit):
        return "deposit differs"
    return ""


def _restore(state: Circle, command: Restore) -> Sequence[Event]:
    who, ref, amount = command.member_id, command.hold_reference, command.amount
    if ref in state.seen:
        return []
    member = state.member(who)
    room = 0 if member is None else state.deposit - member.held + member.owed
    if (
        state.status != "running"
        or amount.currency != state.currency
        or not 0 < amount.amount <= room
    ):
        return [
            HoldRefused(member_id=who, deposit=amount, hold_reference=ref, reason="nothing owed")
        ]
    return [DepositRestored(member_id=who, amount=amount, hold_reference=ref)]


def _leave(state: Circle, member_id: int) -> Sequence[Event]:
    member = state.member(member_id)
    if member is None or state.status in ("cancelled", "ended"):
        return []
    if state.status != "open":
        raise AlreadyStarted("after the start, a member leaves only by a replacement")
    return released(state, member)


def _cancel(state: Circle, by: int) -> Sequence[Event]:
    if state.status in ("cancelled", "none"):
        return []
    if by != state.owner_id:
        raise NotOwner("only the circle's owner can do this")
    if state.status != "open":
        raise AlreadyStarted("a circle that started runs to its end")
    left = [event for member in state.members for event in released(state, member)]
    return [*left, CircleCancelled(by=by)]


def _start(state: Circle, command: Start) -> Sequence[Event]:
    if state.status == "running":
        return []
    if command.by != state.owner_id:
        raise NotOwner("only the circle's owner can do this")
    if state.status != "open":
        raise AlreadyStarted(f"the circle is {state.status}")
    if len(state.members) < 2:
        raise TooFewMembers("a circle needs at least two members")
    return _started(state, command.seed, command.at, command.order)


def _started(state: Circle, seed: str, at: datetime, wanted: tuple[int, ...]) -> list[Event]:
    joined = tuple(m.member_id for m in state.members)
    if state.rotation == "random":
        order = rotation_of(joined, seed)
    elif state.rotation == "owner" and wanted:
        if sorted(wanted) != sorted(joined):
            raise CircleRefused("the order must name every member once")
        order = wanted
    else:
        order = joined  # join order (an owner rotation not set falls back to it)
    started = CircleStarted(order=order, seed=seed if state.rotation == "random" else None, at=at)
    first = evolve(state, started)
    return [started, RoundOpened(round=1, recipient_id=order[0], deadline=first.deadline_of(1))]


def rotation_of(members: tuple[int, ...], seed: str) -> tuple[int, ...]:
    """The random rotation: members sorted by sha256("<seed>:<id>"), so anyone holding the
    recorded seed can check it, and nobody could choose it before the start."""
    return tuple(sorted(members, key=lambda m: hashlib.sha256(f"{seed}:{m}".encode()).digest()))


def _contribute(state: Circle, command: Contribute) -> Sequence[Event]:
    who, ref = command.member_id, command.reference
    if ref in state.seen:
        return []
    member = state.member(who)
    reason = ""
    if state.status != "running":
        reason = f"circle {state.status}"
    elif member is None:
        reason = "not a member"
    elif command.round != state.round:
        reason = "round closed"
    elif command.round in member.paid:
        reason = "paid already"
    elif command.amount != state.money(state.contribution):
        reason = "amount differs"
    if reason:
        returned = ContributionReturned(
            round=command.round, member_id=who, amount=command.amount, reference=ref, reason=reason
        )
        return [returned]
    received = ContributionReceived(
        round=command.round, member_id=who, amount=command.amount, reference=ref
    )
    after = evolve(state, received)
    if all(after.round in m.paid for m in after.members):
        return [received, *close(after, command.at)]  # everyone paid: close early
    return [received]


# A circle's stream grows with members x rounds (a 50-member circle: thousands of events):
# a cold read restores it from the head's snapshot (docs/architecture.md, "Snapshots").
circles: Decider[Circle, CircleCommand] = Decider(
    initial=Circle(), evolve=evolve, decide=decide, snapshots=Snapshots(Circle, evolve)
)
