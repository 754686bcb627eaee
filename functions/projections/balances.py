"""`balances/{user}`: each wallet's balance per currency, in minor units."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from events import Envelope, Money, decode
from events.wallet import WalletCredited, WalletDebited, WalletHeld, WalletOpened, WalletReleased
from functions.projections.base import Doc, Projection

if TYPE_CHECKING:  # the port, for its type only: the core imports no adapter
    from functions.runtime.ports import ReadModels


def project(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    balances: dict[str, int] = dict(doc["balances"]) if doc else {}
    held: dict[str, int] = dict(doc.get("held", {})) if doc else {}
    event = decode(envelope)
    match event:
        case WalletOpened():
            pass  # the document now exists, with no money in it yet
        case WalletCredited(amount=amount):
            balances[amount.currency] = balances.get(amount.currency, 0) + amount.amount
        case WalletDebited(amount=amount):
            balances[amount.currency] = balances.get(amount.currency, 0) - amount.amount
        case WalletHeld(amount=amount):
            held[amount.currency] = held.get(amount.currency, 0) + amount.amount
        case WalletReleased(amount=amount):
            held[amount.currency] = held.get(amount.currency, 0) - amount.amount
    doc_out: Doc = {"user_id": int(envelope.aggregate_id), "balances": balances}
    kept = {c: a for c, a in held.items() if a}
    if kept:  # only wallets that hold something carry the field
        doc_out["held"] = kept
    return doc_out


balances = Projection(name="balances", collection="balances", category="wallet", project=project)


# -- the typed view: what readers get instead of the stored document ------------------------


class Balances(BaseModel):
    """A wallet's money, one amount per currency it ever moved; none before it opened."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    amounts: tuple[Money, ...] = ()  # by currency code
    held: tuple[Money, ...] = ()  # of those amounts, what holds keep (circle deposits)

    def nonzero(self) -> tuple[Money, ...]:
        """The currencies the wallet holds money (or owes it) in."""
        return tuple(m for m in self.amounts if m.amount)


def balance_of(read_models: ReadModels, user_id: int) -> Balances:
    """The user's balances as the read model shows them (empty when no wallet is open)."""
    doc = read_models.get(balances.collection, str(user_id))
    stored: Mapping[str, int] = doc["balances"] if doc else {}
    kept: Mapping[str, int] = doc.get("held", {}) if doc else {}
    amounts = (Money(amount=a, currency=c) for c, a in sorted(stored.items()))
    held = (Money(amount=a, currency=c) for c, a in sorted(kept.items()) if a)
    return Balances(user_id=user_id, amounts=tuple(amounts), held=tuple(held))
