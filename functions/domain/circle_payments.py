"""A contribution paid on a rail (an M-Pesa STK push, payment purpose `circle_contribution`,
subject `<circle>:<round>`): once the payment succeeded, one decision on the member's wallet
credits what arrived (`payment:<id>`) and debits the contribution under its usual reference,
so the money cannot be spent in between and the circle's own reactor takes it as any other
contribution. Paid from the wallet already, only the credit is made: the money stays there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from events import Event, Money
from events.wallet import WalletCredited, WalletDebited
from functions.domain import references, wallet
from functions.domain.decider import Decider

CREDIT_REASON = "circle_payment"


@dataclass(frozen=True)
class PayFromRail:
    user_id: int
    payment_id: str
    paid: Money
    contribution_reference: str


def decide(state: wallet.Wallet, command: PayFromRail) -> Sequence[Event]:
    credit_ref = references.payment(command.payment_id)
    if command.paid.amount <= 0 or state.has_moved(credit_ref):
        return []
    user, paid = command.user_id, command.paid
    moved: list[Event] = [
        WalletCredited(user_id=user, amount=paid, reason=CREDIT_REASON, reference=credit_ref)
    ]
    if not state.has_moved(command.contribution_reference):
        moved.append(
            WalletDebited(
                user_id=user, amount=paid, reason="circle_contribution",
                reference=command.contribution_reference,
            )
        )  # fmt: skip
    return moved


# The wallet's own state, fold and snapshots: a contribution reads one document.
contribution_wallets: Decider[wallet.Wallet, PayFromRail] = Decider(
    initial=wallet.Wallet(), evolve=wallet.evolve, decide=decide, snapshots=wallet.wallets.snapshots
)
