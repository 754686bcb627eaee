"""Savings circles' reactors: money held or debited on a wallet becomes a circle decision,
and a circle decision moves money on the members' wallets, each once, under a reference
that names the circle, the round and the member (docs/architecture.md, "Savings circles").

    payment.succeeded (circle_contribution)        -> wallet credit + contribution debit
    wallet.held (circle_deposit | circle_restore | circle_replace) -> Join | Restore | Offer
    wallet.debited (circle_contribution)           -> circle Contribute
    circle.hold_refused | member_left | deposit_returned -> wallet Release
    circle.default_covered                         -> wallet Capture (the seized deposit)
    circle.pot_paid                                -> wallet Credit circle-payout:<id>:<round>
    circle.arrears_paid                            -> creditor Credit (+ debtor Capture)
    circle.contribution_returned                   -> wallet Credit circle-return:<reference>
"""

from __future__ import annotations

from collections.abc import Sequence

from events import Envelope, Event, Money, decode
from events.circles import (
    ArrearsPaid,
    ContributionReturned,
    DefaultCovered,
    DepositReturned,
    HoldRefused,
    MemberLeft,
    PotPaid,
)
from events.payments import PaymentSucceeded
from events.wallet import WalletDebited, WalletHeld
from functions.domain import circle_payments, circle_seats, circles, wallet
from functions.reactors.base import Reaction, Reactor

DEPOSIT, RESTORE, CONTRIBUTION = "circle_deposit", "circle_restore", "circle_contribution"
REPLACE = "circle_replace"  # a deposit held to take over a leaving member's seat


def deposit_reference(circle_id: str, member_id: int, tag: str) -> str:
    """A hold's reference: `tag` (from the update) makes each join or top-up its own hold."""
    return f"circle-deposit:{circle_id}:{member_id}:{tag}"


def contribution_reference(circle_id: str, round_: int, member_id: int) -> str:
    """One debit per member per round, whichever way and however often it is asked."""
    return f"circle-contribution:{circle_id}:{round_}:{member_id}"


def _circle_of(reference: str, prefix: str) -> list[str] | None:
    head, _, rest = reference.partition(":")
    parts = rest.split(":")
    return parts if head == prefix and len(parts) == 3 and parts[0] else None


def joined(envelope: Envelope) -> Sequence[Reaction]:
    held = decode(envelope)
    if not isinstance(held, WalletHeld) or held.reason not in (DEPOSIT, RESTORE, REPLACE):
        return []
    parts = _circle_of(held.reference, "circle-deposit")
    if parts is None:
        return []
    command: circles.Join | circles.Restore | circle_seats.Offer
    if held.reason == REPLACE:
        command = circle_seats.Offer(held.user_id, held.amount, held.reference)
    elif held.reason == DEPOSIT:
        # The event id is a fresh random id: it seeds a random rotation nobody chose.
        command = circles.Join(
            held.user_id, held.amount, held.reference, envelope.event_id, envelope.occurred_at
        )
    else:
        command = circles.Restore(held.user_id, held.amount, held.reference)
    return [Reaction(circles.circles, circles.stream_of(parts[0]), command)]


def contributed(envelope: Envelope) -> Sequence[Reaction]:
    debited = decode(envelope)
    if not isinstance(debited, WalletDebited) or debited.reason != CONTRIBUTION:
        return []
    parts = _circle_of(debited.reference, "circle-contribution")
    if parts is None or not parts[1].isdigit():
        return []
    command = circles.Contribute(
        debited.user_id, int(parts[1]), debited.amount, debited.reference, envelope.occurred_at
    )
    return [Reaction(circles.circles, circles.stream_of(parts[0]), command)]


def paid_on_rail(envelope: Envelope) -> Sequence[Reaction]:
    paid = decode(envelope)
    if not isinstance(paid, PaymentSucceeded) or paid.purpose != "circle_contribution":
        return []
    circle, _, round_ = (paid.subject or "").partition(":")
    if not circle or not round_.isdigit():
        return []
    command = circle_payments.PayFromRail(
        paid.user_id, paid.payment_id, paid.paid,
        contribution_reference(circle, int(round_), paid.user_id),
    )  # fmt: skip
    stream = wallet.stream_of(paid.user_id)
    return [Reaction(circle_payments.contribution_wallets, stream, command)]


def moved(envelope: Envelope) -> Sequence[Reaction]:
    event, circle = decode(envelope), envelope.aggregate_id
    return [
        Reaction(wallet.wallets, wallet.stream_of(user), command)
        for user, command in moves_of(circle, event)
    ]


Move = tuple[int, wallet.WalletCommand]


def moves_of(circle: str, event: Event) -> list[Move]:
    """The wallet moves a circle event asks for (the audit checks them against the wallets)."""
    match event:
        case HoldRefused() | MemberLeft() if event.deposit.amount:
            return [_release(event.member_id, event.deposit, event.hold_reference)]
        case DepositReturned():
            return [_release(event.member_id, event.amount, event.hold_reference)]
        case DefaultCovered(seized=seized, hold_reference=held) if seized.amount and held:
            reference = f"circle-seize:{circle}:{event.round}:{held}"
            capture = wallet.Capture(event.member_id, seized, held, "circle_default", reference)
            return [(event.member_id, capture)]
        case PotPaid(paid=paid) if paid.amount:
            reference = f"circle-payout:{circle}:{event.round}"
            return [
                (
                    event.recipient_id,
                    wallet.Credit(event.recipient_id, paid, "circle_payout", reference),
                )
            ]
        case ArrearsPaid():
            return _arrears(event)
        case ContributionReturned():
            credit = wallet.Credit(
                event.member_id, event.amount, "circle_return", f"circle-return:{event.reference}"
            )
            return [(event.member_id, credit)]
        case _:
            return []


def _release(member: int, amount: Money, hold: str) -> Move:
    return member, wallet.Release(member, amount, hold, f"circle-release:{hold}")


def _arrears(event: ArrearsPaid) -> list[Move]:
    credit = wallet.Credit(event.creditor_id, event.amount, "circle_arrears", event.reference)
    moves: list[Move] = [(event.creditor_id, credit)]
    if event.hold_reference is not None:
        taken = wallet.Capture(
            event.debtor_id, event.amount, event.hold_reference, "circle_arrears",
            f"{event.reference}:taken",
        )  # fmt: skip
        moves.insert(0, (event.debtor_id, taken))
    return moves


MOVES = frozenset(
    t.type_name
    for t in (
        HoldRefused, MemberLeft, DepositReturned, DefaultCovered, PotPaid, ArrearsPaid,
        ContributionReturned,
    )
)  # fmt: skip
join_circle = Reactor("join-circle", "wallet", joined, frozenset({WalletHeld.type_name}))
take_contribution = Reactor(
    "take-contribution", "wallet", contributed, frozenset({WalletDebited.type_name})
)
move_circle_money = Reactor("move-circle-money", "circle", moved, MOVES)
pay_contribution = Reactor(
    "pay-contribution", "payment", paid_on_rail, frozenset({PaymentSucceeded.type_name})
)
CIRCLE_REACTORS = (join_circle, take_contribution, move_circle_money, pay_contribution)
