"""Soko's topology, declared once: functions, triggers, topics, subscriptions, schedules.

The local stack is built from it, the Terraform and Cloud Build steps are generated from or
checked against it, and tests fail when any of them drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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

    @property
    def dead_letter_topic(self) -> str | None:
        return f"{self.name}-dead" if self.dead_letter else None


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
            Subscription("open-wallets", topic_of_category("user"), "open_wallets"),
            Subscription("credit-deposits", topic_of_category("payment"), "credit_deposits"),
            Subscription("debit-refunds", topic_of_category("payment"), "debit_refunds"),
            Subscription("project-payments", topic_of_category("payment"), "project_payments"),
            Subscription("notify-payments", topic_of_category("payment"), "notify"),
            Subscription("notify-wallets", topic_of_category("wallet"), "notify"),
            Subscription("notify-orders", topic_of_category("order"), "notify"),
            *(
                Subscription(f"project-{c}s", topic_of_category(c), "project_shop")
                for c in ("product", "lot", "order")
            ),
            *(
                Subscription(f"checkout-{c}", topic_of_category(c), "run_checkout")
                for c in ("product", "lot", "order", "wallet", "payment")
            ),
        )
    ),
    schedules=(
        Schedule("relay", "* * * * *"),
        Schedule("expire-payments", "* * * * *"),
        Schedule("expire-reservations", "* * * * *"),
        Schedule("reconcile-payments", "*/5 * * * *"),
    ),
)
