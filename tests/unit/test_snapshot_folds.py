"""A snapshot never changes what is decided: for every decider, the state restored from a
snapshot at any point of a history, folded on with the rest, is the state of the full fold.

Histories come from each decider's own commands (its `Decider[State, Command]` annotation),
drawn from small alphabets of ids, amounts and times so that commands meet each other
(a payment that is reported, an order that is paid) instead of being refused one by one.
Deciders that do not keep snapshots are checked too, with the codec they would get."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, ValidationError

import functions.domain
from events import Event, Money
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import Snapshots

pytestmark = pytest.mark.unit

TEXTS = st.sampled_from(["a", "b", "abc", "en", "sw", "wallet", "mpesa", "stars", "sub-x"])
INTS = st.sampled_from([-1, 0, 1, 2, 3, 7, 10])
AMOUNTS = st.sampled_from([0, 1, 50, 100, 250, 1000])
CURRENCIES = st.sampled_from(["KES", "USD"])
START = datetime(2026, 1, 1, tzinfo=UTC)
TIMES = st.sampled_from([START + timedelta(minutes=m) for m in (0, 5, 20, 90, 60 * 24)])


def _deciders() -> list[tuple[str, Decider[Any, Any], Any]]:
    """Every module-level decider of functions/domain with its command type."""
    found = []
    for info in pkgutil.iter_modules(functions.domain.__path__):
        module = importlib.import_module(f"functions.domain.{info.name}")
        annotations = vars(module).get("__annotations__", {})
        for name, value in vars(module).items():
            if isinstance(value, Decider) and name in annotations:
                hint = eval(annotations[name], vars(module))  # noqa: S307 - our own source
                found.append((f"{info.name}.{name}", value, typing.get_args(hint)[1]))
    return found


DECIDERS = _deciders()


def strategy(hint: Any) -> st.SearchStrategy[Any]:
    """Values of a type hint from the small alphabets above."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([strategy(a) for a in args])
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple:
        return st.lists(strategy(args[0]), max_size=3).map(tuple)
    if origin is frozenset:
        return st.frozensets(strategy(args[0]), max_size=3)
    if origin in (dict, Mapping):
        return st.dictionaries(strategy(args[0]), strategy(args[1]), max_size=2)
    if hint is type(None):
        return st.none()
    if hint is Money:
        return st.builds(lambda a, c: Money(amount=a, currency=c), AMOUNTS, CURRENCIES)
    if hint is bool:
        return st.booleans()
    if hint is int:
        return INTS
    if hint is str:
        return TEXTS
    if hint is datetime or hint is AwareDatetime:
        return TIMES
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        # A model's `currency` is a currency code (a Rate's), as Money's is.
        fields = {
            n: CURRENCIES if n == "currency" else strategy(f.annotation)
            for n, f in hint.model_fields.items()
        }
        return _valid(hint, fields)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint)
        fields = {f.name: strategy(hints[f.name]) for f in dataclasses.fields(hint) if f.init}
        return _valid(hint, fields)
    raise TypeError(f"no strategy for {hint!r}")


def _valid(cls: Any, fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    def build(values: dict[str, Any]) -> Any:
        try:
            return cls(**values)
        except (ValidationError, ValueError):
            return None

    return st.fixed_dictionaries(fields).map(build).filter(lambda v: v is not None)


def history(decider: Decider[Any, Any], commands: list[Any]) -> list[Event]:
    """The events of the commands the decider accepted, in order."""
    state, events = decider.initial, []
    for command in commands:
        try:
            new = decider.decide(state, command)
        # A refusal, an event our alphabet cannot fill, or a precondition a caller guarantees
        # (OpenRepeat's parent is the payment it repeats): none of them is a history.
        except (DomainError, ValidationError, AssertionError):
            continue
        for event in new:
            state = decider.evolve(state, event)
        events += new
    return events


def codec_of(decider: Decider[Any, Any]) -> Snapshots[Any]:
    return decider.snapshots or Snapshots(type(decider.initial), decider.evolve)


def test_every_decider_is_found_with_its_commands() -> None:
    names = {name for name, _, _ in DECIDERS}
    assert {"wallet.wallets", "payments.payments", "orders.orders", "lots.lots"} <= names
    assert {"users.users", "products.products", "deadletters.deadletters"} <= names


@pytest.mark.parametrize(("name", "decider", "command"), DECIDERS, ids=[d[0] for d in DECIDERS])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_snapshot_at_any_cut_plus_the_tail_is_the_full_fold(
    name: str, decider: Decider[Any, Any], command: Any, data: st.DataObject
) -> None:
    commands = data.draw(st.lists(strategy(command), max_size=20), label="commands")
    events = history(decider, commands)
    cut = data.draw(st.integers(0, len(events)), label="cut")
    codec = codec_of(decider)
    text = codec.dump(decider.fold(events[:cut]))
    restored = codec.load(text)
    assert restored == decider.fold(events[:cut])
    assert codec.dump(restored) == text  # the text is canonical: a snapshot of a snapshot
    state = restored
    for event in events[cut:]:
        state = decider.evolve(state, event)
    assert state == decider.fold(events)


@pytest.mark.parametrize(("name", "decider", "command"), DECIDERS, ids=[d[0] for d in DECIDERS])
def test_histories_are_not_all_refusals(
    name: str, decider: Decider[Any, Any], command: Any
) -> None:
    """The alphabets are small enough that commands build on each other (a guard on the
    property above: histories of refusals only would prove nothing). Derandomised: a guard
    must give the same answer every run, and some alphabets (products) reach three accepted
    commands in only a few of a hundred random lists."""
    longest = 0

    @settings(
        max_examples=200, deadline=None, database=None, phases=[Phase.generate], derandomize=True
    )
    @given(commands=st.lists(strategy(command), max_size=20))
    def longest_history(commands: list[Any]) -> None:
        nonlocal longest
        longest = max(longest, len(history(decider, commands)))

    longest_history()
    assert longest >= 3


def test_the_wallets_seen_references_survive_a_long_history() -> None:
    """The linked list is stored flat: ten thousand references neither overflow the JSON
    encoder's recursion nor come back in another order."""
    from events.wallet import WalletCredited, WalletOpened
    from functions.domain.wallet import wallets

    kes = Money(amount=1, currency="KES")
    events: list[Event] = [WalletOpened(user_id=1)]
    events += [
        WalletCredited(user_id=1, amount=kes, reason="d", reference=f"r{n}") for n in range(10_000)
    ]
    state = wallets.fold(events)
    assert wallets.snapshots is not None
    restored = wallets.snapshots.load(wallets.snapshots.dump(state))
    assert restored.balance("KES") == Money(amount=10_000, currency="KES")
    assert restored.has_moved("r0")
    assert restored.has_moved("r9999")
    assert not restored.has_moved("r10000")
    assert restored.references is not None
    assert restored.references[0] == "r9999"
