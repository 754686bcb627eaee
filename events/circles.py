"""Events of savings circles (ROSCA): `circle-<id>` holds one circle's whole life.

N members each pay the contribution every round; each round one member, in a rotation fixed
at the start, takes the pot. Money never moves on this stream: the circle decides, and its
reactors move the money on the members' `wallet-<id>` streams (deposits held, contributions
debited, pots credited), each under a reference naming the circle, the round and the member
(docs/architecture.md, "Savings circles").
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from events.base import Event
from events.catalog import event
from events.money import Money

Rotation = Literal["join", "random", "owner"]
# "minute" only where SOKO_CIRCLES_ALLOW_MINUTES is set (the local stack, for trying rounds).
PeriodUnit = Literal["minute", "day", "week", "month"]


@event("circle.created.v1")
class CircleCreated(Event):
    """An owner set up a circle: its terms are fixed from here (changes would need everyone)."""

    circle_id: str
    owner_id: int
    name: str = Field(min_length=1, max_length=64)
    contribution: Money  # per member per round, minor units
    period_unit: PeriodUnit
    period_count: int = Field(ge=1, le=366)  # "every 3 days": unit day, count 3
    size: int = Field(ge=2, le=50)
    rotation: Rotation
    deposit_rounds: int = Field(ge=0, le=50)  # the security deposit, in contributions
    at: AwareDatetime


@event("circle.member_joined.v1")
class MemberJoined(Event):
    """A member joined; their security deposit is held on their wallet under `hold_reference`."""

    member_id: int
    deposit: Money
    hold_reference: str
    at: AwareDatetime


@event("circle.hold_refused.v1")
class HoldRefused(Event):
    """Money was held for a join or a deposit top-up the circle could not take (full,
    started, a member already, nothing to restore): the hold is released, so no money is
    stranded."""

    member_id: int
    deposit: Money
    hold_reference: str
    reason: str = Field(max_length=64)


@event("circle.member_left.v1")
class MemberLeft(Event):
    """A member left before the start, or the owner removed them (`removed`); their
    deposit is released."""

    member_id: int
    deposit: Money
    hold_reference: str
    removed: bool = False


@event("circle.seat_wanted.v1")
class SeatWanted(Event):
    """Someone tried to join while the circle had all the members its owner's tier in force
    seats (`seats`): the owner is asked to upgrade, once per person and tier."""

    member_id: int
    seats: int


@event("circle.owner_reminded.v1")
class OwnerReminded(Event):
    """The owner reminded the members who have not paid the open round (at most once every
    `OWNER_REMINDER_GAP`, functions/domain/circles.py)."""

    round: int
    at: AwareDatetime


@event("circle.leave_requested.v1")
class LeaveRequested(Event):
    """A member of a running circle asks to leave: someone must take over their seat, with
    the owner's approval (docs/architecture.md, "Savings circles", replacement)."""

    member_id: int


@event("circle.replacement_offered.v1")
class ReplacementOffered(Event):
    """A person outside the circle offers to take over a leaving member's seat; their
    security deposit is held under `hold_reference` until the owner approves or declines
    (declined or left unapproved at the end: `circle.hold_refused`, released)."""

    member_id: int
    deposit: Money
    hold_reference: str


@event("circle.member_replaced.v1")
class MemberReplaced(Event):
    """The owner approved: `newcomer_id` holds the leaver's place in the rotation and every
    contribution from the open round on (unless the leaver paid it), with their own deposit
    (`hold_reference`). The leaver's deposit paid what they owed and the rest came back
    (`circle.arrears_paid` / `circle.deposit_returned` just before); what they put in,
    `refund`, is paid to them out of the pot of their old place in the rotation."""

    leaver_id: int
    newcomer_id: int
    refund: Money
    hold_reference: str


@event("circle.cancelled.v1")
class CircleCancelled(Event):
    """The owner cancelled before the start; every deposit is released (`member.left` each)."""

    by: int


@event("circle.started.v1")
class CircleStarted(Event):
    """The rotation is fixed: `order[k-1]` takes the pot of round k. For a random rotation
    the order is sha256(seed:member) sorted, and the seed is recorded so anyone can check."""

    order: tuple[int, ...]
    seed: str | None = None
    at: AwareDatetime


@event("circle.round_opened.v1")
class RoundOpened(Event):
    round: int = Field(ge=1)
    recipient_id: int
    deadline: AwareDatetime


@event("circle.reminded.v1")
class CircleReminded(Event):
    """The deadline of `round` is `hours_before` hours away: the unpaid are reminded, once."""

    round: int
    hours_before: int


@event("circle.contribution_received.v1")
class ContributionReceived(Event):
    """A member's contribution for a round was debited from their wallet (`reference`)."""

    round: int
    member_id: int
    amount: Money
    reference: str


@event("circle.contribution_returned.v1")
class ContributionReturned(Event):
    """A debit the circle cannot take (its round already closed, the circle ended): credited
    back to the member under `circle-return:<reference>`."""

    round: int
    member_id: int
    amount: Money
    reference: str
    reason: str = Field(max_length=64)


@event("circle.default_covered.v1")
class DefaultCovered(Event):
    """At the deadline a member had not paid: `seized` is taken from their held deposit
    (captured on their wallet); `uncovered`, what the deposit could not cover, becomes their
    arrears, owed to the round's recipient. The member loses good standing."""

    round: int
    member_id: int
    seized: Money
    uncovered: Money
    hold_reference: str | None = None  # the hold it was taken from; None when none was left


@event("circle.deposit_restored.v1")
class DepositRestored(Event):
    """A member held money again to bring their deposit back to the rule's amount."""

    member_id: int
    amount: Money
    hold_reference: str


@event("circle.pot_paid.v1")
class PotPaid(Event):
    """The round closed: `paid` goes to the recipient's wallet (`circle-payout:<id>:<round>`).
    paid = collected - withheld; `short` is what no deposit covered (owed by defaulters to
    this recipient); `withheld` is the recipient's own arrears, paid to their creditors."""

    round: int
    recipient_id: int
    collected: Money
    paid: Money
    withheld: Money
    short: Money


@event("circle.arrears_paid.v1")
class ArrearsPaid(Event):
    """Part of a debtor's arrears reached the recipient they shorted: netted from the
    debtor's own pot (`from_pot`) or captured from their deposit at the end."""

    debtor_id: int
    creditor_id: int
    creditor_round: int
    amount: Money
    source: Literal["pot", "deposit"]
    reference: str  # the credit on the creditor's wallet
    hold_reference: str | None = None  # the debtor's hold, when taken from the deposit


@event("circle.deposit_returned.v1")
class DepositReturned(Event):
    """At the end: what is left of a member's deposit is released to them."""

    member_id: int
    amount: Money
    hold_reference: str


@event("circle.ended.v1")
class CircleEnded(Event):
    """Every round closed; `written_off` is arrears nobody could recover (zero when each
    defaulter's deposit or own pot covered them)."""

    at: AwareDatetime
    written_off: Money
    owner_id: int  # whose tier slot it frees
