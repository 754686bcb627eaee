"""The account: /start, /balance, /help, and the router's own answers (unknown command,
stale button, role refusals)."""

TEXTS: dict[str, str] = {}
