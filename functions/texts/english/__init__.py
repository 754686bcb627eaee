"""English: every text the bot says, complete (a unit test checks every key the code uses).

One module per area, merged here; a key is `<area>.<name>` (refusals: `refusal.<code>`).
Values are HTML (Telegram parse_mode=HTML); `{names}` are filled by functions.texts.text,
which formats money for humans and escapes text.
"""

from functions.texts.english import (
    account,
    channels,
    circles,
    coins,
    notices,
    payments,
    referrals,
    refusals,
    shop,
)

AREAS = (account, payments, shop, notices, refusals, referrals, coins, channels, circles)
TEXTS: dict[str, str] = {key: text for area in AREAS for key, text in area.TEXTS.items()}
