"""The `user-<telegram id>` aggregate: registration, language, whether the bot may write, and
the mobile number the user pays from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from events import Event
from events.users import (
    UserBlockedBot,
    UserLanguageChanged,
    UserPhoneSet,
    UserRegistered,
    UserResellerSet,
    UserUnblockedBot,
)
from functions.domain.decider import Decider, DomainError
from functions.domain.snapshots import Snapshots


def stream_of(user_id: int) -> str:
    return f"user-{user_id}"


@dataclass(frozen=True)
class User:
    registered: bool = False
    language: str = "en"
    blocked: bool = False
    reseller: bool = False
    phone: str | None = None  # E.164: the number mobile money is asked from


@dataclass(frozen=True)
class Register:
    user_id: int
    chat_id: int
    first_name: str
    language: str
    referral_code: str | None = None


@dataclass(frozen=True)
class ChangeLanguage:
    user_id: int
    language: str


@dataclass(frozen=True)
class RecordBlocked:
    user_id: int


@dataclass(frozen=True)
class RecordContact:
    """The user wrote to the bot: a user who had blocked it has evidently unblocked it."""

    user_id: int


@dataclass(frozen=True)
class SetReseller:
    """An admin marks a user as a reseller (they see reseller prices), or unmarks them."""

    user_id: int
    reseller: bool
    admin_id: int


@dataclass(frozen=True)
class SetPhone:
    """The user pays from this mobile number (E.164, read by functions/phones/numbers.py)."""

    user_id: int
    phone: str


class NotRegistered(DomainError):
    code = "not_registered"


UserCommand = Register | ChangeLanguage | RecordBlocked | RecordContact | SetReseller | SetPhone


def decide(state: User, command: UserCommand) -> Sequence[Event]:
    match command:
        case Register():
            if state.registered:
                # /start again after blocking the bot: it may write to them again.
                return [UserUnblockedBot(user_id=command.user_id)] if state.blocked else []
            return [
                UserRegistered(
                    user_id=command.user_id,
                    chat_id=command.chat_id,
                    first_name=command.first_name[:256],
                    language=command.language,
                    referral_code=command.referral_code,
                )
            ]
        case ChangeLanguage():
            _require(state)
            same = state.language == command.language
            return (
                []
                if same
                else [UserLanguageChanged(user_id=command.user_id, language=command.language)]
            )
        case RecordBlocked():
            return (
                []
                if state.blocked or not state.registered
                else [UserBlockedBot(user_id=command.user_id)]
            )
        case RecordContact():
            return [UserUnblockedBot(user_id=command.user_id)] if state.blocked else []
        case SetReseller():
            _require(state)
            if state.reseller == command.reseller:
                return []
            return [UserResellerSet(**vars(command))]
        case SetPhone():
            _require(state)
            return [] if state.phone == command.phone else [UserPhoneSet(**vars(command))]


def evolve(state: User, event: Event) -> User:
    match event:
        case UserRegistered():
            return replace(state, registered=True, language=event.language)
        case UserLanguageChanged():
            return replace(state, language=event.language)
        case UserBlockedBot():
            return replace(state, blocked=True)
        case UserUnblockedBot():
            return replace(state, blocked=False)
        case UserResellerSet():
            return replace(state, reseller=event.reseller)
        case UserPhoneSet():
            return replace(state, phone=event.phone)
        case _:
            return state


def _require(state: User) -> None:
    if not state.registered:
        raise NotRegistered("send /start first")


users: Decider[User, UserCommand] = Decider(
    initial=User(), evolve=evolve, decide=decide, snapshots=Snapshots(User, evolve)
)
