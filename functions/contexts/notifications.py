"""Telegram messages to users and admins, derived from events by every context's rules."""

from functions.contexts.base import BoundedContext, Function, Subscriber

CONTEXT = BoundedContext(
    name="notifications",
    subscribers=(
        # Each instance paces itself at PER_PROCESS_PER_SECOND (5/s,
        # functions/notifications/sender.py) and nothing coordinates instances, so
        # max_instances x 5 must stay under Telegram's ~30/s per bot: 5 x 5 = 25
        # (tests/functions/test_notifications.py checks the product). One request at a
        # time, so the per-process pacing is the instance's pacing.
        Subscriber(
            Function(
                "notify",
                "pubsub",
                max_instances=5,
                concurrency=1,
                secrets=("bot_token",),
                family="notify",
                publishes=("user",),  # a user who blocked the bot
            ),
            notifies=True,
            subscription="notify-{category}s",
        ),
    ),
)
