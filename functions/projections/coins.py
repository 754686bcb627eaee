"""`coin_addresses/{coin}-{account}-{index}`: each handed-out deposit address, and since
when it is watched (None once the watch ended), for the watch-chain job's `find_due`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from events import Envelope, decode
from events.coins import Coin, CoinAddressOpened, WatchEnded
from functions.projections.base import Doc, Projection

if TYPE_CHECKING:
    from functions.runtime.ports import ReadModels


def project(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    current: Doc = dict(doc) if doc else {"watch_since": None}
    event = decode(envelope)
    if isinstance(event, CoinAddressOpened):
        current |= {
            "coin": event.coin,
            "account": event.account,
            "index": event.index,
            "user_id": event.user_id,
            "address": event.address,
        }
    elif isinstance(event, WatchEnded):
        current["watch_since"] = None
    elif current.get("watch_since") is None:
        current["watch_since"] = envelope.occurred_at  # expected, or something happened
    return current


coin_addresses = Projection("coin-addresses", "coin_addresses", "coinaddress", project)


class WatchedAddress(BaseModel):
    model_config = ConfigDict(frozen=True)

    coin: Coin
    account: str
    index: int
    user_id: int
    address: str
    watch_since: datetime | None = None


def watched(read_models: ReadModels, now: datetime, limit: int) -> list[WatchedAddress]:
    """Up to `limit` addresses being watched, longest watched first."""
    docs = read_models.find_due(coin_addresses.collection, "watch_since", now, limit)
    return [WatchedAddress.model_validate(d) for d in docs if "address" in d]
