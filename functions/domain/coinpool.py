"""The `coinpool-<coin>-<account>` aggregate: hands out one address index per user.

Allocation is a decision on one stream, so the store's optimistic concurrency serialises it:
two users asking at once both decide on version v, one append wins, the other reloads and
gets the next index. The same user always gets the index they got first. The state holds
every user's index (a dict), so a pool of ~20k users still snapshots under 512 KiB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from events import Event
from events.coins import AddressHandedOut, Coin
from functions.domain.decider import Decider
from functions.domain.snapshots import Snapshots


def stream_of(coin: Coin, account: str) -> str:
    return f"coinpool-{coin.lower()}-{account}"


@dataclass(frozen=True)
class Pool:
    next_index: int = 0
    owners: dict[str, int] = field(default_factory=dict)  # user id (text) -> index

    def index_of(self, user_id: int) -> int | None:
        return self.owners.get(str(user_id))


@dataclass(frozen=True)
class HandOut:
    coin: Coin
    account: str
    user_id: int


def decide(state: Pool, command: HandOut) -> Sequence[Event]:
    if state.index_of(command.user_id) is not None:
        return []  # the same user keeps the address they were given
    return [
        AddressHandedOut(
            coin=command.coin,
            account=command.account,
            index=state.next_index,
            user_id=command.user_id,
        )
    ]


def evolve(state: Pool, event: Event) -> Pool:
    if isinstance(event, AddressHandedOut):
        owners = {**state.owners, str(event.user_id): event.index}
        return Pool(next_index=max(state.next_index, event.index + 1), owners=owners)
    return state


pools: Decider[Pool, HandOut] = Decider(
    initial=Pool(), evolve=evolve, decide=decide, snapshots=Snapshots(Pool, evolve)
)
