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


@dataclass(frozen=True)
class Subscription:
    """A push subscription delivering a topic's events to a subscriber function."""

    name: str
    topic: str
    function: str
    max_delivery_attempts: int = 5
    ack_deadline_s: int = 60
    ordered: bool = True

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.name}-dead"


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
        return self.event_topics + tuple(s.dead_letter_topic for s in self.subscriptions)

    def function(self, entry_point: str) -> Function:
        return next(f for f in self.functions if f.entry_point == entry_point)


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
        ),
        Function("project_balances", "pubsub", concurrency=4),
        Function(
            "scheduled_job",
            "scheduler",
            timeout_s=300,
            max_instances=2,
            secrets=("scheduler_secret",),
        ),
    ),
    subscriptions=(
        Subscription("project-balances", topic_of_category("wallet"), "project_balances"),
    ),
    schedules=(Schedule("relay", "* * * * *"),),
)
