"""The `revenue-<owner id>` aggregate: each channel owner's own ledger.

Money rule: the platform's fee is floor(gross * fee_bp / 10000) in the payment's own
currency and minor units (Money.percent_of), so rounding favours the owner, who gets
gross - fee. Each payment is recorded once, under its reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from events import Event, Money
from events.channels import RevenueEarned
from functions.domain.decider import Decider, DomainError


def stream_of(owner_id: int) -> str:
    return f"revenue-{owner_id}"


@dataclass(frozen=True)
class Revenue:
    references: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Earn:
    owner_id: int
    chat_id: int
    buyer_id: int
    reference: str
    kind: Literal["subscription", "donation"]
    gross: Money
    fee_bp: int


class BadFee(DomainError):
    code = "revenue_bad_fee"


def decide(state: Revenue, command: Earn) -> Sequence[Event]:
    if command.reference in state.references or not command.gross.is_positive():
        return []
    if not 0 <= command.fee_bp <= 10_000:
        raise BadFee(f"a fee is 0 to 10000 basis points, not {command.fee_bp}")
    fee = command.gross.percent_of(command.fee_bp)
    return [
        RevenueEarned(
            owner_id=command.owner_id, chat_id=command.chat_id, buyer_id=command.buyer_id,
            reference=command.reference, kind=command.kind, gross=command.gross,
            fee_bp=command.fee_bp, fee=fee, net=command.gross - fee,
        )
    ]  # fmt: skip


def evolve(state: Revenue, event: Event) -> Revenue:
    if isinstance(event, RevenueEarned):
        return replace(state, references=state.references | {event.reference})
    return state


revenues: Decider[Revenue, Earn] = Decider(initial=Revenue(), evolve=evolve, decide=decide)
