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
from functions.domain import channels
from functions.domain.decider import Decider, DomainError

DONATION_PREFIX = "donation:"  # a wallet debit's reference: donation:<nonce>:<gift>


def stream_of(owner_id: int) -> str:
    return f"revenue-{owner_id}"


@dataclass(frozen=True)
class Gift:
    """A donation to a channel's owner, spelled into its payment's subject or debit."""

    chat_id: int
    owner_id: int

    def spelled(self) -> str:
        return f"{channels.key_of(self.chat_id)}~{self.owner_id}"

    @classmethod
    def read(cls, text: str) -> Gift | None:
        key, _, owner = text.partition("~")
        chat_id = channels.chat_of(key)
        if chat_id is None or not owner.isascii() or not owner.isdigit():
            return None
        return cls(chat_id, int(owner))


def gift_reference(nonce: str, gift: Gift) -> str:
    return f"{DONATION_PREFIX}{nonce}:{gift.spelled()}"


def gift_in(reference: str) -> Gift | None:
    """The gift a wallet debit's reference names, if it is a donation."""
    if not reference.startswith(DONATION_PREFIX):
        return None
    return Gift.read(reference.removeprefix(DONATION_PREFIX).partition(":")[2])


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
