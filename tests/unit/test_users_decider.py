"""User: registered once on first contact, language kept, blocked flag follows Telegram."""

from __future__ import annotations

import pytest

from events.users import UserBlockedBot, UserLanguageChanged, UserRegistered, UserUnblockedBot
from functions.domain.users import (
    ChangeLanguage,
    NotRegistered,
    RecordBlocked,
    RecordContact,
    Register,
    users,
)
from tests.unit.scenario import given, when

pytestmark = pytest.mark.unit

REGISTERED = UserRegistered(user_id=5, chat_id=5, first_name="Otieno", language="sw")


def test_first_contact_registers_the_user_with_their_language() -> None:
    assert when(users, [], Register(5, 5, "Otieno", "sw")) == [REGISTERED]
    assert given(users, REGISTERED).language == "sw"


def test_a_second_start_registers_nothing_new() -> None:
    assert when(users, [REGISTERED], Register(5, 5, "Otieno", "en")) == []


def test_a_referral_code_from_the_deep_link_is_kept() -> None:
    events = when(users, [], Register(5, 5, "Otieno", "sw", referral_code="abc"))
    assert events == [REGISTERED.model_copy(update={"referral_code": "abc"})]


def test_changing_language_requires_registration_and_a_change() -> None:
    with pytest.raises(NotRegistered):
        when(users, [], ChangeLanguage(5, "en"))
    assert when(users, [REGISTERED], ChangeLanguage(5, "sw")) == []
    assert when(users, [REGISTERED], ChangeLanguage(5, "en")) == [
        UserLanguageChanged(user_id=5, language="en")
    ]


def test_blocking_is_recorded_once_and_contact_lifts_it() -> None:
    blocked = [REGISTERED, UserBlockedBot(user_id=5)]
    assert when(users, [REGISTERED], RecordBlocked(5)) == [UserBlockedBot(user_id=5)]
    assert when(users, blocked, RecordBlocked(5)) == []
    assert given(users, *blocked).blocked is True
    assert when(users, blocked, RecordContact(5)) == [UserUnblockedBot(user_id=5)]
    assert when(users, [REGISTERED], RecordContact(5)) == []
    assert given(users, *blocked, UserUnblockedBot(user_id=5)).blocked is False


def test_a_start_after_blocking_the_bot_lifts_the_block() -> None:
    blocked = [REGISTERED, UserBlockedBot(user_id=5)]
    assert when(users, blocked, Register(5, 5, "Otieno", "sw")) == [UserUnblockedBot(user_id=5)]
