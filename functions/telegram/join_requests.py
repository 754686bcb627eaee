"""A join request through a channel's link: approved only while the requester's
subscription runs (read from its stream, not a read model); anyone else is first told where
the plans are, through `user_chat_id` (allowed only until the request is answered), then
declined in the webhook's answer.

A Telegram failure to approve raises, so the webhook answers 5xx and Telegram delivers the
request again; the join is recorded once, under the update's key.
"""

from __future__ import annotations

import logging

from functions import texts
from functions.channels import access, buying
from functions.domain import subscriptions
from functions.telegram.bot_api import BotApiError
from functions.telegram.channels import deep_link, when
from functions.telegram.chat import Context, Reply

log = logging.getLogger(__name__)


def on_join_request(ctx: Context, argument: str) -> Reply:
    """Approve a running subscriber; decline anyone else, after telling them where the
    plans are (Telegram lets the bot message a requester only until it answers)."""
    request = ctx.update.chat_join_request
    assert request is not None
    chat_id, user_id = request.chat.id, request.from_user.id
    channel = buying.load_channel(ctx.runtime, chat_id)
    if channel.owner_id is None:
        return {}  # a chat the bot does not sell: not ours to answer
    bought = buying.load_subscription(ctx.runtime, chat_id, user_id)
    to_user = request.user_chat_id
    if bought.entitled(ctx.runtime.clock.now()):
        access.approve(ctx.runtime.bot(), chat_id, user_id)
        stream = subscriptions.stream_of(chat_id, user_id)
        ctx.runtime.pipeline.execute(subscriptions.subscriptions, stream, subscriptions.Join(),
                                     ctx.trace)  # fmt: skip
        said = texts.text(ctx.language, "channels.welcome_in", title=channel.title,
                          ends=when(bought.ends_at))  # fmt: skip
        return {"method": "sendMessage", "chat_id": to_user, "text": said, "parse_mode": "HTML"}
    declined = texts.text(ctx.language, "channels.declined", title=channel.title,
                          link=deep_link(ctx, chat_id))  # fmt: skip
    try:
        ctx.runtime.bot().call("sendMessage", {"chat_id": to_user, "text": declined,
                                               "parse_mode": "HTML"})  # fmt: skip
    except BotApiError as err:
        log.info("could not tell requester %s why: %s", user_id, err)
    return {"method": "declineChatJoinRequest", "chat_id": chat_id, "user_id": user_id}
