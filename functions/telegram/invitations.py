"""The welcome's line naming who invited a new user (/start ref_<code>).

Kept apart from the /referrals handler so /start's module loads no route handler."""

from __future__ import annotations

from events import decode
from events.users import UserRegistered
from functions import texts
from functions.contexts.referrals import referral_settings
from functions.domain import referrals, users
from functions.telegram.chat import Context


def invitation(ctx: Context, code: str | None) -> str:
    """The welcome's line about the link a new user came through ("" without one)."""
    if not code:
        return ""
    referrer = referrals.resolve(code, referral_settings().code_secret())
    name = first_name(ctx, referrer) if referrer not in (None, ctx.user_id) else None
    if referrer is None or name is None:
        return texts.text(ctx.language, "referrals.unknown_code")
    return texts.text(ctx.language, "referrals.invited_by", name=name)


def first_name(ctx: Context, user_id: int | None) -> str | None:
    """A registered user's first name; None if they never registered."""
    if user_id is None:
        return None
    for stored in ctx.runtime.store.load(users.stream_of(user_id)):
        event = decode(stored)
        if isinstance(event, UserRegistered):
            return event.first_name
    return None
