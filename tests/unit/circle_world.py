"""A small world for circle tests: streams in a dict, every reactor followed at once (or its
deliveries kept back to be shuffled and repeated), wallets decided by the real decider."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from events import Envelope, Event, Money, decode, encode
from events.wallet import WalletCredited, WalletDebited
from functions.domain import circles, wallet
from functions.domain.circle_state import Circle
from functions.domain.decider import Decider, DomainError
from functions.reactors.base import Reactor
from functions.reactors.circles import (
    CIRCLE_REACTORS,
    CONTRIBUTION,
    DEPOSIT,
    REPLACE,
    RESTORE,
    contribution_reference,
    deposit_reference,
)

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


@dataclass
class World:
    streams: dict[str, list[Envelope]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    now: datetime = START
    held_back: list[Envelope] | None = None  # None: reactions follow at once
    reactors: Sequence[Reactor] = CIRCLE_REACTORS
    _ids: int = 0

    def events(self, stream: str) -> list[Event]:
        return [decode(e) for e in self.streams.get(stream, [])]

    def state(self, decider: Decider[Any, Any], stream: str) -> Any:
        return decider.fold(self.events(stream))

    def execute(
        self, decider: Decider[Any, Any], stream: str, command: object, key: str | None = None
    ) -> list[Envelope]:
        """Decide and append (a repeated key changes nothing), then follow the reactions."""
        if key is not None and key in self.keys:
            return []
        new = decider.decide(self.state(decider, stream), command)
        written = self._append(stream, new)
        if key is not None:
            self.keys.add(key)
        if self.held_back is not None:
            self.held_back += written
        else:
            for envelope in written:
                self.deliver(envelope)
        return written

    def deliver(self, envelope: Envelope) -> None:
        """One delivery of an event to every reactor, each reaction under its own key."""
        for reactor in self.reactors:
            if reactor.category != envelope.category:
                continue
            for index, reaction in enumerate(reactor.react(envelope)):
                with contextlib.suppress(DomainError):  # final, as in runtime/reacting.py
                    self.execute(
                        reaction.decider, reaction.stream, reaction.command,
                        reactor.key(envelope, index),
                    )  # fmt: skip

    def drain(self, rng: random.Random, duplicate: bool = True) -> None:
        """Deliver everything held back in a random order, some twice, until nothing is left."""
        assert self.held_back is not None
        while self.held_back:
            batch, self.held_back = self.held_back, []
            if duplicate:
                batch += rng.sample(batch, k=len(batch) // 2)
            rng.shuffle(batch)
            for envelope in batch:
                self.deliver(envelope)

    def _append(self, stream: str, events: Sequence[Event]) -> list[Envelope]:
        stored = self.streams.setdefault(stream, [])
        written = []
        for event in events:
            self._ids += 1
            type_name, data = encode(event)
            envelope = Envelope(
                event_id=f"e{self._ids}", stream=stream, version=len(stored) + 1,
                type=type_name, occurred_at=self.now, data=data,
            )  # fmt: skip
            stored.append(envelope)
            written.append(envelope)
        return written

    # -- what members do -----------------------------------------------------------------

    def top_up(self, user: int, amount: int) -> None:
        credit = wallet.Credit(user, kes(amount), "deposit", f"payment:{user}:{self._ids}")
        self.execute(wallet.wallets, wallet.stream_of(user), credit)

    def create(self, owner: int, size: int, contribution: int = 1000, **terms: Any) -> str:
        circle_id = f"c{owner}"
        create = circles.Create(
            circle_id, owner, "Chama", kes(contribution), terms.pop("unit", "week"),
            terms.pop("count", 1), size, terms.pop("rotation", "join"), self.now, **terms,
        )  # fmt: skip
        self.execute(circles.circles, circles.stream_of(circle_id), create)
        return circle_id

    def join(self, circle_id: str, user: int, tag: str = "j1") -> None:
        state = self.circle(circle_id)
        hold = wallet.Hold(
            user, state.money(state.deposit), DEPOSIT, deposit_reference(circle_id, user, tag)
        )
        if state.deposit == 0:
            join = circles.Join(user, state.money(0), deposit_reference(circle_id, user, tag),
                                "seed", self.now)  # fmt: skip
            self.execute(circles.circles, circles.stream_of(circle_id), join)
            return
        self.execute(wallet.wallets, wallet.stream_of(user), hold)

    def pay(self, circle_id: str, user: int) -> None:
        state = self.circle(circle_id)
        reference = contribution_reference(circle_id, state.round, user)
        debit = wallet.Debit(user, state.money(state.contribution), CONTRIBUTION, reference)
        self.execute(wallet.wallets, wallet.stream_of(user), debit)

    def restore(self, circle_id: str, user: int, amount: int, tag: str) -> None:
        hold = wallet.Hold(user, kes(amount), RESTORE, deposit_reference(circle_id, user, tag))
        self.execute(wallet.wallets, wallet.stream_of(user), hold)

    def offer(self, circle_id: str, user: int, tag: str = "o1") -> None:
        """`user` holds the deposit to take over a leaving member's seat."""
        state = self.circle(circle_id)
        reference = deposit_reference(circle_id, user, tag)
        hold = wallet.Hold(user, state.money(state.deposit), REPLACE, reference)
        self.execute(wallet.wallets, wallet.stream_of(user), hold)

    def decide(self, circle_id: str, command: object, key: str | None = None) -> list[Event]:
        """A command on the circle itself (an owner's or member's tap)."""
        written = self.execute(circles.circles, circles.stream_of(circle_id), command, key)
        return [decode(e) for e in written]

    def deadline(self, circle_id: str) -> None:
        """The job at the open round's deadline."""
        state = self.circle(circle_id)
        assert state.deadline is not None
        self.now = max(self.now, state.deadline)
        close = circles.CloseRound(state.round, self.now)
        self.execute(circles.circles, circles.stream_of(circle_id), close,
                     f"close:{circle_id}:{state.round}")  # fmt: skip

    def later(self, hours: int = 1) -> None:
        self.now += timedelta(hours=hours)

    # -- what tests look at --------------------------------------------------------------

    def circle(self, circle_id: str) -> Circle:
        state: Circle = self.state(circles.circles, circles.stream_of(circle_id))
        return state

    def wallet(self, user: int) -> wallet.Wallet:
        found: wallet.Wallet = self.state(wallet.wallets, wallet.stream_of(user))
        return found

    def net(self, user: int, circle_id: str) -> int:
        """What the circle's money movements did to this user's wallet (credits - debits)."""
        total = 0
        for event in self.events(wallet.stream_of(user)):
            if isinstance(event, WalletCredited | WalletDebited) and circle_id in event.reference:
                sign = 1 if isinstance(event, WalletCredited) else -1
                total += sign * event.amount.amount
        return total
