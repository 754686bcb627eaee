"""/leaderboard: the top referrers by commission earned this month and of all time, with
the asker's own place; `/leaderboard hide` and `show` take the asker off the board and back.

Two queries over the per-user `loyalty` documents (functions/projections/loyalty.py), each
served by a composite index (infra/terraform/firestore.tf), plus one count for the asker's
place: never one hot document every commission would have to rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events import Money
from functions import texts
from functions.contexts.referrals import programme
from functions.domain import loyalty
from functions.projections.loyalty import COLLECTION, loyalty_view
from functions.telegram.chat import Context, Reply, reply
from functions.telegram.invitations import first_name

SIZE = 10
NAME_LENGTH = 8  # "Christop…": enough to recognise a friend, not to find a stranger


@dataclass(frozen=True)
class Board:
    """One ranking: documents whose `where` fields match, by `field`, highest first."""

    title: str
    field: str
    where: tuple[str, ...]  # the equality filters, in the composite index's order


ALL_TIME = Board("leaderboard.all_time", "total", ("hidden",))
THIS_MONTH = Board("leaderboard.month", "month_earned", ("hidden", "month"))
BOARDS = (THIS_MONTH, ALL_TIME)
VISIBILITY = {"hide": (True, "leaderboard.hidden"), "show": (False, "leaderboard.shown")}


def short_name(name: str | None, language: str) -> str:
    """The first word of a first name, cut to NAME_LENGTH letters."""
    words = (name or "").split()
    if not words:
        return texts.text(language, "leaderboard.anonymous")
    word = words[0]
    return word if len(word) <= NAME_LENGTH else word[: NAME_LENGTH - 1] + "…"


def on_leaderboard(ctx: Context, argument: str) -> Reply:
    choice = argument.strip().lower()
    if choice in VISIBILITY:
        hidden, done = VISIBILITY[choice]
        command = loyalty.SetVisibility(ctx.user_id, hidden)
        stream = loyalty.stream_of(ctx.user_id)
        appended = ctx.runtime.execute(loyalty.loyalty, stream, command, ctx.trace)
        # Projected here too, so the "Done" holds for the next /leaderboard (the asker's
        # or anyone's) without waiting for project_referrals, whose delivery then finds the
        # document already past it and writes nothing.
        for envelope in appended.events:
            ctx.runtime.read_models.apply(loyalty_view, envelope)
        return reply(ctx, texts.text(ctx.language, done))
    if choice:
        return reply(ctx, texts.text(ctx.language, "leaderboard.usage"))
    month = ctx.runtime.clock.now().strftime("%Y-%m")
    mine = ctx.runtime.read_models.get(COLLECTION, str(ctx.user_id))
    names: dict[int, str | None] = {}  # most names are on both boards: read each once
    parts = [_board(ctx, board, month, mine, names) for board in BOARDS]
    parts.append(texts.text(ctx.language, "leaderboard.hint"))
    return reply(ctx, "\n\n".join(parts))


def _board(
    ctx: Context,
    board: Board,
    month: str,
    mine: dict[str, Any] | None,
    names: dict[int, str | None],
) -> str:
    read_models, language = ctx.runtime.read_models, ctx.language
    where = {"hidden": False, "month": month}
    wanted = {name: where[name] for name in board.where}
    docs = [d for d in read_models.top(COLLECTION, board.field, wanted, SIZE) if d[board.field] > 0]
    lines = [texts.text(language, board.title)]
    for place, doc in enumerate(docs, start=1):
        user = int(doc["user_id"])
        if user not in names:
            names[user] = first_name(ctx, user)
        name = short_name(names[user], language)
        earned = _money(doc[board.field])
        lines.append(
            texts.text(language, "leaderboard.line", place=place, name=name, earned=earned)
        )
    if not docs:
        lines.append(texts.text(language, "leaderboard.empty"))
    lines.append(_you(ctx, board, wanted, mine))
    return "\n".join(lines)


def _you(ctx: Context, board: Board, wanted: dict[str, Any], mine: dict[str, Any] | None) -> str:
    if mine and mine.get("hidden"):
        return texts.text(ctx.language, "leaderboard.you_hidden")
    value = 0
    if mine and all(mine.get(k) == v for k, v in wanted.items() if k != "hidden"):
        value = int(mine.get(board.field, 0))
    if value <= 0:
        return texts.text(ctx.language, "leaderboard.you_none")
    above = ctx.runtime.read_models.count_above(COLLECTION, board.field, value, wanted)
    return texts.text(ctx.language, "leaderboard.you", place=above + 1, earned=_money(value))


def _money(amount: int) -> Money:
    return Money(amount=amount, currency=programme().currency)
