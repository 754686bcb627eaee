"""Soko's topology: functions, triggers, topics, subscriptions, schedules.

Derived from the bounded contexts (functions/contexts/): each context's functions and
subscribers become deployed functions, each subscriber one push subscription per topic it
reads, each job a schedule; only the two edges every context shares (the Telegram webhook
and the scheduler's endpoint) are declared here. The local stack is built from it, the
Terraform and Cloud Build steps are generated from or checked against it, and tests fail
when any of them drift.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.contexts import REGISTRY, Registry
from functions.contexts.base import Function, Subscriber, resolve
from functions.runtime.topics import topic_of_category

__all__ = ["STORED", "TOPOLOGY", "Function", "Schedule", "Subscription", "Topology"]


@dataclass(frozen=True)
class Subscription:
    """A push subscription delivering a topic's events to a subscriber function."""

    name: str
    topic: str
    function: str
    max_delivery_attempts: int = 5
    ack_deadline_s: int = 60
    ordered: bool = True
    # False only for the subscriptions that drain dead-letter topics: no dead letters of
    # dead letters; what the dead_letter function cannot record stays for 7 days.
    dead_letter: bool = True
    # The event types the function acts on, when it ignores the rest: Pub/Sub then pushes
    # only these (every message carries a `type` attribute), saving an invocation for each
    # event it would have decided to ignore. Empty: every message (projections need all).
    types: frozenset[str] = frozenset()

    @property
    def dead_letter_topic(self) -> str | None:
        return f"{self.name}-dead" if self.dead_letter else None

    @property
    def filter(self) -> str:
        """The Pub/Sub filter expression ("" for none); at most 256 bytes, checked by a test."""
        return " OR ".join(f'attributes.type = "{t}"' for t in sorted(self.types))


@dataclass(frozen=True)
class Schedule:
    """A Cloud Scheduler job POSTing {"job": name} to scheduled_job."""

    job: str
    cron: str
    function: str = "scheduled_job"


@dataclass(frozen=True)
class Topology:
    functions: tuple[Function, ...]
    subscriptions: tuple[Subscription, ...]
    schedules: tuple[Schedule, ...]
    event_topics: tuple[str, ...]

    @property
    def topics(self) -> tuple[str, ...]:
        """Event topics and every subscription's dead-letter topic."""
        dead = (s.dead_letter_topic for s in self.subscriptions)
        return self.event_topics + tuple(t for t in dead if t is not None)

    def function(self, entry_point: str) -> Function:
        return next(f for f in self.functions if f.entry_point == entry_point)


def subscriptions_of(subscriber: Subscriber, registry: Registry) -> tuple[Subscription, ...]:
    """One subscription per category the subscriber reads, delivering only the event types
    it acts on when it ignores the rest (projections need every event of their streams)."""
    wanted: dict[str, set[str] | None] = {}  # category -> types, None: all of them
    for projection in resolve(subscriber.projections):
        wanted[projection.category] = None
    reads = [(r.category, r.reacts_to) for r in resolve(subscriber.reactors)]
    if subscriber.notifies:
        reads += [(t.split(".", 1)[0], frozenset({t})) for t in registry.rules]
    for category, types in reads:
        chosen = wanted.setdefault(category, set())
        if chosen is not None:
            chosen.update(types)
    return tuple(
        Subscription(
            subscriber.subscription_name(category),
            topic_of_category(category),
            subscriber.entry_point,
            types=_filterable(frozenset(wanted[category] or ())),
        )
        for category in registry.categories  # a stable order: the contexts' own
        if category in wanted
    )


# Pub/Sub refuses a filter longer than this.
MAX_FILTER_BYTES = 256


def _filterable(types: frozenset[str]) -> frozenset[str]:
    """The types, or none (every message) when their filter would not fit Pub/Sub's limit:
    the function ignores what it does not act on (notify asks its rule table, reactors
    their event types), so an unfiltered subscription costs invocations, never behaviour."""
    expression = Subscription("", "", "", types=types).filter
    return types if len(expression.encode()) <= MAX_FILTER_BYTES else frozenset()


def with_dead_letters(subscriptions: tuple[Subscription, ...]) -> tuple[Subscription, ...]:
    """Each subscription plus one draining its dead-letter topic into `dead_letter`."""
    drains = tuple(
        Subscription(
            f"{s.name}-dead-letters",
            f"{s.name}-dead",
            "dead_letter",
            ordered=False,
            dead_letter=False,
        )
        for s in subscriptions
        if s.dead_letter
    )
    return subscriptions + drains


def stored(registry: Registry) -> tuple[str, ...]:
    """Categories of streams in the event store: all but the health check's heartbeat."""
    return tuple(c for c in registry.categories if c != "health")


def edges(registry: Registry) -> tuple[Function, ...]:
    """The two entry points every context shares: Telegram's webhook and the scheduler's."""
    commands = (c for ctx in registry.contexts for c in ctx.commands_append_to)
    route_secrets = (s for ctx in registry.contexts for s in ctx.route_secrets)
    return (
        Function(
            "telegram_webhook",
            "http",
            memory_mb=512,
            min_instances=1,  # Telegram users feel a cold start; one warm instance is cheap
            concurrency=8,
            # Its own, and those the contexts' routes read (the referral codes' key).
            secrets=("bot_token", "webhook_secret", *dict.fromkeys(route_secrets)),
            public=True,
            family="webhook",
            publishes=tuple(dict.fromkeys(commands)),  # what the contexts' commands append to
            uses_rails=True,  # /deposit and the shop's Pay buttons start payments
        ),
        Function(
            "scheduled_job",
            "scheduler",
            timeout_s=300,
            max_instances=2,
            # bot_token: end-subscriptions removes expired subscribers through the Bot API.
            secrets=("scheduler_secret", "bot_token"),
            family="jobs",
            publishes=stored(registry),  # the relay republishes any stored stream
            uses_rails=True,  # reconcile-payments asks the rails about pending payments
        ),
    )


def topology_of(registry: Registry) -> Topology:
    """Functions, subscriptions, schedules and topics of a list of contexts."""
    subscriptions = tuple(
        sub for s in registry.subscribers for sub in subscriptions_of(s, registry)
    )
    return Topology(
        functions=(
            *edges(registry),
            *(f for ctx in registry.contexts for f in ctx.functions),
            *(s.function for s in registry.subscribers),
        ),
        subscriptions=with_dead_letters(subscriptions),
        schedules=tuple(Schedule(job.name, job.cron) for job in registry.jobs.values()),
        event_topics=tuple(topic_of_category(c) for c in registry.categories),
    )


STORED = stored(REGISTRY)
TOPOLOGY = topology_of(REGISTRY)
