"""What the bot says, per language. Values are HTML (Telegram parse_mode=HTML)."""

from __future__ import annotations

import html

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "welcome": "Welcome to Soko, {name}!\n\n/balance — your wallet\n/help — what I can do",
        "welcome_back": "Welcome back, {name}!\n\n/balance — your wallet",
        "balance": "Your balance:\n{lines}",
        # /help is generated from the route table (routes.help_text): a head per role, then
        # each command's line, translated under "help:<command>" where a language has one.
        "help_head:anyone": "I understand:",
        "help_head:admin": "For admins:",
        # A command or button of a role the user lacks: one answer, from the router.
        "role_refused:admin": "This command is for shop admins.",
        "role_refused_button:admin": "Not allowed: this button is for shop admins.",
        "unknown": "I did not understand that. Send /help to see what I can do.",
        "stale_button": "That button is no longer active.",
    },
    "sw": {
        "welcome": "Karibu Soko, {name}!\n\n/balance — pochi yako\n/help — ninachoweza kufanya",
        "welcome_back": "Karibu tena, {name}!\n\n/balance — pochi yako",
        "balance": "Salio lako:\n{lines}",
        "help_head:anyone": "Ninaelewa:",
        "help:/start": "anza",
        "help:/balance": "pochi yako",
        "help:/deposit": "weka pesa",
        "help:/history": "historia",
        "help:/help": "ninachoweza kufanya",
        "unknown": "Sikuelewa. Tuma /help kuona ninachoweza kufanya.",
        "stale_button": "Kitufe hicho hakifanyi kazi tena.",
    },
    "id": {
        "welcome": "Selamat datang di Soko, {name}!\n\n/balance — dompet Anda\n/help — bantuan",
        "welcome_back": "Selamat datang kembali, {name}!\n\n/balance — dompet Anda",
        "balance": "Saldo Anda:\n{lines}",
        "help_head:anyone": "Saya mengerti:",
        "help:/start": "mulai",
        "help:/balance": "dompet Anda",
        "help:/deposit": "isi saldo",
        "help:/history": "riwayat",
        "help:/help": "bantuan",
        "unknown": "Saya tidak mengerti. Kirim /help untuk bantuan.",
        "stale_button": "Tombol itu sudah tidak aktif.",
    },
}
FALLBACK = "en"


def language_of(code: str | None) -> str:
    """The supported language closest to a Telegram `language_code` (e.g. `sw-KE` -> `sw`)."""
    base = (code or FALLBACK).split("-", 1)[0].lower()
    return base if base in TEMPLATES else FALLBACK


def text(language: str, key: str, **values: str) -> str:
    """A message in the user's language; values are HTML-escaped (they may be user input)."""
    template = TEMPLATES.get(language, TEMPLATES[FALLBACK]).get(key) or TEMPLATES[FALLBACK][key]
    return template.format(**{k: html.escape(v) for k, v in values.items()})


def text_or(language: str, key: str, english: str) -> str:
    """The catalogue's text (HTML) where it has one (a route's help line in Swahili), else
    the plain `english`, escaped."""
    found = TEMPLATES.get(language, {}).get(key) or TEMPLATES[FALLBACK].get(key)
    return found if found is not None else html.escape(english)
