"""Where events are published: one Pub/Sub topic per stream category.

A subscriber function listens to the categories it projects or reacts to, so an instance
serving balances never receives user events. The topology (infra/topology.py) declares a
topic for every category here; a test keeps the two in step.
"""

from __future__ import annotations

# `deadletter` streams record poisoned messages; `health` carries only the health check's
# heartbeat (never stored), which proves the bus accepts messages from this deployment.
CATEGORIES: tuple[str, ...] = (
    "user",
    "wallet",
    "payment",
    "product",
    "lot",
    "order",
    "deadletter",
    "health",
)


def topic_for(stream: str) -> str:
    """The topic carrying a stream's events: `wallet-7` -> `wallet-events`."""
    return topic_of_category(stream.split("-", 1)[0])


def topic_of_category(category: str) -> str:
    return f"{category}-events"
