"""What a bounded context declares: the one place a domain says what it brings to Soko.

A context lists its stream categories, read models, reactors (and which of them the webhook
runs inline, right after a command), notification rules, scheduled jobs, Telegram routes,
settings and the functions that serve them. Everything that spans contexts (the topic list,
the memory wiring, the deployed topology, the notify rules, the job table) is derived from
the list in `functions/contexts/__init__.py`, so adding a domain is one module plus one line.

Declarations only: importing a context loads no projection, reactor, rule or handler, and
never an adapter. Its members are `Lazy` references (`Member`), imported when an entry point
first needs them: a subscriber resolves only its own read models and reactors, the notify
function only the rules of the event at hand, the webhook only the handler of its route. The
registry resolves them all for the topology, the memory wiring and the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, cast

from functions.lazy import Lazy
from functions.runtime.env_settings import EnvSettings

if TYPE_CHECKING:
    from functions.notifications.notice import Facts, Notice
    from functions.projections.base import Projection
    from functions.reactors.base import Reactor
    from functions.telegram.routes import Route

__all__ = [
    "BoundedContext",
    "Function",
    "Job",
    "Lazy",
    "Member",
    "Rule",
    "Rules",
    "Subscriber",
    "projection",
    "projections",
    "reactor",
    "reactors",
    "resolve",
    "rule",
]
T = TypeVar("T")
# A context's member: the value itself (tests build small contexts so), or a reference to
# it or to a tuple of them, imported when first needed.
Member = Union[T, Lazy[T], Lazy[tuple[T, ...]]]  # noqa: UP007 - a generic alias of a union
Rule = Callable[[Any, "Facts"], "list[Notice]"]
Rules = Mapping[str, tuple[Member[Rule], ...]]


@cache
def _resolved(member: object) -> tuple[object, ...]:
    value = member.resolve() if isinstance(member, Lazy) else member
    return value if isinstance(value, tuple) else (value,)


def projection(module: str, name: str) -> Lazy[Projection]:
    return Lazy(module, name)


def projections(module: str, name: str) -> Lazy[tuple[Projection, ...]]:
    return Lazy(module, name)


def reactor(module: str, name: str, call: bool = False) -> Lazy[Reactor]:
    """A reactor in `module`, or with `call` one a function there makes (from settings)."""
    return Lazy(module, name, call)


def reactors(module: str, name: str, call: bool = False) -> Lazy[tuple[Reactor, ...]]:
    return Lazy(module, name, call)


def rule(module: str, name: str) -> Lazy[Rule]:
    return Lazy(module, name)


def resolve(members: Iterable[Member[T]]) -> tuple[T, ...]:
    """The values behind members, in order, each reference imported once per process."""
    return tuple(cast(T, value) for member in members for value in _resolved(member))


@dataclass(frozen=True)
class Function:
    """A deployed entry point of functions/main.py."""

    entry_point: str
    trigger: Literal["http", "pubsub", "scheduler"]
    memory_mb: int = 256
    timeout_s: int = 60
    min_instances: int = 0
    max_instances: int = 20
    concurrency: int = 1
    secrets: tuple[str, ...] = ()
    public: bool = False  # reachable without IAM (Telegram and providers cannot send tokens)
    # Least privilege: functions of one family share a service account, whose roles are the
    # union of what they need: Firestore always, and publishing to the topics of the stream
    # categories in `publishes` (a command's events, or the relay's: any category).
    family: str = "subscriber"
    publishes: tuple[str, ...] = ()
    # Starts, confirms or reconciles payments: the deployment mounts each enabled rail's
    # secrets and sets its settings here (infra/terraform_rails.py), and nowhere else.
    uses_rails: bool = False


@dataclass(frozen=True)
class Subscriber:
    """A Pub/Sub-pushed function: what one delivered event is given to, in this order."""

    function: Function
    projections: tuple[Member[Projection], ...] = ()
    reactors: tuple[Member[Reactor], ...] = ()
    # Turn events into Telegram messages by every context's rules (the notify function).
    notifies: bool = False
    # The subscription's name per topic; `{category}` stands for the topic's category. The
    # names are part of the deployment (renaming one recreates it, empty), so they are kept.
    subscription: str = ""

    @property
    def entry_point(self) -> str:
        return self.function.entry_point

    def subscription_name(self, category: str) -> str:
        pattern = self.subscription or self.entry_point.replace("_", "-")
        return pattern.format(category=category)


@dataclass(frozen=True)
class Job:
    """Scheduled work: POST {"job": name} to scheduled_job on `cron`; every job is idempotent."""

    name: str
    cron: str
    run: Lazy[Callable[..., dict[str, int]]]


@dataclass(frozen=True)
class BoundedContext:
    name: str
    # Stream categories it owns: one Pub/Sub topic each.
    categories: tuple[str, ...] = ()
    # Categories its Telegram commands append to (the webhook's publishing rights).
    commands_append_to: tuple[str, ...] = ()
    projections: tuple[Member[Projection], ...] = ()
    reactors: tuple[Member[Reactor], ...] = ()
    # Reactors the webhook runs in-process after a command, so the user's answer shows the
    # outcome (the item bought) instead of "wait"; their subscribers finish what is left.
    # Keyed by the category of the events they react to, so following a command imports
    # only the reactors of the events it wrote (a member may be listed under several).
    inline: Mapping[str, tuple[Member[Reactor], ...]] = field(default_factory=dict)
    rules: Rules = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()
    subscribers: tuple[Subscriber, ...] = ()
    # Other deployed functions it serves (webhooks, health).
    functions: tuple[Function, ...] = ()
    # Its Telegram commands, buttons, update kinds and questions (functions/telegram/routes.py):
    # the router's table is every context's routes.
    routes: tuple[Route, ...] = ()
    # Its own settings classes (SOKO_* variables), read once per instance by
    # Runtime.settings_of; core settings stay in functions/runtime/settings.py.
    settings: tuple[type[EnvSettings], ...] = ()
    # Secrets its Telegram routes read, as Settings-style names (`referrals_secret`, mounted
    # at SOKO_REFERRALS_SECRET): the webhook mounts them. Its subscribers name their own in
    # their Function's `secrets`; each gets a Secret Manager secret (infra/deployment.py).
    route_secrets: tuple[str, ...] = ()
