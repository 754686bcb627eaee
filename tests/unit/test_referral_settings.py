"""The referral codes' key is a deployed secret: no default, a clear failure at first use,
never at import; and a link names the bot whose token the deployment holds."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from functions.contexts.referrals import ReferralsSettings
from functions.runtime import bootstrap
from functions.runtime.settings import MissingSetting
from functions.telegram.bot_api import BotApiError
from functions.telegram.bot_names import BotNameUnknown, bot_username
from functions.telegram.handlers import handle
from functions.telegram.webhook import parse_update
from tests import builders
from tests.builders import text_update
from tests.fakes.recording_bot import RecordingBot

pytestmark = pytest.mark.unit


def test_without_the_secret_the_settings_load_and_the_first_code_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SOKO_REFERRALS_SECRET", raising=False)
    found = ReferralsSettings.from_env()  # the terms are still readable: only codes need the key
    assert found.rate_bp == 300
    with pytest.raises(MissingSetting, match="SOKO_REFERRALS_SECRET is not set"):
        found.code_secret()
    monkeypatch.setenv("SOKO_REFERRALS_SECRET", "  ")
    with pytest.raises(MissingSetting, match="SOKO_REFERRALS_SECRET"):
        ReferralsSettings.from_env().code_secret()


def test_the_secret_is_read_from_the_environment_and_never_shown() -> None:
    found = ReferralsSettings(secret="k3y")  # type: ignore[arg-type]
    assert found.code_secret() == "k3y"
    assert "k3y" not in repr(found)


def test_every_entry_point_imports_without_the_secret() -> None:
    env = {"PATH": "", "SOKO_BACKEND": "memory"}
    probe = "import functions.main, functions.telegram.referrals, functions.telegram.invitations"
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_an_unset_username_is_the_one_getme_names_asked_once() -> None:
    rt = bootstrap.build(builders.settings(bot_username=None))
    bot = rt.bot_override = RecordingBot()
    assert bot_username(rt) == bot_username(rt) == "soko_test_bot"
    assert bot.methods() == ["getMe"]


def test_a_configured_username_wins_and_getme_is_not_asked() -> None:
    rt = bootstrap.build(builders.settings(bot_username="@shop_bot"))
    bot = rt.bot_override = RecordingBot()
    assert bot_username(rt) == "shop_bot"
    assert bot.calls == []


def test_misconfigured_tiers_or_tier_rates_fail_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="SOKO_REFERRALS_TIERS"):
        ReferralsSettings(tiers={"silver": 100}).programme()
    with pytest.raises(ValueError, match="SOKO_REFERRALS_TIER_RATES_BP names no tier"):
        ReferralsSettings(tier_rates_bp={"ruby": 500}).programme()
    gold = ReferralsSettings(tier_rates_bp={"gold": 450}).programme().tiers[2]
    assert (gold.name, gold.threshold, gold.rate_bp) == ("gold", 50_000, 450)


class UnreachableBot(RecordingBot):
    def call(self, method: str, params: dict[str, Any]) -> Any:
        raise BotApiError(f"{method}: ConnectError")


def test_an_unknown_bot_name_with_telegram_unreachable_names_the_setting() -> None:
    rt = bootstrap.build(builders.settings(bot_username=None))
    rt.bot_override = UnreachableBot()
    with pytest.raises(BotNameUnknown, match="SOKO_BOT_USERNAME"):
        bot_username(rt)


def test_a_new_users_welcome_goes_without_the_link_when_it_cannot_be_made() -> None:
    rt = bootstrap.build(builders.settings(bot_username=None))
    rt.bot_override = UnreachableBot()
    bootstrap.install(rt)
    try:
        reply = handle(rt, parse_update(text_update("/start", user_id=4242)))
    finally:
        bootstrap.install(None)
    assert reply is not None
    assert "Welcome" in str(reply["text"])
    assert "t.me/" not in str(reply["text"])
    assert [e.type for e in rt.store.load("user-4242")] == ["user.registered.v1"]
