"""What the bot says, per language. Values are HTML (Telegram parse_mode=HTML)."""

from __future__ import annotations

import html

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "welcome": "Welcome to Soko, {name}!\n\n/balance — your wallet\n/help — what I can do",
        "welcome_back": "Welcome back, {name}!\n\n/balance — your wallet",
        "balance": "Your balance:\n{lines}",
        "help": (
            "I understand:\n/start — begin\n/balance — your wallet\n"
            "/deposit — top up\n/history — your deposits"
        ),
        "unknown": "I did not understand that. Send /help to see what I can do.",
        "stale_button": "That button is no longer active.",
    },
    "sw": {
        "welcome": "Karibu Soko, {name}!\n\n/balance — pochi yako\n/help — ninachoweza kufanya",
        "welcome_back": "Karibu tena, {name}!\n\n/balance — pochi yako",
        "balance": "Salio lako:\n{lines}",
        "help": (
            "Ninaelewa:\n/start — anza\n/balance — pochi yako\n"
            "/deposit — weka pesa\n/history — historia"
        ),
        "unknown": "Sikuelewa. Tuma /help kuona ninachoweza kufanya.",
        "stale_button": "Kitufe hicho hakifanyi kazi tena.",
    },
    "id": {
        "welcome": "Selamat datang di Soko, {name}!\n\n/balance — dompet Anda\n/help — bantuan",
        "welcome_back": "Selamat datang kembali, {name}!\n\n/balance — dompet Anda",
        "balance": "Saldo Anda:\n{lines}",
        "help": (
            "Saya mengerti:\n/start — mulai\n/balance — dompet Anda\n"
            "/deposit — isi saldo\n/history — riwayat"
        ),
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
