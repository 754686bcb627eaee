"""Closing a circle's round: defaults covered from deposits, the pot paid, the next round or
the end with deposits returned net of arrears (docs/architecture.md, "Savings circles").

The rules, in order, for the round's recipient R and contribution C:
1. A member who did not pay by the deadline has C taken from their held deposit (oldest
   hold first). What the deposit cannot cover is *uncovered*: R's pot is short by it, and it
   becomes the defaulter's arrears, owed to R (a recipient who misses their own round owes
   nobody: their own pot is smaller).
2. R's own arrears are netted from R's pot first and paid to their creditors, oldest debt
   first; R gets the rest (`withheld` + `paid` = `collected`).
3. After the last round, each member's remaining deposit pays their arrears first, oldest
   first; what is left is released to them. Arrears still unpaid are written off (recorded
   on `circle.ended`; only a deposit smaller than the remaining obligation allows that).
   Deposits still held for replacement offers nobody approved are released.
A seat debt (what a replaced member put in, functions/domain/circle_seats.py) is netted
and settled like arrears, with its own reference (`seat-<leaver>` for the round).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from events import Event
from events.circles import (
    ArrearsPaid,
    CircleEnded,
    DefaultCovered,
    DepositReturned,
    HoldRefused,
    PotPaid,
    RoundOpened,
)
from functions.domain.circle_state import Circle, Debt, Member, evolve


@dataclass
class Closing:
    """The events decided so far and the state they lead to (a local, short-lived fold)."""

    state: Circle
    events: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        self.events.append(event)
        self.state = evolve(self.state, event)


def close(state: Circle, at: datetime) -> list[Event]:
    """The open round's closing events, whether everyone paid or its deadline passed."""
    closing = Closing(state)
    for member_id in state.order:
        member = state.member(member_id)
        if member is not None and state.round not in member.paid:
            _cover(closing, member)
    _payout(closing)
    now = closing.state
    if now.round < now.size:
        following = now.round + 1
        closing.emit(
            RoundOpened(
                round=following,
                recipient_id=now.order[following - 1],
                deadline=now.deadline_of(following),
            )
        )
    else:
        _end(closing, at)
    return closing.events


def _cover(closing: Closing, member: Member) -> None:
    state = closing.state
    number, money = state.round, state.money
    left = state.contribution
    pieces = []
    for piece in member.holds:
        take = min(piece.amount, left)
        if take:
            pieces.append((piece.reference, take))
            left -= take
        if not left:
            break
    if not pieces:
        closing.emit(
            DefaultCovered(
                round=number, member_id=member.member_id, seized=money(0), uncovered=money(left)
            )
        )
        return
    for index, (reference, take) in enumerate(pieces):
        last = index == len(pieces) - 1
        closing.emit(
            DefaultCovered(
                round=number,
                member_id=member.member_id,
                seized=money(take),
                uncovered=money(left if last else 0),
                hold_reference=reference,
            )
        )


def _payout(closing: Closing) -> None:
    state = closing.state
    recipient = state.member(state.recipient())
    assert recipient is not None
    pot, withheld = state.collected, 0
    for debt in recipient.arrears:
        take = min(debt.amount, pot - withheld)
        if take <= 0:
            break
        withheld += take
        closing.emit(
            ArrearsPaid(
                debtor_id=recipient.member_id,
                creditor_id=debt.creditor_id,
                creditor_round=debt.creditor_round,
                amount=state.money(take),
                source="pot",
                reference=f"circle-arrears:{state.circle_id}:{state.round}:{_tag(debt)}",
            )
        )
    closing.emit(
        PotPaid(
            round=state.round,
            recipient_id=recipient.member_id,
            collected=state.money(pot),
            paid=state.money(pot - withheld),
            withheld=state.money(withheld),
            short=state.money(state.short),
        )
    )


def _tag(debt: Debt) -> str:
    """Names a debt within its debtor's round: the round it shorted, or the seat's leaver."""
    return f"seat-{debt.creditor_id}" if debt.seat else str(debt.creditor_round)


def _end(closing: Closing, at: datetime) -> None:
    for member in closing.state.members:
        settle(closing, member, member.arrears, "end")
    for offer in closing.state.offers:
        closing.emit(
            HoldRefused(
                member_id=offer.member_id, deposit=closing.state.money(offer.amount),
                hold_reference=offer.reference, reason="circle ended",
            )
        )  # fmt: skip
    written_off = sum(m.owed + m.seat_owed for m in closing.state.members)
    state = closing.state
    closing.emit(CircleEnded(at=at, written_off=state.money(written_off), owner_id=state.owner_id))


def settle(closing: Closing, member: Member, debts: tuple[Debt, ...], when: str) -> None:
    """The member's deposit pays `debts`, oldest first; the rest goes back to them (at the
    end, `when` "end"; or as they are replaced, "left")."""
    state, circle = closing.state, closing.state.circle_id
    holds = {p.reference: p.amount for p in member.holds}
    for debt in debts:
        owed = debt.amount
        for reference in list(holds):
            take = min(owed, holds[reference])
            if not take:
                continue
            holds[reference] -= take
            owed -= take
            closing.emit(
                ArrearsPaid(
                    debtor_id=member.member_id,
                    creditor_id=debt.creditor_id,
                    creditor_round=debt.creditor_round,
                    amount=state.money(take),
                    source="deposit",
                    reference=f"circle-arrears:{circle}:{when}:{reference}:{_tag(debt)}",
                    hold_reference=reference,
                )
            )
            if not owed:
                break
    for reference, amount in holds.items():
        if amount:
            closing.emit(
                DepositReturned(
                    member_id=member.member_id,
                    amount=state.money(amount),
                    hold_reference=reference,
                )
            )
