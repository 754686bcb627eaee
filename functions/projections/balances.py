"""`balances/{user}`: each wallet's balance per currency, in minor units."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events import Envelope, decode
from events.wallet import WalletCredited, WalletDebited, WalletOpened
from functions.projections.base import Doc, Projection


def project(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    balances: dict[str, int] = dict(doc["balances"]) if doc else {}
    event = decode(envelope)
    match event:
        case WalletOpened():
            pass  # the document now exists, with no money in it yet
        case WalletCredited(amount=amount):
            balances[amount.currency] = balances.get(amount.currency, 0) + amount.amount
        case WalletDebited(amount=amount):
            balances[amount.currency] = balances.get(amount.currency, 0) - amount.amount
    return {"user_id": int(envelope.aggregate_id), "balances": balances}


balances = Projection(name="balances", collection="balances", category="wallet", project=project)
