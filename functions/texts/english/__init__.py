"""English: every text the bot says, complete (a unit test checks every key the code uses).

One module per area, merged here; a key is `<area>.<name>`. Values are HTML (Telegram
parse_mode=HTML); `{names}` are filled by functions.texts.text, which formats money for
humans and escapes text.
"""

from functions.texts.english import refusals

TEXTS: dict[str, str] = {**refusals.TEXTS}
