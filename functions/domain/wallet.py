"""The `wallet-<user id>` aggregate: a balance per currency that never goes below zero.

Part of a balance can be held (a savings circle's security deposit): held money stays in the
balance but no debit can take it, so `available = balance - held` is what can be spent. A
hold is released (spendable again) or captured (released and debited in one decision, so
the captured money cannot be spent in between)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from events import Event, Money
from events.money import format_money
from events.referrals import CommissionOwed
from events.wallet import (
    WalletCredited,
    WalletDebited,
    WalletHeld,
    WalletOpened,
    WalletReleased,
)
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import Snapshots


def stream_of(user_id: int) -> str:
    return f"wallet-{user_id}"


# A referral commission reversed after its money was spent leaves a debt (CommissionOwed);
# later commissions repay it with a debit of this reason (functions/domain/referrals.py).
DEBT_REASON = "commission_debt"
# The reference a CommissionOwed leaves among the seen ones: that reversal is recorded.
OWED = "owed:commission:"


# Every reference that already moved money, newest first, as an immutable linked list:
# extending it while folding is O(1) (a frozenset copy per event made long folds O(n^2)),
# and the one search per command is O(n), the same order as loading the stream.
Seen = tuple[str, "Seen"] | None


@dataclass(frozen=True)
class Wallet:
    opened: bool = False
    balances: dict[str, int] = field(default_factory=dict)
    # A second credit for the same payment is a no-op here even if it slipped past the
    # idempotency key (defence in depth).
    references: Seen = None
    holds: dict[str, Money] = field(default_factory=dict)  # what each hold still keeps
    # Commission the owner owes back, per currency (see DEBT_REASON). Folded here, not by
    # the referral decider alone, so every decider on a wallet stream folds the same state
    # and reads the same snapshot: a commission's credit is one read, not the whole stream.
    owed: dict[str, int] = field(default_factory=dict)

    def balance(self, currency: str) -> Money:
        return Money(amount=self.balances.get(currency, 0), currency=currency)

    def held(self, currency: str) -> Money:
        kept = sum(m.amount for m in self.holds.values() if m.currency == currency)
        return Money(amount=kept, currency=currency)

    def available(self, currency: str) -> Money:
        """What a debit or a new hold may take: the balance less every hold."""
        return self.balance(currency) - self.held(currency)

    def has_moved(self, reference: str) -> bool:
        node = self.references
        while node is not None:
            if node[0] == reference:
                return True
            node = node[1]
        return False


@dataclass(frozen=True)
class Open:
    user_id: int


@dataclass(frozen=True)
class Credit:
    user_id: int
    amount: Money
    reason: str
    reference: str


@dataclass(frozen=True)
class Debit:
    user_id: int
    amount: Money
    reason: str
    reference: str


@dataclass(frozen=True)
class Hold:
    user_id: int
    amount: Money
    reason: str
    reference: str


@dataclass(frozen=True)
class Release:
    """Give back `amount` of the hold `hold_reference`; `reference` names this release."""

    user_id: int
    amount: Money
    hold_reference: str
    reference: str


@dataclass(frozen=True)
class Capture:
    """Take `amount` of a hold: released and debited (reason, reference) in one decision."""

    user_id: int
    amount: Money
    hold_reference: str
    reason: str
    reference: str


class HoldTooSmall(DomainError):
    code = "hold_too_small"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"

    def __init__(self, balance: Money, wanted: Money) -> None:
        super().__init__(f"your balance is {format_money(balance)}, {format_money(wanted)} needed")
        self.balance = balance
        self.wanted = wanted

    def facts(self) -> dict[str, str | int | Money]:
        return {"balance": self.balance, "wanted": self.wanted}


class NonPositiveAmount(DomainError):
    code = "non_positive_amount"


WalletCommand = Open | Credit | Debit | Hold | Release | Capture


def decide(state: Wallet, command: WalletCommand) -> Sequence[Event]:
    if isinstance(command, Open):
        return [] if state.opened else [WalletOpened(user_id=command.user_id)]
    if command.amount.amount <= 0:
        raise NonPositiveAmount(f"amount must be positive, got {command.amount.amount}")
    if state.has_moved(command.reference):
        return []
    match command:
        case Hold() | Release() | Capture():
            return _decide_hold(state, command)
        case Credit():
            return [
                WalletCredited(
                    user_id=command.user_id,
                    amount=command.amount,
                    reason=command.reason,
                    reference=command.reference,
                )
            ]
        case Debit():
            balance = state.available(command.amount.currency)
            if balance.amount < command.amount.amount:
                raise InsufficientFunds(balance, command.amount)
            return [
                WalletDebited(
                    user_id=command.user_id,
                    amount=command.amount,
                    reason=command.reason,
                    reference=command.reference,
                )
            ]


def _decide_hold(state: Wallet, command: Hold | Release | Capture) -> Sequence[Event]:
    user, amount = command.user_id, command.amount
    if isinstance(command, Hold):
        available = state.available(amount.currency)
        if available.amount < amount.amount:
            raise InsufficientFunds(available, amount)
        return [
            WalletHeld(
                user_id=user, amount=amount, reason=command.reason, reference=command.reference
            )
        ]
    kept = state.holds.get(command.hold_reference)
    if kept is None or kept.currency != amount.currency or kept.amount < amount.amount:
        raise HoldTooSmall(f"hold {command.hold_reference} keeps {kept}, {amount} asked")
    released = WalletReleased(
        user_id=user,
        amount=amount,
        hold_reference=command.hold_reference,
        reference=command.reference,
    )
    if isinstance(command, Release):
        return [released]
    debit = WalletDebited(
        user_id=user, amount=amount, reason=command.reason, reference=command.reference
    )
    return [released, debit]


def evolve(state: Wallet, event: Event) -> Wallet:
    match event:
        case WalletHeld(amount=amount, reference=reference):
            holds = {**state.holds, reference: amount}
            return replace(state, holds=holds, references=(reference, state.references))
        case WalletReleased(amount=amount, hold_reference=held, reference=reference):
            left = state.holds[held] - amount
            holds = {k: v for k, v in state.holds.items() if k != held}
            if left.amount:
                holds[held] = left
            return replace(state, holds=holds, references=(reference, state.references))
        case WalletOpened():
            return replace(state, opened=True)
        case WalletCredited(amount=amount, reference=reference):
            return _moved(state, amount, +1, reference)
        case WalletDebited(amount=amount, reference=reference, reason=reason):
            moved = _moved(state, amount, -1, reference)
            if reason != DEBT_REASON:
                return moved
            return replace(moved, owed=_owe(moved.owed, amount.currency, -amount.amount))
        case CommissionOwed(payment_id=payment_id, owed=money):
            owed = _owe(state.owed, money.currency, money.amount)
            return replace(state, owed=owed, references=(OWED + payment_id, state.references))
        case _:
            return state


def _owe(owed: dict[str, int], currency: str, delta: int) -> dict[str, int]:
    return {**owed, currency: owed.get(currency, 0) + delta}


def _moved(state: Wallet, amount: Money, sign: int, reference: str) -> Wallet:
    balances = dict(state.balances)
    balances[amount.currency] = balances.get(amount.currency, 0) + sign * amount.amount
    return replace(state, balances=balances, references=(reference, state.references))


# A wallet's stream only grows (every payment, every purchase): a cold read restores it.
wallets: Decider[Wallet, WalletCommand] = Decider(
    initial=Wallet(), evolve=evolve, decide=decide, snapshots=Snapshots(Wallet, evolve)
)
