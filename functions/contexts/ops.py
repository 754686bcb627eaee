"""Operations: the relay of unpublished events, health, and poisoned messages."""

from functions.contexts.base import BoundedContext, Function, Job, Lazy

CONTEXT = BoundedContext(
    name="ops",
    # `deadletter` streams record poisoned messages; `health` carries only the health
    # check's heartbeat (never stored), which proves the bus accepts this deployment's
    # messages.
    categories=("deadletter", "health"),
    jobs=(Job("relay", "* * * * *", Lazy("functions.jobs.relay", "run")),),
    functions=(
        # Store and bus reachability, relay backlog. IAM-protected: it reveals the backlog.
        Function("health", "http", max_instances=2, family="ops", publishes=("health",)),
        # Records poisoned messages as events (stream deadletter-<subscription>).
        Function("dead_letter", "pubsub", max_instances=2, family="ops", publishes=("deadletter",)),
    ),
)
