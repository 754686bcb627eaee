"""The bot's @username, for the t.me links it hands out.

SOKO_BOT_USERNAME names it where a deployment sets it; otherwise the bot is asked
(`getMe`) once per Bot API client and the answer kept, so a link always opens the bot whose
token this deployment holds (the local stack's fake bot too), never a default's namesake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from functions.runtime.settings import MissingSetting

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime
    from functions.telegram.bot_api import Bot

_ASKED: WeakKeyDictionary[Bot, str] = WeakKeyDictionary()


class BotNameUnknown(MissingSetting):
    """SOKO_BOT_USERNAME is unset and getMe did not answer (Telegram unreachable)."""


def bot_username(rt: Runtime) -> str:
    """The configured username, else the one getMe answers."""
    configured = rt.settings.bot_username
    if configured:
        return configured.removeprefix("@")
    bot = rt.bot()
    if bot not in _ASKED:
        from functions.telegram.bot_api import BotApiError  # loaded by rt.bot() already

        try:
            me = bot.call("getMe", {})
        except BotApiError as err:
            raise BotNameUnknown(f"SOKO_BOT_USERNAME is not set and getMe failed: {err}") from err
        username = me.get("username") if isinstance(me, dict) else None
        if not isinstance(username, str) or not username:
            raise MissingSetting("SOKO_BOT_USERNAME is not set and getMe named none")
        _ASKED[bot] = username
    return _ASKED[bot]
