"""The message catalogue: English is complete for every key the code names, translations
fill the same placeholders, and values are rendered for humans (money never raw)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from events import Money
from functions import texts
from functions.domain.decider import DomainError
from functions.domain.wallet import InsufficientFunds

pytestmark = pytest.mark.unit
FUNCTIONS = Path(__file__).parents[2] / "functions"
ENGLISH = texts.LANGUAGES["en"]


def keys_named_in_code() -> set[str]:
    """Every literal key passed to texts.text(...) / text(...) anywhere in functions/."""
    found: set[str] = set()
    for path in FUNCTIONS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            name = name or (node.func.id if isinstance(node.func, ast.Name) else None)
            key = node.args[1]
            if (
                name in {"text", "t"}
                and isinstance(key, ast.Constant)
                and isinstance(key.value, str)
            ):
                found.add(key.value)
    return found


def test_english_has_every_key_the_code_names() -> None:
    missing = {k for k in keys_named_in_code() if "." in k} - set(ENGLISH)
    assert not missing, f"keys used but not in functions/texts/english/: {sorted(missing)}"


@pytest.mark.parametrize("language", sorted(set(texts.LANGUAGES) - {"en"}))
def test_a_translation_names_only_english_keys_with_the_same_placeholders(language: str) -> None:
    for key, template in texts.LANGUAGES[language].items():
        assert key in ENGLISH, f"{language} has {key}, which English lacks"
        assert texts.placeholders(template) == texts.placeholders(ENGLISH[key]), key


def test_a_key_a_language_lacks_falls_back_to_english() -> None:
    key = "refusal.insufficient_funds"
    values = {
        "balance": Money(amount=0, currency="KES"),
        "wanted": Money(amount=96_000, currency="KES"),
    }
    assert texts.text("xx", key, **values) == texts.text("en", key, **values)


def test_money_is_said_for_humans_and_text_is_escaped() -> None:
    said = texts.refusal(
        "en",
        InsufficientFunds(Money(amount=0, currency="KES"), Money(amount=96_000, currency="KES")),
    )
    assert "KES 0.00" in said
    assert "KES 960.00" in said
    assert "96000" not in said
    assert texts.render("<b>") == "&lt;b&gt;"
    assert texts.render(texts.Html("<b>x</b>")) == "<b>x</b>"
    assert texts.render(1500) == "1,500"
    with pytest.raises(TypeError):
        texts.render(True)


def test_a_refusal_without_a_catalogue_text_says_its_own_sentence() -> None:
    class Odd(DomainError):
        code = "odd_<thing>"

    assert texts.refusal("en", Odd("that is <odd>")) == "That is &lt;odd&gt;."


def test_languages_are_picked_from_telegram_codes() -> None:
    assert texts.language_of("sw-KE") == "sw"
    assert texts.language_of("fr") == "en"
    assert texts.language_of(None) == "en"


def test_no_key_is_defined_by_two_areas() -> None:
    from functions.texts.english import AREAS

    keys = [key for area in AREAS for key in area.TEXTS]
    assert len(keys) == len(set(keys))
