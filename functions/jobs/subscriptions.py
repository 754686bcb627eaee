"""end-subscriptions: warn 3 days and 1 day before a subscription ends, expire it at its
end, then remove the subscriber from the chat (ban, then unban only_if_banned).

Idempotent: each step is decided on the subscription's stream, which ignores a warning
already given, an expiry already recorded and a removal after a renewal, under keys named by
the subscription and the end it is about. The entitlement is re-read right before each
removal (the buyer may have renewed a second ago). One subscriber's failure is counted and
logged and never stops the batch; it is retried on the next run, since the subscription
stays EXPIRED and due. A channel in dry run is told "would remove" in the log, not touched.

Known limit: due work is taken earliest first, BATCH at a time, so more than BATCH removals
failing run after run (a chat the bot may no longer ban in) would hold up later ones.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from functions.channels import access
from functions.channels.buying import load_channel, load_subscription
from functions.domain import subscriptions
from functions.domain.subscriptions import Expire, Remove, Subscription, Warn
from functions.projections.channels import SubscriptionView, subscriptions_due
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import BotApiError

log = logging.getLogger(__name__)
BATCH = 500


def end(rt: Runtime) -> dict[str, int]:
    now = rt.clock.now()
    counts: Counter[str] = Counter()
    for due in subscriptions_due(rt.read_models, now, BATCH):
        try:
            counts[_step(rt, due, now)] += 1
        except BotApiError as err:
            # One subscriber's failure never stops the batch; the next run tries again.
            log.warning("removing %s from %s failed: %s", due.user_id, due.chat_id, err)
            counts["failed"] += 1
    return {k: counts[k] for k in ("warned", "expired", "removed", "dry_run", "failed")}


def _step(rt: Runtime, due: SubscriptionView, now: datetime) -> str:
    chat_id, user_id = due.chat_id, due.user_id
    state = load_subscription(rt, chat_id, user_id)  # the store, not the read model
    end_at = state.ends_at
    if end_at is None:
        return "nothing"
    if now < end_at:
        days = _warning(end_at - now)
        if days is None:
            return "nothing"
        warned = _decide(rt, due, state, Warn(days, now), f"warn{days}")
        return "warned" if warned else "nothing"
    expired = _decide(rt, due, state, Expire(now), "expire")
    state = load_subscription(rt, chat_id, user_id)  # re-read: they may have renewed
    if state.status != "expired" or state.entitled(now):
        return "expired" if expired else "nothing"
    channel = load_channel(rt, chat_id)
    if channel.dry_run:
        log.info("dry run: would remove %s from %s", user_id, chat_id)
        return "dry_run"
    if not channel.can_restrict:
        # Not (or no longer) allowed to ban there: asking Telegram would only be refused.
        log.warning("cannot remove %s from %s: the bot may not ban there", user_id, chat_id)
        return "failed"
    outcome = access.remove(rt.bot(), chat_id, user_id)
    _decide(rt, due, state, Remove(outcome, now), "remove")
    return "removed"


def _warning(left: timedelta) -> int | None:
    """The warning a subscription with `left` to run is due: the nearest at or above it."""
    due = [days for days in subscriptions.WARNINGS if left <= timedelta(days=days)]
    return min(due) if due else None


def _decide(
    rt: Runtime, due: SubscriptionView, state: Subscription, command: object, step: str
) -> bool:
    """Decide one step under a key naming the subscription, the end it is about and the step."""
    stream = subscriptions.stream_of(due.chat_id, due.user_id)
    key = f"end-subscriptions:{stream}:{state.ends_at:%Y%m%dT%H%M%S}:{step}"
    decider = subscriptions.subscriptions
    appended = rt.pipeline.execute(decider, stream, command, Trace(key, key, stream))
    return bool(appended.events) and not appended.duplicate
