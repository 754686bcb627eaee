"""The referral lines of /start: who invited a new user (/start ref_<code>), the new user's
own link, and what a link does for someone who had already joined.

Kept apart from the /referrals handler so /start's module loads no route handler."""

from __future__ import annotations

import logging

from events import decode
from events.users import UserRegistered
from functions import texts
from functions.contexts.referrals import referral_settings
from functions.domain import referrals, users
from functions.runtime.settings import MissingSetting
from functions.telegram.bot_names import bot_username
from functions.telegram.chat import Context

log = logging.getLogger(__name__)


def link_of(ctx: Context, user_id: int) -> str:
    """The user's referral link: `https://t.me/<bot>?start=ref_<code>`."""
    code = referrals.code_of(user_id, referral_settings().code_secret())
    return f"https://t.me/{bot_username(ctx.runtime)}?start=ref_{code}"


def invitation(ctx: Context, code: str | None) -> str:
    """The welcome's line about the link a new user came through ("" without one)."""
    if not code:
        return ""
    referrer = referrals.resolve(code, referral_settings().code_secret())
    name = first_name(ctx, referrer) if referrer not in (None, ctx.user_id) else None
    if referrer is None or name is None:
        return texts.text(ctx.language, "referrals.unknown_code")
    return texts.text(ctx.language, "referrals.invited_by", name=name)


def own_link(ctx: Context) -> str:
    """The welcome's last line: the new user's own link, and what it earns them. Left out
    ("") when the link cannot be made now (the bot's name unknown and getMe unreachable, or
    the codes' key missing): the welcome matters more, and /referrals says what is wrong."""
    try:
        link = link_of(ctx, ctx.user_id)
    except MissingSetting as err:  # BotNameUnknown included
        log.warning("welcome sent without a referral link: %s", err)
        return ""
    rate = f"{referral_settings().rate_bp / 100:g}%"
    return texts.text(ctx.language, "referrals.welcome_link", link=link, rate=rate)


def already_joined(ctx: Context, code: str | None) -> str:
    """For someone registered before who opens a link: it binds nobody ("" without one)."""
    return texts.text(ctx.language, "referrals.already_joined") if code else ""


def first_name(ctx: Context, user_id: int | None) -> str | None:
    """A registered user's first name; None if they never registered."""
    if user_id is None:
        return None
    for stored in ctx.runtime.store.load(users.stream_of(user_id)):
        event = decode(stored)
        if isinstance(event, UserRegistered):
            return event.first_name
    return None
