"""What the bot says, keyed per language: the one message catalogue.

English (`english/`) is complete: every key the code uses is there, and a unit test fails for a
key used but missing. Another language is a package of the same shape, listed in
`LANGUAGES`; a key it lacks falls back to English, so a translation can grow key by key.

Values are rendered for humans and for Telegram's HTML: `Money` as `KES 1,500.00` (never
raw minor units), numbers as digits, text HTML-escaped (it may be user input), and `Html`
inserted as is (markup the caller built from escaped parts, such as a list of lines).
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING

from events import Money
from events.money import format_money
from functions.texts import english, indonesian, swahili

if TYPE_CHECKING:
    from functions.domain.decider import DomainError

FALLBACK = "en"
LANGUAGES: Mapping[str, Mapping[str, str]] = {
    "en": english.TEXTS,
    "sw": swahili.TEXTS,
    "id": indonesian.TEXTS,
}


class Html(str):
    """Markup built from escaped parts: inserted into a template without escaping again."""


Value = str | int | Money | Html


def language_of(code: str | None) -> str:
    """The supported language closest to a Telegram `language_code` (e.g. `sw-KE` -> `sw`)."""
    base = (code or FALLBACK).split("-", 1)[0].lower()
    return base if base in LANGUAGES else FALLBACK


def has(key: str) -> bool:
    return key in LANGUAGES[FALLBACK]


def text(language: str, key: str, **values: Value) -> str:
    """The message `key` in `language` (English where it has none), with `values` rendered."""
    template = LANGUAGES.get(language, {}).get(key) or LANGUAGES[FALLBACK][key]
    return template.format(**{name: render(value) for name, value in values.items()})


def render(value: Value) -> str:
    if isinstance(value, Html):
        return str(value)
    if isinstance(value, Money):
        return format_money(value)
    if isinstance(value, bool):  # a bool is an int: say it, don't print 1 or 0
        raise TypeError("say what a flag means with its own text, not True/False")
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(value)


def refusal(language: str, error: DomainError) -> str:
    """Why a command was refused, in words for the user: the catalogue's text for the
    error's code with its facts (`DomainError.facts`), else the error's own sentence."""
    key = f"refusal.{error.code}"
    if has(key):
        return text(language, key, **error.facts())
    said = str(error) or error.code.replace("_", " ")
    return html.escape(said[:1].upper() + said[1:] + ("" if said.endswith(".") else "."))


def placeholders(template: str) -> set[str]:
    """The `{names}` a template fills (for the catalogue's consistency test)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
