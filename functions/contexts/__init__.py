"""Soko's bounded contexts, listed once. A new domain is a module here plus one line below.

Everything that spans contexts is derived from a `Registry` of them: the stream categories
(one topic each), every read model and reactor (the memory wiring and the deployed
subscribers), the reactors the webhook follows inline, the notification rules, the
scheduled jobs, and, in infra/topology.py, the deployed functions, subscriptions and
schedules. `REGISTRY` is the derivation of `CONTEXTS`; tests derive others from other lists
(tests/example/kudos.py adds a context without touching this file).

Importing this package imports every context's declaration and none of its members (see
functions/contexts/base.py): an entry point finds what it serves here, then imports only
that. The properties below resolve every member, for the topology, the memory wiring and
the tests; entry points use `subscriber` and `rules_for`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from functions.contexts import (
    channels,
    circles,
    coins,
    notifications,
    ops,
    payments,
    referrals,
    shop,
    wallet,
)
from functions.contexts.base import (
    BoundedContext,
    Job,
    Lazy,
    Member,
    Rule,
    Subscriber,
    resolve,
)

if TYPE_CHECKING:
    from functions.projections.base import Projection
    from functions.reactors.base import Reactor
    from functions.telegram.routes import Route

T = TypeVar("T")

CONTEXTS: tuple[BoundedContext, ...] = (
    wallet.CONTEXT,
    payments.CONTEXT,
    shop.CONTEXT,
    notifications.CONTEXT,
    ops.CONTEXT,
    referrals.CONTEXT,
    coins.CONTEXT,
    channels.CONTEXT,
    circles.CONTEXT,
)


@dataclass(frozen=True)
class Registry:
    """What a list of contexts declares, put together."""

    contexts: tuple[BoundedContext, ...]

    def _all(self, pick: Callable[[BoundedContext], tuple[T, ...]]) -> tuple[T, ...]:
        return tuple(item for context in self.contexts for item in pick(context))

    def _merged(
        self, pick: Callable[[BoundedContext], Mapping[str, tuple[T, ...]]]
    ) -> dict[str, tuple[T, ...]]:
        """Every context's entries under each key, in context order."""
        merged: dict[str, tuple[T, ...]] = {}
        for context in self.contexts:
            for key, items in pick(context).items():
                merged[key] = merged.get(key, ()) + items
        return merged

    @cached_property
    def categories(self) -> tuple[str, ...]:
        return self._all(lambda c: c.categories)

    @cached_property
    def projections(self) -> tuple[Projection, ...]:
        return resolve(self._all(lambda c: c.projections))

    @cached_property
    def reactors(self) -> tuple[Reactor, ...]:
        return resolve(self._all(lambda c: c.reactors))

    @cached_property
    def _declared_inline(self) -> dict[str, tuple[Member[Reactor], ...]]:
        return self._merged(lambda c: c.inline)

    @cached_property
    def _inline_found(self) -> dict[str, tuple[Reactor, ...]]:
        return {}

    def inline_for(self, category: str) -> tuple[Reactor, ...]:
        """The inline reactors to events of `category`, their modules imported on first
        use: a /start follows the referral binding without loading the checkout saga."""
        found = self._inline_found.get(category)
        if found is None:
            members = self._declared_inline.get(category, ())
            found = tuple(r for r in resolve(members) if r.category == category)
            self._inline_found[category] = found
        return found

    @cached_property
    def inline(self) -> tuple[Reactor, ...]:
        """Every inline reactor (resolves them all: for checks, not for serving)."""
        return tuple(dict.fromkeys(r for c in self._declared_inline for r in self.inline_for(c)))

    @cached_property
    def subscribers(self) -> tuple[Subscriber, ...]:
        """Every subscriber as declared: `resolve` its members."""
        return self._all(lambda c: c.subscribers)

    @cached_property
    def routes(self) -> tuple[Route, ...]:
        """The Telegram router's table: every context's commands, buttons and questions."""
        return self._all(lambda c: c.routes)

    @cached_property
    def jobs(self) -> dict[str, Job]:
        return {job.name: job for job in self._all(lambda c: c.jobs)}

    @cached_property
    def _declared_rules(self) -> dict[str, tuple[Member[Rule], ...]]:
        return self._merged(lambda c: c.rules)

    @cached_property
    def rules(self) -> dict[str, tuple[Rule, ...]]:
        """Every context's rules per event type, in context order (one event may concern
        two contexts: a wallet credit is a deposit, or an order's money coming back)."""
        return {t: resolve(rules) for t, rules in self._declared_rules.items()}

    def wants(self, type_name: str) -> bool:
        """Whether any rule reads this event type, importing none."""
        return type_name in self._declared_rules

    def rules_for(self, type_name: str) -> tuple[Rule, ...]:
        """The rules of one event type, importing only theirs."""
        return resolve(self._declared_rules.get(type_name, ()))

    def subscriber(self, entry_point: str) -> Subscriber:
        """The subscriber a pushed function serves, as declared (nothing of it is imported
        until its members are resolved); LookupError names the known ones."""
        for candidate in self.subscribers:
            if candidate.entry_point == entry_point:
                return candidate
        known = ", ".join(s.entry_point for s in self.subscribers)
        raise LookupError(f"no subscriber {entry_point!r}; known: {known}")

    def problems(self) -> list[str]:
        """Anything declared twice, or read from a category no context owns; empty when the
        list is consistent (a unit test keeps it so)."""
        return self._twice() + self._unowned()

    def _twice(self) -> list[str]:
        declared = {
            "context": [c.name for c in self.contexts],
            "route": [
                f"{r.kind} {r.key}" + (" (caption)" if r.in_caption else "") for r in self.routes
            ],
            "category": list(self.categories),
            "projection": [p.name for p in self.projections],
            "reactor": [r.name for r in self.reactors],
            "job": [j.name for j in self._all(lambda c: c.jobs)],
            "function": [f.entry_point for f in self._all(lambda c: c.functions)]
            + [s.entry_point for s in self.subscribers],
        }
        return [
            f"{label} {name!r} is declared twice"
            for label, names in declared.items()
            for name in sorted(set(names))
            if names.count(name) > 1
        ]

    def _unowned(self) -> list[str]:
        owned = set(self.categories)
        read = [(f"projection {p.name}", p.category) for p in self.projections]
        read += [(f"reactor {r.name}", r.category) for r in self.reactors]
        read += [(f"rules for {t}", t.split(".", 1)[0]) for t in self.rules]
        found = [
            f"{what} reads {cat!r}, which no context owns" for what, cat in read if cat not in owned
        ]
        found += [
            f"inline {r.name} is not a reactor" for r in self.inline if r not in self.reactors
        ]
        found += [
            f"inline {member!r} is declared for {category!r} but reacts to none of it"
            for category, members in self._declared_inline.items()
            for member in members
            if not any(r.category == category for r in resolve((member,)))
        ]
        return found


REGISTRY = Registry(CONTEXTS)
CATEGORIES = REGISTRY.categories
JOBS = REGISTRY.jobs

__all__ = [
    "CATEGORIES",
    "CONTEXTS",
    "JOBS",
    "REGISTRY",
    "BoundedContext",
    "Lazy",
    "Member",
    "Registry",
]
