"""Who sits in a circle beyond joining: the owner's tier seats (a join over them asks the
owner to upgrade), removal by the owner before the start, and after the start the one way
out, an owner-approved replacement (docs/architecture.md, "Savings circles").

The replacement rule, for leaver L and newcomer N, contribution C:
- L asks to leave; only a member whose round has not yet closed (who has not taken the pot)
  may, since N would otherwise pay for a pot already gone. N offers, holding the deposit the
  circle's rule asks; the owner approves one offer for one leaver (or declines it: released).
- At the approval L's deposit pays L's arrears (as at the end); refused when it cannot, so
  no debt changes hands. The rest of L's deposit is released.
- N takes L's place in the rotation and every contribution from the open round on (the
  open round counts as paid if L paid it). What L put into the pots (contributions, deposit
  seized for missed rounds, the arrears just paid) is L's `refund`: owed to L by the seat
  and netted from its pot, which N takes in L's place (with any seat debts L had taken
  over themselves). So N pays in what N gets, and L gets back what L put in: both keep
  the no-loss promise, unless the seat's pot comes up short, when the rest is recovered
  from N's deposit at the end like any arrears.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from events import Event, Money
from events.circles import (
    HoldRefused,
    LeaveRequested,
    MemberLeft,
    MemberReplaced,
    ReplacementOffered,
    SeatWanted,
)
from functions.domain.circle_rounds import Closing, settle
from functions.domain.circle_state import Circle, Member
from functions.domain.decider import DomainError


class SeatRefused(DomainError):
    code = "circle_seat_refused"


@dataclass(frozen=True)
class WantSeat:
    """A join tapped while the circle had all the members the owner's tier seats."""

    member_id: int
    seats: int


@dataclass(frozen=True)
class Remove:
    by: int
    member_id: int


@dataclass(frozen=True)
class RequestLeave:
    member_id: int


@dataclass(frozen=True)
class Offer:
    """From the reactor on `wallet.held` (reason circle_replace), or at once for a circle
    whose deposit is zero: the newcomer's deposit is held."""

    member_id: int
    deposit: Money
    hold_reference: str


@dataclass(frozen=True)
class Approve:
    by: int
    leaver_id: int
    newcomer_id: int


@dataclass(frozen=True)
class Decline:
    """The owner declines an offer, or the newcomer withdraws it: the deposit is released."""

    by: int
    newcomer_id: int


SeatCommand = WantSeat | Remove | RequestLeave | Offer | Approve | Decline


def decide_seat(state: Circle, command: SeatCommand) -> Sequence[Event]:
    match command:
        case WantSeat(member_id=who, seats=seats):
            asked = f"{who}:{seats}" in state.seat_asks
            if state.status != "open" or state.member(who) or asked or len(state.members) < seats:
                return []
            return [SeatWanted(member_id=who, seats=seats)]
        case Remove():
            return _remove(state, command)
        case RequestLeave(member_id=who):
            return _request_leave(state, who)
        case Offer():
            return _offer(state, command)
        case Approve():
            return _approve(state, command)
        case Decline():
            return _decline(state, command)


def _owner(state: Circle, by: int) -> None:
    if by != state.owner_id:
        raise SeatRefused("only the circle's owner can do this")


def released(state: Circle, member: Member, removed: bool = False) -> list[Event]:
    """A member's deposit released as they leave before the start (one event per hold; one
    with nothing to release when the deposit is zero, so they still leave)."""
    holds = member.holds or ()
    if not holds:
        return [
            MemberLeft(member_id=member.member_id, deposit=state.money(0), hold_reference="",
                       removed=removed)
        ]  # fmt: skip
    return [
        MemberLeft(member_id=member.member_id, deposit=state.money(p.amount),
                   hold_reference=p.reference, removed=removed)
        for p in holds
    ]  # fmt: skip


def _remove(state: Circle, command: Remove) -> Sequence[Event]:
    _owner(state, command.by)
    member = state.member(command.member_id)
    if member is None or state.status in ("cancelled", "ended"):
        return []
    if state.status != "open":
        raise SeatRefused("after the start, a member leaves only by a replacement")
    if command.member_id == state.owner_id:
        raise SeatRefused("the owner cancels the circle instead")
    return released(state, member, removed=True)


def _request_leave(state: Circle, who: int) -> Sequence[Event]:
    if state.status != "running" or state.member(who) is None:
        raise SeatRefused("only a member of a running circle asks to leave")
    if who in state.leaving:
        return []
    if state.took_pot(who):
        raise SeatRefused("a member who took the pot pays to the end")
    return [LeaveRequested(member_id=who)]


def _offer(state: Circle, command: Offer) -> Sequence[Event]:
    who, ref = command.member_id, command.hold_reference
    if ref in state.seen:
        return []
    reason = ""
    if state.status != "running" or not state.leaving:
        reason = "no seat to take"
    elif state.member(who) is not None or state.offer_of(who) is not None:
        reason = "a member or offered already"
    elif command.deposit != state.money(state.deposit):
        reason = "deposit differs"
    if reason:
        return [HoldRefused(member_id=who, deposit=command.deposit, hold_reference=ref,
                            reason=reason)]  # fmt: skip
    return [ReplacementOffered(member_id=who, deposit=command.deposit, hold_reference=ref)]


def _approve(state: Circle, command: Approve) -> Sequence[Event]:
    _owner(state, command.by)
    leaver, offer = state.member(command.leaver_id), state.offer_of(command.newcomer_id)
    if state.status != "running" or leaver is None or offer is None:
        return []  # replaced already, declined, or the circle ended: nothing to approve
    if command.leaver_id not in state.leaving or state.took_pot(command.leaver_id):
        raise SeatRefused("that member has no seat to hand over")
    if leaver.held < leaver.owed:
        raise SeatRefused("the leaver owes more than their deposit holds; they restore first")
    closing = Closing(state)
    settle(closing, leaver, tuple(d for d in leaver.arrears if not d.seat), "left")
    put_in = leaver.received + leaver.seized + leaver.owed  # the arrears just paid included
    closing.emit(
        MemberReplaced(
            leaver_id=command.leaver_id, newcomer_id=command.newcomer_id,
            refund=state.money(put_in), hold_reference=offer.reference,
        )
    )  # fmt: skip
    return closing.events


def _decline(state: Circle, command: Decline) -> Sequence[Event]:
    offer = state.offer_of(command.newcomer_id)
    if offer is None:
        return []
    if command.by != command.newcomer_id:
        _owner(state, command.by)
    reason = "withdrawn" if command.by == command.newcomer_id else "declined"
    return [
        HoldRefused(member_id=offer.member_id, deposit=state.money(offer.amount),
                    hold_reference=offer.reference, reason=reason)
    ]  # fmt: skip
