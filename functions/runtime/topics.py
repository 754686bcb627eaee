"""Where events are published: one Pub/Sub topic per stream category.

A subscriber function listens to the categories it projects or reacts to, so an instance
serving balances never receives user events. The categories are the contexts' own
(functions/contexts/); the topology declares a topic for each.
"""

from __future__ import annotations


def topic_for(stream: str) -> str:
    """The topic carrying a stream's events: `wallet-7` -> `wallet-events`."""
    return topic_of_category(stream.split("-", 1)[0])


def topic_of_category(category: str) -> str:
    return f"{category}-events"
