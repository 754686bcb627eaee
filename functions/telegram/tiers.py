"""The tier and badges part of /referrals: the tier, a bar of the way to the next one, and
the badges unlocked, in the reader's language."""

from __future__ import annotations

from functions import texts
from functions.notifications.loyalty import label
from functions.projections.loyalty import Standing

BAR = 10  # blocks


def bar(pct: int) -> str:
    filled = min(max(pct, 0), 100) * BAR // 100
    return "▓" * filled + "░" * (BAR - filled)


def tier_lines(language: str, standing: Standing) -> str:
    tier = label(language, "tier", standing.tier)
    lines = [texts.text(language, "referrals.tier", tier=tier, lifetime=standing.lifetime)]
    if standing.next_tier is None or standing.next_threshold is None:
        lines.append(texts.text(language, "referrals.top_tier"))
    else:
        lines.append(
            texts.text(
                language,
                "referrals.progress",
                bar=texts.Html(f"{bar(standing.progress_pct)} {standing.progress_pct}%"),
                lifetime=standing.lifetime,
                threshold=standing.next_threshold,
                next=label(language, "tier", standing.next_tier),
            )
        )
    badges = ", ".join(label(language, "achievement", key) for key in standing.achievements)
    if badges:
        lines.append(texts.text(language, "referrals.badges", badges=badges))
    else:
        lines.append(texts.text(language, "referrals.badges_none"))
    return "\n".join(lines)
