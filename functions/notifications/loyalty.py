"""Loyalty's notices: a tier reached and a badge unlocked, each told once (each is one
event, decided once on the user's loyalty stream)."""

from __future__ import annotations

from events.loyalty import AchievementUnlocked, TierReached
from functions import texts
from functions.notifications.notice import Facts, Notice


def label(language: str, kind: str, key: str) -> str:
    """A tier's or badge's name from the catalogue (`tier.gold`), or its key in words for
    one a deployment configured without a text."""
    found = f"{kind}.{key}"
    return texts.text(language, found) if texts.has(found) else key.replace("_", " ").title()


def tier_reached(event: TierReached, facts: Facts) -> list[Notice]:
    language = facts.language_of(event.user_id)
    tier = label(language, "tier", event.tier)
    said = texts.text(language, "loyalty.tier_reached", tier=tier, lifetime=event.lifetime)
    return [Notice(event.user_id, said)]


def achievement_unlocked(event: AchievementUnlocked, facts: Facts) -> list[Notice]:
    language = facts.language_of(event.user_id)
    badge = label(language, "achievement", event.achievement)
    return [Notice(event.user_id, texts.text(language, "loyalty.achievement", badge=badge))]
