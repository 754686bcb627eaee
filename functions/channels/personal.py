"""One-person invite links, for channels whose owner chose them over join requests.

Each buyer gets a link of their own: `member_limit=1`, named after them, dying when the
time paid for ends. Telegram's member_limit counts members still in through the link, not
uses, so such a link admits someone else as soon as its member leaves or is removed; it is
therefore revoked on the `chat_member` update of the first person to join through it:

- the buyer: their join is recorded and the link is dead;
- anyone else (the link was forwarded): the link is revoked first (removing the newcomer
  frees its one place), the newcomer is removed (ban, then unban only_if_banned, so they may
  still buy) unless they are a subscriber themselves, and the buyer gets a new link.

Without that update (it comes only when `chat_member` is in allowed_updates, which the
route table asks for) the link still admits one member at a time until the end of the
time paid for. The buyer's live link is on their subscription's stream, so asking again
hands out the same link, and a second one is made only once the first is dead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from functions.channels import access
from functions.channels.buying import load_channel, load_subscription
from functions.domain import subscriptions
from functions.domain.subscriptions import IssueLink, Join, RevokeLink, SubscriptionCommand
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import BotApiError

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

log = logging.getLogger(__name__)


def _decide(
    rt: Runtime, chat_id: int, user_id: int, command: SubscriptionCommand, trace: Trace, step: str
) -> None:
    """One command of this update on one subscription, under a key of its own (an update
    may decide on two buyers' streams)."""
    key = f"{trace.idempotency_key}:{step}" if trace.idempotency_key else None
    why = Trace(key, trace.causation_id, trace.correlation_id)
    stream = subscriptions.stream_of(chat_id, user_id)
    rt.pipeline.execute(subscriptions.subscriptions, stream, command, why)


def link_for(rt: Runtime, chat_id: int, user_id: int, trace: Trace) -> str | None:
    """The buyer's live one-person link, made and recorded if they have none; None when
    their subscription does not run or Telegram refused to make one."""
    state = load_subscription(rt, chat_id, user_id)
    now = rt.clock.now()
    live = state.live_link(now)
    if live is not None or not state.entitled(now) or state.ends_at is None:
        return live
    try:
        made = access.personal_link(rt.bot(), chat_id, user_id, state.ends_at)
    except BotApiError as err:
        log.warning("no personal link for %s in %s: %s", user_id, chat_id, err)
        return None
    issue = IssueLink(made, state.ends_at, now)
    _decide(rt, chat_id, user_id, issue, trace, f"link{state.links_issued}")
    recorded = load_subscription(rt, chat_id, user_id).live_link(now)
    if recorded != made:  # another delivery recorded its link first: ours must not live
        access.revoke(rt.bot(), chat_id, made)
    return recorded


@dataclass(frozen=True)
class Joined:
    """Whose one-person link someone joined through, and what to tell that buyer: that they
    are in (`fresh` None), or the new link replacing the one someone else used."""

    buyer: int
    fresh: str | None = None


def joined(
    rt: Runtime, chat_id: int, user_id: int, link: str | None, link_name: str | None,
    trace: Trace,
) -> Joined | None:  # fmt: skip
    """Someone became a member (through `link`, named `link_name`, if any); None when it
    was not through a one-person link of ours, or there is nothing to tell its buyer."""
    _decide(rt, chat_id, user_id, Join(), trace, "join")  # a subscriber's join, or nothing
    buyer = access.buyer_named(link_name)
    if buyer is None or link is None:
        return None  # not a one-person link of ours
    access.revoke(rt.bot(), chat_id, link)  # first: a removal would free its one place
    if user_id == buyer:
        _decide(rt, chat_id, buyer, RevokeLink(link, "joined"), trace, "revoke")
        return Joined(buyer)
    _decide(rt, chat_id, buyer, RevokeLink(link, "intruder", user_id), trace, "revoke")
    _remove_unless_subscribed(rt, chat_id, user_id)
    if load_subscription(rt, chat_id, buyer).joined:
        return None  # the buyer is in already: nothing of theirs to replace
    fresh = link_for(rt, chat_id, buyer, trace)
    return Joined(buyer, fresh) if fresh is not None else None


def _remove_unless_subscribed(rt: Runtime, chat_id: int, user_id: int) -> None:
    if load_subscription(rt, chat_id, user_id).entitled(rt.clock.now()):
        return  # a subscriber of their own, through someone else's link: welcome
    if not load_channel(rt, chat_id).can_restrict:
        log.warning("cannot remove %s from %s: the bot may not ban there", user_id, chat_id)
        return
    outcome = access.remove(rt.bot(), chat_id, user_id)
    log.info("removed %s from %s (a forwarded personal link): %s", user_id, chat_id, outcome)
