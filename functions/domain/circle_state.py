"""The `circle-<id>` aggregate's state and its fold (the decisions are in circles.py).

Amounts are ints in the circle's currency's minor units: a circle has one currency, fixed at
creation, so every contribution, pot and deposit is in it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from events import Event, Money
from events.circles import (
    ArrearsPaid,
    CircleCancelled,
    CircleCreated,
    CircleEnded,
    CircleReminded,
    CircleStarted,
    ContributionReceived,
    ContributionReturned,
    DefaultCovered,
    DepositRestored,
    DepositReturned,
    HoldRefused,
    LeaveRequested,
    MemberJoined,
    MemberLeft,
    MemberReplaced,
    OwnerReminded,
    PeriodUnit,
    PotPaid,
    ReplacementOffered,
    Rotation,
    RoundOpened,
    SeatWanted,
)

Status = Literal["none", "open", "running", "ended", "cancelled"]


def stream_of(circle_id: str) -> str:
    return f"circle-{circle_id}"


@dataclass(frozen=True)
class Piece:
    """One hold on the member's wallet and what it still keeps for this circle."""

    reference: str
    amount: int


@dataclass(frozen=True)
class Debt:
    """Arrears no deposit covered, owed to the recipient of the round they shorted; or,
    `seat`, what a member this one replaced put in, repaid to them from this seat's pot
    (creditor_round 0). A seat debt is no default: it costs no standing."""

    creditor_id: int
    creditor_round: int
    amount: int
    seat: bool = False


@dataclass(frozen=True)
class Offer:
    """Someone outside the circle holding a deposit to take over a leaving member's seat."""

    member_id: int
    reference: str
    amount: int


@dataclass(frozen=True)
class Member:
    member_id: int
    holds: tuple[Piece, ...] = ()
    paid: frozenset[int] = frozenset()  # rounds paid by contribution
    covered: frozenset[int] = frozenset()  # rounds missed at the deadline
    arrears: tuple[Debt, ...] = ()
    received: int = 0  # contributions put in (minor units)
    got: int = 0  # pot money received
    seized: int = 0  # taken from the deposit for missed rounds

    @property
    def held(self) -> int:
        return sum(p.amount for p in self.holds)

    @property
    def owed(self) -> int:
        """Arrears from missed rounds (what standing counts)."""
        return sum(d.amount for d in self.arrears if not d.seat)

    @property
    def seat_owed(self) -> int:
        return sum(d.amount for d in self.arrears if d.seat)


@dataclass(frozen=True)
class Circle:
    circle_id: str = ""
    status: Status = "none"
    owner_id: int = 0
    name: str = ""
    currency: str = "KES"
    contribution: int = 0
    period_unit: PeriodUnit = "week"
    period_count: int = 1
    size: int = 0
    rotation: Rotation = "join"
    deposit_rounds: int = 0
    members: tuple[Member, ...] = ()
    order: tuple[int, ...] = ()
    started_at: datetime | None = None
    round: int = 0
    deadline: datetime | None = None
    collected: int = 0  # the open round's pot so far: contributions and seized deposits
    short: int = 0  # the open round's contributions no deposit covered
    seen: frozenset[str] = frozenset()  # wallet references this circle already took
    reminded: frozenset[str] = frozenset()  # "<round>:<hours before>" reminders sent
    owner_reminded_at: datetime | None = None
    seat_asks: frozenset[str] = frozenset()  # "<person>:<seats>": owner asked to upgrade
    leaving: tuple[int, ...] = ()  # members who asked to leave, waiting for a replacement
    offers: tuple[Offer, ...] = ()  # people holding a deposit to replace one of them

    @property
    def deposit(self) -> int:
        """What each member holds: `deposit_rounds` contributions (default 1)."""
        return self.contribution * self.deposit_rounds

    def money(self, amount: int) -> Money:
        return Money(amount=amount, currency=self.currency)

    def member(self, member_id: int) -> Member | None:
        return next((m for m in self.members if m.member_id == member_id), None)

    def recipient(self) -> int:
        return self.order[self.round - 1]

    def took_pot(self, member_id: int) -> bool:
        """Whether the member's round in the rotation has closed (its pot was paid)."""
        return member_id in self.order[: max(self.round - 1, 0)]

    def offer_of(self, member_id: int) -> Offer | None:
        return next((o for o in self.offers if o.member_id == member_id), None)

    def deadline_of(self, round_: int) -> datetime:
        """Round k closes at start + k periods (UTC), whenever the round before closed."""
        assert self.started_at is not None
        return after(self.started_at, self.period_unit, self.period_count * round_)

    def in_good_standing(self, member: Member) -> bool:
        """Nothing owed and the deposit whole (paid through the open round is implied: a
        round not paid by its deadline is covered, which leaves the deposit short). Once the
        circle ended the deposits are back with their owners: only arrears count."""
        if self.status == "ended":
            return member.owed == 0
        return member.owed == 0 and member.held >= self.deposit


def after(start: datetime, unit: PeriodUnit, count: int) -> datetime:
    """`count` periods after `start`; a month keeps the day, clamped to the month's last."""
    if unit == "minute":
        return start + timedelta(minutes=count)
    if unit == "day":
        return start + timedelta(days=count)
    if unit == "week":
        return start + timedelta(weeks=count)
    months = start.month - 1 + count
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def evolve(state: Circle, event: Event) -> Circle:
    match event:
        case CircleCreated():
            return Circle(
                circle_id=event.circle_id,
                status="open",
                owner_id=event.owner_id,
                name=event.name,
                currency=event.contribution.currency,
                contribution=event.contribution.amount,
                period_unit=event.period_unit,
                period_count=event.period_count,
                size=event.size,
                rotation=event.rotation,
                deposit_rounds=event.deposit_rounds,
            )
        case MemberJoined(member_id=who, deposit=deposit, hold_reference=ref):
            joined = Member(who, holds=(Piece(ref, deposit.amount),) if deposit.amount else ())
            return replace(state, members=(*state.members, joined), seen=state.seen | {ref})
        case HoldRefused(hold_reference=ref):
            offers = tuple(o for o in state.offers if o.reference != ref)
            return replace(state, seen=state.seen | {ref}, offers=offers)
        case MemberLeft(member_id=who):
            return replace(state, members=tuple(m for m in state.members if m.member_id != who))
        case SeatWanted(member_id=who, seats=seats):
            return replace(state, seat_asks=state.seat_asks | {f"{who}:{seats}"})
        case OwnerReminded(at=at):
            return replace(state, owner_reminded_at=at)
        case LeaveRequested(member_id=who):
            return replace(state, leaving=(*state.leaving, who))
        case ReplacementOffered(member_id=who, deposit=deposit, hold_reference=ref):
            offer = Offer(who, ref, deposit.amount)
            return replace(state, offers=(*state.offers, offer), seen=state.seen | {ref})
        case MemberReplaced():
            return _replaced(state, event)
        case CircleCancelled():
            return replace(state, status="cancelled")
        case CircleStarted(order=order, at=at):
            return replace(state, status="running", order=order, size=len(order), started_at=at)
        case RoundOpened(round=number, deadline=deadline):
            return replace(state, round=number, deadline=deadline, collected=0, short=0)
        case CircleReminded(round=number, hours_before=hours):
            return replace(state, reminded=state.reminded | {f"{number}:{hours}"})
        case _:
            return _money(state, event)


def _money(state: Circle, event: Event) -> Circle:
    match event:
        case ContributionReceived(round=number, member_id=who, amount=amount, reference=ref):
            state = _with(state, who, lambda m: replace(
                m, paid=m.paid | {number}, received=m.received + amount.amount
            ))  # fmt: skip
            return replace(
                state, collected=state.collected + amount.amount, seen=state.seen | {ref}
            )
        case ContributionReturned(reference=ref):
            return replace(state, seen=state.seen | {ref})
        case DefaultCovered():
            return _defaulted(state, event)
        case DepositRestored(member_id=who, amount=amount, hold_reference=ref):
            state = _with(
                state, who, lambda m: replace(m, holds=(*m.holds, Piece(ref, amount.amount)))
            )
            return replace(state, seen=state.seen | {ref})
        case PotPaid(recipient_id=who, paid=paid):
            state = replace(state, leaving=tuple(m for m in state.leaving if m != who))
            return _with(state, who, lambda m: replace(m, got=m.got + paid.amount))
        case ArrearsPaid():
            return _arrears_paid(state, event)
        case DepositReturned(member_id=who, amount=amount, hold_reference=ref):
            return _with(state, who, lambda m: _take(m, ref, amount.amount))
        case CircleEnded():
            return replace(state, status="ended", deadline=None)
        case _:
            return state


def _replaced(state: Circle, event: MemberReplaced) -> Circle:
    """The newcomer takes the leaver's place: their position, the open round as the leaver
    left it (paid or not), the seat debts the leaver had taken over, and one more: the
    leaver's `refund`, repaid from this seat's pot."""
    leaver, offer = state.member(event.leaver_id), state.offer_of(event.newcomer_id)
    if leaver is None or offer is None:
        return state  # never so in a stream the decider wrote: it approves a seat it holds
    debts = tuple(d for d in leaver.arrears if d.seat)
    if event.refund.amount:
        debts += (Debt(event.leaver_id, 0, event.refund.amount, seat=True),)
    newcomer = Member(
        event.newcomer_id,
        holds=(Piece(offer.reference, offer.amount),) if offer.amount else (),
        paid=leaver.paid & {state.round},
        arrears=debts,
    )
    swap = {event.leaver_id: event.newcomer_id}
    return replace(
        state,
        members=tuple(newcomer if m.member_id == event.leaver_id else m for m in state.members),
        order=tuple(swap.get(m, m) for m in state.order),
        leaving=tuple(m for m in state.leaving if m != event.leaver_id),
        offers=tuple(o for o in state.offers if o.member_id != event.newcomer_id),
    )


def _defaulted(state: Circle, event: DefaultCovered) -> Circle:
    who, seized, uncovered = event.member_id, event.seized.amount, event.uncovered.amount
    recipient = state.recipient()

    def change(member: Member) -> Member:
        member = replace(
            member, covered=member.covered | {event.round}, seized=member.seized + seized
        )
        if event.hold_reference is not None:
            member = _take(member, event.hold_reference, seized)
        if uncovered and who != recipient:
            member = replace(
                member, arrears=(*member.arrears, Debt(recipient, event.round, uncovered))
            )
        return member

    state = _with(state, who, change)
    return replace(state, collected=state.collected + seized, short=state.short + uncovered)


def _arrears_paid(state: Circle, event: ArrearsPaid) -> Circle:
    amount = event.amount.amount

    def pay_debt(member: Member) -> Member:
        left, debts = amount, []
        for debt in member.arrears:
            ours = (debt.creditor_id, debt.creditor_round) == (
                event.creditor_id,
                event.creditor_round,
            )
            take = min(left, debt.amount) if ours else 0
            left -= take
            if debt.amount - take:
                debts.append(replace(debt, amount=debt.amount - take))
        member = replace(member, arrears=tuple(debts))
        if event.hold_reference is not None:
            member = _take(member, event.hold_reference, amount)
        return member

    state = _with(state, event.debtor_id, pay_debt)
    return _with(state, event.creditor_id, lambda m: replace(m, got=m.got + amount))


def _take(member: Member, reference: str, amount: int) -> Member:
    holds = tuple(
        replace(p, amount=p.amount - amount) if p.reference == reference else p
        for p in member.holds
    )
    return replace(member, holds=tuple(p for p in holds if p.amount > 0))


def _with(state: Circle, member_id: int, change: Callable[[Member], Member]) -> Circle:
    members = tuple(change(m) if m.member_id == member_id else m for m in state.members)
    return replace(state, members=members)
