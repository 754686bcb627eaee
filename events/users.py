"""Events of the `user-<telegram id>` stream."""

from __future__ import annotations

from pydantic import Field

from events.base import Event
from events.catalog import event


@event("user.registered.v1")
class UserRegistered(Event):
    """A Telegram user contacted the bot for the first time."""

    user_id: int
    chat_id: int
    first_name: str = Field(max_length=256)
    language: str = Field(min_length=2, max_length=16)
    referral_code: str | None = None


@event("user.language_changed.v1")
class UserLanguageChanged(Event):
    """The user chose another language for the bot's messages."""

    user_id: int
    language: str = Field(min_length=2, max_length=16)


@event("user.blocked_bot.v1")
class UserBlockedBot(Event):
    """Telegram answered 403: the user blocked the bot; stop messaging them."""

    user_id: int


@event("user.unblocked_bot.v1")
class UserUnblockedBot(Event):
    """The user wrote to the bot again after blocking it."""

    user_id: int


@event("user.reseller_set.v1")
class UserResellerSet(Event):
    """An admin marked (or unmarked) a user as a reseller: they see reseller prices."""

    user_id: int
    reseller: bool
    admin_id: int


@event("user.phone_set.v1")
class UserPhoneSet(Event):
    """The user gave (or changed) the mobile number they pay from, in E.164 form."""

    user_id: int
    phone: str = Field(min_length=8, max_length=16, pattern=r"^\+[1-9][0-9]{6,14}$")
