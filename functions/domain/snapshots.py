"""Aggregate states as JSON text, exact and typed, and the fingerprint of the fold behind them.

A snapshot is only as good as the `evolve` that produced it: a state folded by last week's
code is wrong state under this week's. So every snapshot is stored with `Snapshots.fold`, a
hash of the state's shape (its field types, recursively) and of the code of the module that
defines `evolve` (every function's bytecode and constants, not line numbers or comments),
plus an explicit `revision` to bump when evolve's behaviour changes through code outside its
module. A snapshot whose fold differs is ignored and the stream is folded from the start.
Any edit to the decider's module invalidates, including ones that could not matter (decide):
that costs one full fold per stream, never a wrong state.

The codec follows the state's type hints, so what is read back is the value that was written:
bool, int, str, Literal, datetime, X | None, tuple[X, ...], frozenset[X], dict[str, X],
frozen dataclasses, pydantic models (Money, ProductDetails, …) and the wallet's linked list
of seen references (`tuple[X, "Seen"] | None`, stored flat, newest first).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

S = TypeVar("S")


class SnapshotUnreadable(ValueError):
    """Stored state that does not fit the state's type: ignore it and fold the stream."""


@dataclasses.dataclass(frozen=True)
class Snapshots(Generic[S]):
    """How one decider's state is kept with its stream's head (functions/runtime/pipeline)."""

    state_type: type[S]
    evolve: Callable[..., Any]
    revision: int = 1

    @cached_property
    def fold(self) -> str:
        """Names the fold that produces these states; a change to it invalidates snapshots."""
        digest = hashlib.sha256(f"revision {self.revision}\n".encode())
        digest.update(_shape(self.state_type, set()).encode())
        module = sys.modules[self.evolve.__module__]
        for name, value in sorted(vars(module).items()):
            if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
                digest.update(f"def {name}\n".encode())
                _hash_code(digest, value.__code__)
        return f"{self.state_type.__name__.lower()}:{digest.hexdigest()[:16]}"

    def dump(self, state: S) -> str:
        return json.dumps(_dump(state, self.state_type), separators=(",", ":"))

    def load(self, text: str) -> S:
        try:
            value: S = _load(json.loads(text), self.state_type)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise SnapshotUnreadable(str(err)) from err
        return value


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_linked_list(hint: Any) -> bool:
    """`tuple[X, "Self"]`: a cons cell whose rest is a forward reference to its own alias."""
    args = typing.get_args(hint)
    is_pair = typing.get_origin(hint) is tuple and len(args) == 2
    return is_pair and isinstance(args[1], typing.ForwardRef)


Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _dump(value: Any, hint: Any) -> Any:
    return _dumper(hint)(value)


def _load(data: Any, hint: Any) -> Any:
    return _loader(hint)(data)


@functools.cache
def _dumper(hint: Any) -> Convert:
    """The function that turns a value of `hint` into JSON data, built once per type: a
    wallet's ten thousand references are then one loop, not ten thousand type dispatches."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = _dumper(next(a for a in args if a is not type(None)))
        return lambda value: None if value is None else inner(value)
    if _is_linked_list(hint):
        item = _dumper(args[0])

        def flat(value: Any) -> list[Any]:
            items = []
            while value is not None:
                items.append(value[0])
                value = value[1]
            return items if item is _same else [item(v) for v in items]

        return flat
    if origin is tuple:
        item = _dumper(args[0])
        return lambda value: [item(v) for v in value]
    if origin is frozenset:
        item = _dumper(args[0])
        return lambda value: sorted(item(v) for v in value)
    if origin in (dict, Mapping, typing.Mapping):
        item = _dumper(args[1])
        return lambda value: {str(k): item(v) for k, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return lambda value: value.model_dump(mode="json")
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = _hints(hint)
        fields = [(f.name, _dumper(hints[f.name])) for f in _fields(hint)]
        return lambda value: {name: dump(getattr(value, name)) for name, dump in fields}
    if hint is datetime:
        return lambda value: value.isoformat()
    return _same  # bool, int, str, Literal: JSON keeps them as they are


@functools.cache
def _loader(hint: Any) -> Convert:
    """The inverse of `_dumper(hint)`, refusing data of another shape."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = _loader(next(a for a in args if a is not type(None)))
        return lambda data: None if data is None else inner(data)
    if _is_linked_list(hint):
        item = _loader(args[0])

        def cells(data: list[Any]) -> Any:
            linked: Any = None
            for value in reversed(_items(item, data)):
                linked = (value, linked)
            return linked

        return cells
    if origin is tuple:
        item = _loader(args[0])
        return lambda data: tuple(item(v) for v in _list(data))
    if origin is frozenset:
        item = _loader(args[0])
        return lambda data: frozenset(item(v) for v in _list(data))
    if origin in (dict, Mapping, typing.Mapping):
        key = int if args[0] is int else _loader(args[0])
        item = _loader(args[1])
        return lambda data: {key(k): item(v) for k, v in data.items()}
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return hint.model_validate
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = _hints(hint)
        fields = [(f.name, _loader(hints[f.name]), _has_default(f)) for f in _fields(hint)]
        build: Callable[..., Any] = hint
        # A field added since the text was written reads as its default (a read model's
        # stored fold stays readable); one without a default fails, as a KeyError.
        return lambda data: build(
            **{name: load(data[name]) for name, load, optional in fields
               if not optional or name in data}
        )  # fmt: skip
    if hint is datetime:
        return datetime.fromisoformat
    if typing.get_origin(hint) is typing.Literal:
        return functools.partial(_one_of, args)
    if hint in (bool, int, str):
        return functools.partial(_typed, hint)
    raise TypeError(f"no snapshot codec for {hint!r}")


def _items(item: Convert, data: Any) -> list[Any]:
    """Every element loaded; scalars are checked in one pass (no call per element)."""
    kind = _scalar_kind(item)
    if kind is None:
        return [item(v) for v in _list(data)]
    if not all(type(v) is kind for v in _list(data)):
        raise TypeError(f"not every element is a {kind.__name__}")
    return data  # type: ignore[no-any-return]


def _scalar_kind(item: Convert) -> type | None:
    if isinstance(item, functools.partial) and item.func is _typed:
        kind: type = item.args[0]
        return kind
    return None


def _list(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise TypeError(f"{data!r} is not a list")
    return data


def _one_of(allowed: tuple[Any, ...], data: Any) -> Any:
    if data not in allowed:
        raise ValueError(f"{data!r} is not one of {allowed}")
    return data


def _typed(kind: type, data: Any) -> Any:
    """A scalar of exactly the hinted type, so a snapshot of another shape is refused."""
    if type(data) is not kind:
        raise TypeError(f"{data!r} is not a {kind.__name__}")
    return data


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _fields(cls: Any) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


def _shape(hint: Any, seen: set[Any]) -> str:
    """The type tree of a state, as text: a new, renamed or retyped field changes it."""
    if isinstance(hint, type) and hint in seen:
        return hint.__qualname__
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        seen.add(hint)
        hints = _hints(hint)
        inner = ",".join(f"{f.name}:{_shape(hints[f.name], seen)}" for f in _fields(hint))
        return f"{hint.__qualname__}({inner})"
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        seen.add(hint)
        inner = ",".join(
            f"{name}:{_shape(field.annotation, seen)}" for name, field in hint.model_fields.items()
        )
        return f"{hint.__qualname__}({inner})"
    if isinstance(hint, typing.ForwardRef):
        return hint.__forward_arg__
    args = typing.get_args(hint)
    if args:
        origin = typing.get_origin(hint)
        return f"{getattr(origin, '__name__', origin)}[{','.join(_shape(a, seen) for a in args)}]"
    return getattr(hint, "__qualname__", repr(hint))


def _hash_code(digest: Any, code: types.CodeType) -> None:
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _hash_code(digest, const)
        elif isinstance(const, frozenset):  # iteration order varies with the hash seed
            digest.update(repr(sorted(map(repr, const))).encode())
        else:
            digest.update(repr(const).encode())
