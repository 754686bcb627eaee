"""The provider rails this code knows, and the ones this deployment can collect on.

Adding a rail is its package (or module) with a `SPEC` plus one line in `RAILS`; /deposit,
the shop's Pay buttons, the phone question, the payment webhook and the deployment's
secrets all read the specs (functions/providers/spec.py).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING

from functions.providers.base import Rail
from functions.providers.spec import AdapterFactory, RailSpec

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

# The modules whose `SPEC` is a provider rail, in the order /deposit offers them.
RAILS: tuple[str, ...] = (
    "functions.providers.mpesa",
    "functions.providers.pakasir",
    "functions.providers.nowpayments",
    "functions.providers.mtnmomo",
    "functions.providers.airtel",
    "functions.providers.flutterwave",
)


def specs() -> tuple[RailSpec, ...]:
    """Every registered rail's spec; importing them loads no provider code."""
    return _load(RAILS)


@cache
def _load(paths: tuple[str, ...]) -> tuple[RailSpec, ...]:
    loaded = tuple(_spec_of(path) for path in paths)
    names = [spec.name for spec in loaded]
    if len(set(names)) != len(names):
        raise ValueError(f"two registered rails share a name: {names}")
    return loaded


def _spec_of(path: str) -> RailSpec:
    spec = getattr(importlib.import_module(path), "SPEC", None)
    if not isinstance(spec, RailSpec) or spec.adapter is None:
        raise TypeError(f"{path}.SPEC is not a provider RailSpec")
    return spec


def spec_named(name: str) -> RailSpec | None:
    return next((spec for spec in specs() if spec.name == name), None)


def configured_rails(rt: Runtime) -> Mapping[str, Rail]:
    """Rails by name, for those whose settings are all present. Which ones that is comes
    from the specs alone; a rail's adapter (its module) is built on first use."""
    return _LazyRails(rt, {spec.name: spec for spec in specs() if spec.configured()})


def deployed_secrets() -> tuple[str, ...]:
    """Every registered rail's secrets, as infra/topology.py names a function's secrets
    (`mpesa_passkey` is mounted into SOKO_MPESA_PASSKEY): what the functions that start,
    confirm or reconcile payments need mounted."""
    return tuple(name for spec in specs() for name in spec.secret_names())


def adapter_factory(spec: RailSpec) -> AdapterFactory:
    """The function that builds the rail, imported from its "module:function" path."""
    if spec.adapter is None:
        raise TypeError(f"{spec.name} is not a provider rail")
    module, _, name = spec.adapter.partition(":")
    factory: AdapterFactory = getattr(importlib.import_module(module), name)
    return factory


class _LazyRails(Mapping[str, Rail]):
    """Configured rails whose adapters are built when first looked up: the bot asks which
    rails exist on every menu, and only a payment needs one rail's code."""

    def __init__(self, rt: Runtime, configured: Mapping[str, RailSpec]) -> None:
        self._rt = rt
        self._specs = configured
        self._built: dict[str, Rail] = {}
        self._lock = threading.Lock()  # the webhook serves requests on several threads

    def __getitem__(self, name: str) -> Rail:
        spec = self._specs[name]
        with self._lock:
            if name not in self._built:
                self._built[name] = adapter_factory(spec)(self._rt)
            return self._built[name]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"<configured rails {sorted(self._specs)}>"
