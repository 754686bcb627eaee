"""Events of the `wallet-<user id>` stream. One wallet holds a balance per currency."""

from __future__ import annotations

from pydantic import Field

from events.base import Event
from events.catalog import event
from events.money import Money


@event("wallet.opened.v1")
class WalletOpened(Event):
    """The user's wallet exists: opened when they registered, before any money moves."""

    user_id: int


@event("wallet.credited.v1")
class WalletCredited(Event):
    """Money entered the wallet; `reference` names what moved it (a payment, a refund)."""

    user_id: int
    amount: Money
    reason: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=256)


@event("wallet.debited.v1")
class WalletDebited(Event):
    """Money left the wallet; `reference` names what it paid for."""

    user_id: int
    amount: Money
    reason: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=256)
