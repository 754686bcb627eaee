"""The `coinaddress-<coin>-<account>-<index>` aggregate: one user's deposit address and every
output to it, decided from what the chain says on each watch run (`Observe`).

An output (`txid:vout`) is recorded once, when first seen, with the rate of that moment and
the value it will credit; it is credited when its block has `confirmations` blocks on top
(tip - height + 1), never at zero. It is dropped if its transaction vanishes before that,
and flagged (`credited_output_vanished`) if it vanishes after. The decision depends only on
the state and what the chain says now, so running the job twice, or after a missed run,
gives the same events: a credited output is never credited again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from events import Event, Money
from events.coins import (
    Coin,
    CoinAddressOpened,
    CreditedOutputVanished,
    DepositExpected,
    OutputCredited,
    OutputDropped,
    OutputMined,
    OutputSeen,
    Rate,
    WatchEnded,
)
from functions.domain.decider import Decider

OutputState = Literal["seen", "credited", "dropped", "vanished"]
SATS_PER_COIN = 10**8
EXPECT_STEP = timedelta(hours=1)


def stream_of(coin: Coin, account: str, index: int) -> str:
    return f"coinaddress-{coin.lower()}-{account}-{index}"


def payment_id_of(coin: Coin, txid: str, vout: int) -> str:
    """The payment an output credits through: one per output, whoever sees it and when."""
    return hashlib.sha256(f"coin:{coin}:{txid}:{vout}".encode()).hexdigest()[:12]


def value_of(amount: Money, rate: Rate) -> Money:
    """floor(base units * minor units per coin / 10^8): never more than arrived."""
    return Money(
        amount=amount.amount * rate.minor_per_coin // SATS_PER_COIN, currency=rate.currency
    )


@dataclass(frozen=True)
class Output:
    txid: str
    vout: int
    amount: Money
    value: Money
    dust: bool
    state: OutputState = "seen"
    block_height: int | None = None
    block_hash: str | None = None
    rate: Rate | None = None  # what `value` was priced at, on first sight

    @property
    def key(self) -> str:
        return f"{self.txid}:{self.vout}"

    def confirmations(self, tip: int) -> int:
        return 0 if self.block_height is None else max(0, tip - self.block_height + 1)


@dataclass(frozen=True)
class Address:
    opened: bool = False
    coin: Coin = "BTC"
    account: str = ""
    index: int = 0
    user_id: int = 0
    address: str = ""
    expect_until: datetime | None = None
    watching: bool = False
    outputs: dict[str, Output] = field(default_factory=dict)


@dataclass(frozen=True)
class Open:
    coin: Coin
    account: str
    index: int
    user_id: int
    address: str


@dataclass(frozen=True)
class Expect:
    until: datetime


@dataclass(frozen=True)
class ChainOutput:
    """An output paying our address, as the chain lists it now (block None: mempool)."""

    txid: str
    vout: int
    amount: int
    block_height: int | None = None
    block_hash: str | None = None

    @property
    def key(self) -> str:
        return f"{self.txid}:{self.vout}"


@dataclass(frozen=True)
class Policy:
    confirmations: int  # needed to credit
    minimum: int  # base units; less is dust
    settle_depth: int  # further blocks a credited output is watched


@dataclass(frozen=True)
class Observe:
    """What the chain says this run: every output it lists to the address, the txids we know
    that it no longer has at all (404), its tip, and the rate to price new outputs (None
    when no fresh rate is recorded: new outputs then wait for the next run)."""

    outputs: tuple[ChainOutput, ...]
    gone: frozenset[str]
    tip: int
    now: datetime
    rate: Rate | None
    policy: Policy


Command = Open | Expect | Observe


def decide(state: Address, command: Command) -> Sequence[Event]:
    match command:
        case Open():
            return [] if state.opened else [CoinAddressOpened(**vars(command))]
        case Expect():
            # Within the hour of what is recorded: asking again writes nothing.
            known = state.expect_until
            if known is not None and command.until <= known + EXPECT_STEP:
                return []
            return [DepositExpected(until=command.until)]
        case Observe():
            return _observe(state, command)


def _observe(state: Address, seen: Observe) -> list[Event]:
    events: list[Event] = []

    def add(event: Event) -> None:
        nonlocal state
        events.append(event)
        state = evolve(state, event)

    for listed in seen.outputs:
        if listed.key not in state.outputs and seen.rate is not None:
            add(_first_sight(state, listed, seen.rate, seen.policy.minimum))
    listing = {o.key: o for o in seen.outputs}
    for output in list(state.outputs.values()):
        for event in _step(state, output, listing.get(output.key), seen):
            add(event)
    if state.watching and _settled(state, seen):
        add(WatchEnded())
    return events


def _first_sight(state: Address, listed: ChainOutput, rate: Rate, minimum: int) -> OutputSeen:
    amount = Money(amount=listed.amount, currency=state.coin)
    value = value_of(amount, rate)
    return OutputSeen(
        txid=listed.txid,
        vout=listed.vout,
        user_id=state.user_id,
        amount=amount,
        rate=rate,
        value=value,
        dust=listed.amount < minimum or not value.is_positive(),
        block_height=listed.block_height,
        block_hash=listed.block_hash,
    )


def _step(state: Address, output: Output, listed: ChainOutput | None, seen: Observe) -> list[Event]:
    if output.dust:
        return []
    payment_id = payment_id_of(state.coin, output.txid, output.vout)
    if listed is None:
        if output.txid not in seen.gone:
            return []  # not listed, not known gone (paging stopped short): ask next run
        if output.state == "seen":
            return [
                OutputDropped(
                    txid=output.txid,
                    vout=output.vout,
                    payment_id=payment_id,
                    user_id=state.user_id,
                    value=output.value,
                    reason="transaction left the chain before crediting",
                )
            ]
        if output.state == "credited":
            return [
                CreditedOutputVanished(
                    txid=output.txid,
                    vout=output.vout,
                    payment_id=payment_id,
                    user_id=state.user_id,
                    value=output.value,
                )
            ]
        return []
    events: list[Event] = []
    moved = (listed.block_height, listed.block_hash) != (output.block_height, output.block_hash)
    if moved or output.state in {"dropped", "vanished"}:
        events.append(
            OutputMined(
                txid=output.txid,
                vout=output.vout,
                block_height=listed.block_height,
                block_hash=listed.block_hash,
            )
        )
    now = replace(output, block_height=listed.block_height, block_hash=listed.block_hash)
    ready = now.confirmations(seen.tip) >= seen.policy.confirmations > 0
    if output.state in {"seen", "dropped"} and ready:
        events.append(
            OutputCredited(
                txid=output.txid,
                vout=output.vout,
                payment_id=payment_id,
                user_id=state.user_id,
                value=output.value,
                confirmations=now.confirmations(seen.tip),
                amount=output.amount,
                rate=output.rate,
            )
        )
    return events  # fmt: skip


def _settled(state: Address, seen: Observe) -> bool:
    """Nothing expected any more, and no output that may still change what we owe."""
    if state.expect_until is not None and state.expect_until > seen.now:
        return False
    deep = seen.policy.confirmations + seen.policy.settle_depth
    for output in state.outputs.values():
        if output.dust or output.state in {"dropped", "vanished"}:
            continue
        if output.state == "seen" or output.confirmations(seen.tip) < deep:
            return False
    return True


def evolve(state: Address, event: Event) -> Address:
    match event:
        case CoinAddressOpened():
            return Address(True, event.coin, event.account, event.index, event.user_id,
                           event.address)  # fmt: skip
        case DepositExpected():
            return replace(state, expect_until=event.until, watching=True)
        case OutputSeen():
            output = Output(
                event.txid, event.vout, event.amount, event.value, event.dust,
                block_height=event.block_height, block_hash=event.block_hash, rate=event.rate,
            )  # fmt: skip
            return _with(replace(state, watching=True), output)
        case OutputMined():
            return _changed(state, event.txid, event.vout, _mined(event))
        case OutputCredited():
            return _changed(state, event.txid, event.vout, lambda o: replace(o, state="credited"))
        case OutputDropped():
            return _changed(state, event.txid, event.vout, _dropped)
        case CreditedOutputVanished():
            return _changed(state, event.txid, event.vout, lambda o: replace(o, state="vanished"))
        case WatchEnded():
            return replace(state, watching=False)
        case _:
            return state


def _mined(event: OutputMined) -> Callable[[Output], Output]:
    def step(output: Output) -> Output:
        # Back on chain: a dropped output may be credited again, a vanished one is credited.
        back: OutputState = output.state
        if output.state in {"dropped", "vanished"}:
            back = "seen" if output.state == "dropped" else "credited"
        return replace(output, state=back, block_height=event.block_height,
                       block_hash=event.block_hash)  # fmt: skip

    return step


def _dropped(output: Output) -> Output:
    return replace(output, state="dropped", block_height=None, block_hash=None)


def _with(state: Address, output: Output) -> Address:
    return replace(state, outputs={**state.outputs, output.key: output})


def _changed(state: Address, txid: str, vout: int, change: Callable[[Output], Output]) -> Address:
    found = state.outputs.get(f"{txid}:{vout}")
    if found is None:
        return state
    return replace(_with(state, change(found)), watching=True)


addresses: Decider[Address, Command] = Decider(initial=Address(), evolve=evolve, decide=decide)
