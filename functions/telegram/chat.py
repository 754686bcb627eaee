"""The conversation's primitives every Telegram handler uses: who wrote, and how to answer.

Handlers import these from here, never from `handlers` (the dispatcher), so no handler
module depends on the module that routes to it.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from functions import texts
from functions.domain.decider import DomainError
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import BotApiError
from functions.telegram.types import Message, Update, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """One update from one user: who sent it, where to answer, and why commands run."""

    runtime: Runtime
    update: Update
    user: User
    chat_id: int
    trace: Trace
    language: str
    message: Message | None = None  # absent for callback and pre-checkout queries
    # Set once the button's spinner was stopped out of band (stop_spinner), so it is not
    # answered twice: Telegram refuses a second answer to one query.
    spinner_stopped: list[bool] = field(default_factory=list)

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.runtime.settings.is_admin(self.user.id)


Reply = dict[str, Any]
Handler = Callable[[Context, str], Reply]


def refusal_reply(ctx: Context, refusal: DomainError) -> Reply:
    """How the router tells a domain refusal (a decider's DomainError, which wrote nothing)
    unless its route says otherwise: in the catalogue's words for its code, as an alert on a
    button, else a message. Never a 5xx, which Telegram would retry."""
    said = texts.refusal(ctx.language, refusal)
    if ctx.update.callback_query is not None:
        return answer_query(ctx, plain(said), alert=True)
    return reply(ctx, said)


def on_unknown(ctx: Context, argument: str) -> Reply:
    return reply(ctx, texts.text(ctx.language, "account.unknown"))


def on_stale_button(ctx: Context, argument: str) -> Reply:
    """A button this deployment no longer knows (an old message): say so, change nothing."""
    return answer_query(ctx, plain(texts.text(ctx.language, "account.stale_button")))


def plain(text: str) -> str:
    """A catalogue text (HTML) as a button's answer shows it: an alert is plain text, so
    `&lt;` would show as typed and a tag as written."""
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def reply(ctx: Context, text: str) -> Reply:
    """A sendMessage call returned as the webhook's response body: no extra round trip."""
    return {
        "method": "sendMessage",
        "chat_id": ctx.chat_id,
        "text": text,
        "parse_mode": "HTML",
    }


def stop_spinner(ctx: Context, text: str = "") -> None:
    """Answer the button's query out of band, best effort, when the webhook's answer is an
    edit or a message: clients show a spinner until the query is answered."""
    query = ctx.update.callback_query
    if query is None or ctx.spinner_stopped:
        return
    ctx.spinner_stopped.append(True)
    params: dict[str, Any] = {"callback_query_id": query.id}
    if text:
        params["text"] = text[:200]
    try:
        ctx.runtime.bot().call("answerCallbackQuery", params)
    except BotApiError:
        log.info("answerCallbackQuery failed; the client's spinner times out by itself")


def answer_query(ctx: Context, text: str = "", alert: bool = False) -> Reply:
    """answerCallbackQuery as the webhook answer: stops the button's spinner, shows `text`
    (plain text: see `plain`)."""
    query = ctx.update.callback_query
    assert query is not None
    answer: Reply = {"method": "answerCallbackQuery", "callback_query_id": query.id}
    if text:
        answer.update(text=text, show_alert=alert)
    return answer
