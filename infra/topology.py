"""Soko's topology, declared once: functions, triggers, topics, subscriptions, schedules.

The local stack is built from it, the Terraform and Cloud Build steps are generated from or
checked against it, and tests fail when any of them drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from functions.notifications.rules import RULES
from functions.reactors.base import Reactor
from functions.reactors.checkout import CHECKOUT
from functions.reactors.credit_deposit import credit_deposit
from functions.reactors.debit_refund import debit_refund
from functions.reactors.open_wallet import open_wallet
from functions.runtime.topics import CATEGORIES, topic_of_category


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
    event_topics: tuple[str, ...] = field(
        default_factory=lambda: tuple(topic_of_category(c) for c in CATEGORIES)
    )

    @property
    def topics(self) -> tuple[str, ...]:
        """Event topics and every subscription's dead-letter topic."""
        dead = (s.dead_letter_topic for s in self.subscriptions)
        return self.event_topics + tuple(t for t in dead if t is not None)

    def function(self, entry_point: str) -> Function:
        return next(f for f in self.functions if f.entry_point == entry_point)


def reacting(name: str, reactor: Reactor, function: str) -> Subscription:
    """A reactor's subscription, delivering only the event types it reacts to."""
    topic = topic_of_category(reactor.category)
    return Subscription(name, topic, function, types=reactor.reacts_to)


def notifying(category: str) -> Subscription:
    """notify's subscription to one category, delivering only the types a rule reads."""
    types = frozenset(t for t in RULES if t.split(".", 1)[0] == category)
    return Subscription(f"notify-{category}s", topic_of_category(category), "notify", types=types)


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


# Categories of streams in the event store: all but the health check's heartbeat.
STORED = tuple(c for c in CATEGORIES if c != "health")

TOPOLOGY = Topology(
    functions=(
        Function(
            "telegram_webhook",
            "http",
            memory_mb=512,
            min_instances=1,  # Telegram users feel a cold start; one warm instance is cheap
            concurrency=8,
            secrets=("bot_token", "webhook_secret"),
            public=True,
            family="webhook",
            # The streams its commands append to (payment: Stars deposits and refunds).
            publishes=("user", "wallet", "payment", "product", "lot", "order"),
        ),
        Function("project_balances", "pubsub", concurrency=4),
        Function("open_wallets", "pubsub", concurrency=4, family="reactor", publishes=("wallet",)),
        Function(
            "payment_webhook",
            "http",
            concurrency=8,
            public=True,  # providers cannot send Google identity tokens
            family="payments",
            publishes=("payment",),
        ),
        Function(
            "credit_deposits", "pubsub", concurrency=4, family="reactor", publishes=("wallet",)
        ),
        Function("debit_refunds", "pubsub", concurrency=4, family="reactor", publishes=("wallet",)),
        Function("project_payments", "pubsub", concurrency=4),
        Function("project_shop", "pubsub", concurrency=8),
        Function(
            "run_checkout",
            "pubsub",
            concurrency=8,
            family="reactor",
            publishes=("wallet", "lot", "order"),
        ),
        Function(
            "scheduled_job",
            "scheduler",
            timeout_s=300,
            max_instances=2,
            secrets=("scheduler_secret",),
            family="jobs",
            publishes=STORED,  # the relay republishes any stored stream
        ),
        # Store and bus reachability, relay backlog. IAM-protected: it reveals the backlog.
        Function("health", "http", max_instances=2, family="ops", publishes=("health",)),
        # Records poisoned messages as events (stream deadletter-<subscription>).
        Function("dead_letter", "pubsub", max_instances=2, family="ops", publishes=("deadletter",)),
        # Telegram messages to users and admins. Each instance paces itself at
        # PER_PROCESS_PER_SECOND (5/s, functions/notifications/sender.py) and nothing
        # coordinates instances, so max_instances x 5 must stay under Telegram's ~30/s per
        # bot: 5 x 5 = 25 (tests/functions/test_notifications.py checks the product).
        # One request at a time, so the per-process pacing is the instance's pacing.
        Function(
            "notify",
            "pubsub",
            max_instances=5,
            concurrency=1,
            secrets=("bot_token",),
            family="notify",
            publishes=("user",),  # a user who blocked the bot
        ),
    ),
    subscriptions=with_dead_letters(
        (
            Subscription("project-balances", topic_of_category("wallet"), "project_balances"),
            reacting("open-wallets", open_wallet, "open_wallets"),
            reacting("credit-deposits", credit_deposit, "credit_deposits"),
            reacting("debit-refunds", debit_refund, "debit_refunds"),
            Subscription("project-payments", topic_of_category("payment"), "project_payments"),
            *(notifying(c) for c in ("payment", "wallet", "order")),
            *(
                Subscription(f"project-{c}s", topic_of_category(c), "project_shop")
                for c in ("product", "lot", "order")
            ),
            *(reacting(f"checkout-{r.category}", r, "run_checkout") for r in CHECKOUT),
        )
    ),
    schedules=(
        Schedule("relay", "* * * * *"),
        Schedule("expire-payments", "* * * * *"),
        Schedule("expire-reservations", "* * * * *"),
        Schedule("reconcile-payments", "*/5 * * * *"),
    ),
)
