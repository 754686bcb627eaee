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


@event("wallet.held.v1")
class WalletHeld(Event):
    """Money set aside in the wallet (a circle's security deposit): still the user's, in
    their balance, but nothing can spend it until it is released."""

    user_id: int
    amount: Money
    reason: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=256)


@event("wallet.released.v1")
class WalletReleased(Event):
    """Part or all of a hold is spendable again; `reference` names this release, once."""

    user_id: int
    amount: Money
    hold_reference: str = Field(min_length=1, max_length=256)
    reference: str = Field(min_length=1, max_length=256)
