"""Telegram updates -> the route that handles them (functions/telegram/routes.py) -> a reply.

The router is the one place that finds a route, enforces its role and turns a domain
refusal into a reply; handlers hold no routing of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from functions import texts
from functions.contexts import REGISTRY
from functions.domain.decider import DomainError
from functions.runtime import logs
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.telegram import replies
from functions.telegram.chat import (
    Context,
    Reply,
    answer_query,
    on_stale_button,
    on_unknown,
    plain,
    refusal_reply,
    reply,
    stop_spinner,
)
from functions.telegram.routes import ROLES, Kind, Route
from functions.telegram.types import Message, Update, User

log = logging.getLogger(__name__)
# Updates about chats the bot administers, each routed by its kind.
CHAT_KINDS = ("my_chat_member", "chat_join_request", "chat_member")


class Router:
    """Routes updates to one tuple of routes (the contexts', or a test's own)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        self._found: dict[tuple[Kind, str, bool], Route] = {}
        for route in self.routes:
            where = (route.kind, route.key, route.in_caption)
            if where in self._found:
                raise ValueError(f"two routes for the {route.kind} {route.key!r}")
            self._found[where] = route

    def dispatch(self, ctx: Context, update: Update) -> Reply | None:
        """The answer to one update, or None for one no route takes."""
        if update.pre_checkout_query is not None:
            return self._run_kind(ctx, "pre_checkout_query")
        if update.callback_query is not None:
            return self._button(ctx, update.callback_query.data or "")
        for kind in CHAT_KINDS:
            if getattr(update, kind) is not None:
                return self._run_kind(ctx, kind)
        if update.message is None:
            return None
        return self._message(ctx, update.message)

    def _message(self, ctx: Context, message: Message) -> Reply | None:
        if message.successful_payment is not None:
            return self._run_kind(ctx, "successful_payment")
        if message.refunded_payment is not None:
            return self._run_kind(ctx, "refunded_payment")
        in_caption = bool(message.photo)
        line = (message.caption if in_caption else message.text) or ""
        if not line:
            return None
        name, _, argument = line.strip().partition(" ")
        route = self._found.get(("command", name.split("@", 1)[0].lower(), in_caption))
        if route is not None:
            return self._run(route, ctx, argument.strip())
        if in_caption:
            return None  # a photo with some caption: nothing was asked of the bot
        if message.reply_to_message is not None:
            return self._answer(ctx, message.reply_to_message, line.strip())
        return on_unknown(ctx, argument)

    def _answer(self, ctx: Context, question: Message, text: str) -> Reply:
        """A reply to a question the bot asked: routed by the question's marker."""
        asked = replies.asked(question)
        route = self._found.get(("question", asked.question, False)) if asked else None
        if asked is not None and route is not None:
            return self._run(route, ctx, f"{asked.payload} {text}")
        old = replies.legacy(question)
        if old is not None:
            return self._run(Route("question", "legacy", old), ctx, text)
        return on_unknown(ctx, text)

    def _button(self, ctx: Context, data: str) -> Reply:
        prefix, _, rest = data.partition(":")
        route = self._found.get(("callback", prefix, False))
        answer = self._run(route, ctx, rest) if route else on_stale_button(ctx, rest)
        if answer.get("method") != "answerCallbackQuery":
            stop_spinner(ctx)  # Telegram shows a spinner until the query is answered
        return answer

    def _run_kind(self, ctx: Context, kind: str) -> Reply | None:
        route = self._found.get(("update", kind, False))
        return self._run(route, ctx, "") if route is not None else None

    def _run(self, route: Route, ctx: Context, argument: str) -> Reply:
        """The route's handler, if the user holds its role. The error boundary of every
        route: a domain refusal becomes a reply saying why, as the route tells it."""
        if not ROLES[route.role](ctx):
            return _not_yours(ctx, route)
        try:
            return route.handler.resolve()(ctx, argument)
        except DomainError as refusal:
            log.info("refused %s: %s", refusal.code, refusal)
            told = route.refused.resolve() if route.refused is not None else refusal_reply
            return told(ctx, refusal)


def _not_yours(ctx: Context, route: Route) -> Reply:
    """One answer to every route of a role the user lacks; nothing is parsed or written.
    Each role has its texts (`account.role_refused_<role>`, a unit test checks)."""
    if route.kind == "callback":
        text = texts.text(ctx.language, f"account.role_refused_button_{route.role}")
        return answer_query(ctx, plain(text), alert=True)
    return reply(ctx, texts.text(ctx.language, f"account.role_refused_{route.role}"))


ROUTER = Router(REGISTRY.routes)  # every context's routes


def handle(runtime: Runtime, update: Update, router: Router = ROUTER) -> Reply | None:
    """The webhook's answer to one update: a Bot API call to make, or None."""
    user = update.effective_user
    if user is None:
        return None
    return router.dispatch(_context(runtime, update, user), update)


def _context(runtime: Runtime, update: Update, user: User) -> Context:
    trace = Trace(
        idempotency_key=f"tg:{runtime.settings.bot_id()}:{update.update_id}",
        causation_id=f"tg-update-{update.update_id}",
        correlation_id=f"tg-user-{user.id}",
    )
    logs.bind(correlation_id=trace.correlation_id)
    chat = update.effective_chat
    return Context(
        runtime=runtime,
        update=update,
        user=user,
        chat_id=chat.id if chat is not None else user.id,  # private chat id == user id
        trace=trace,
        language=texts.language_of(user.language_code),
        message=update.message,
    )
