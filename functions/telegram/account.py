"""/start, /balance and /help: the user's account and wallet, and what the bot can do."""

from __future__ import annotations

from collections.abc import Callable

from events import Money
from functions import texts
from functions.contexts import REGISTRY
from functions.domain import users
from functions.projections.balances import balance_of
from functions.telegram import invitations, routes
from functions.telegram.chat import Context, Handler, Reply, reply
from functions.telegram.routes import Ref

CHANNEL_LINK = "ch_"
CHANNELS = "functions.telegram.channels"  # loaded only for a channel's link
CIRCLE_LINK = "circle_"
# Loaded only for a circle's invite link: a plain /start does not import the circles.
CIRCLE_CARD = Ref[Callable[[Context, str, str], Reply]]("functions.telegram.circle_cards", "card")


def on_start(ctx: Context, argument: str) -> Reply:
    sender = ctx.user
    code = argument.removeprefix("ref_") if argument.startswith("ref_") else None
    # Followed inline: a referral link binds the new user before this answer (contexts).
    appended = ctx.runtime.execute(
        users.users,
        users.stream_of(sender.id),
        users.Register(
            user_id=sender.id,
            chat_id=ctx.chat_id,
            first_name=sender.first_name,
            language=ctx.language,
            referral_code=code,
        ),
        ctx.trace,
    )
    if argument.startswith(CHANNEL_LINK):
        # https://t.me/<bot>?start=ch_<key>: a channel's page, registered on the way.
        return Ref[Handler](CHANNELS, "on_deep_link").resolve()(ctx, argument)
    if argument.startswith(CIRCLE_LINK):  # a circle's invite link: its card, with Join
        head = texts.text(ctx.language, "circles.invited")
        return CIRCLE_CARD.resolve()(ctx, argument.removeprefix(CIRCLE_LINK)[:32], head)
    if any(e.type == "user.registered.v1" for e in appended.events):
        welcome = texts.text(ctx.language, "account.welcome", name=sender.first_name)
        said = [invitations.invitation(ctx, code), welcome, invitations.own_link(ctx)]
        return reply(ctx, "\n\n".join(part for part in said if part))
    # Not welcomed as new after unblocking the bot either; a link binds nobody now.
    back = texts.text(ctx.language, "account.welcome_back", name=sender.first_name)
    said = [invitations.already_joined(ctx, code), back]
    return reply(ctx, "\n\n".join(part for part in said if part))


def on_balance(ctx: Context, argument: str) -> Reply:
    found = balance_of(ctx.runtime.read_models, ctx.user_id)
    shown = found.nonzero() or (Money.zero(ctx.runtime.settings.default_currency),)
    lines = texts.Html("\n".join(texts.render(money) for money in shown))
    said = texts.text(ctx.language, "account.balance", lines=lines)
    if found.held:
        kept = texts.Html(", ".join(texts.render(money) for money in found.held))
        said += "\n" + texts.text(ctx.language, "account.balance_held", amounts=kept)
    return reply(ctx, said)


def on_help(ctx: Context, argument: str) -> Reply:
    """The commands of every role the user holds, from the route table."""
    holds = routes.ROLES
    text = routes.help_text(REGISTRY.routes, ctx.language, lambda role: holds[role](ctx))
    return reply(ctx, text)
