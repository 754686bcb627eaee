"""`/circles new` without terms: the create conversation, as questions and inline keyboards
(name → currency → contribution → period → size → rotation → deposit rule → confirm).

No conversation state is stored, as everywhere in the bot (replies.py): the terms chosen so
far travel in each button's callback_data (`cnew:<currency>.<minor units>.<period>.<size>.
<rotation>.<deposit>`, at most ~45 bytes) and in the question markers; the name, which
callback_data could not hold, rides in the message itself as an invisible link that the
next tap or answer reads back, like a question's marker. Each keyboard step edits the one
message in place. Confirm creates the circle exactly as `/circles new <terms>` does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from events import Money
from events.money import MoneyError, parse_money
from functions import texts
from functions.contexts.circles import circle_settings
from functions.telegram.chat import Context, Reply, on_stale_button, reply
from functions.telegram.circles import create_typed, on_circles
from functions.telegram.replies import INVISIBLE, ask
from functions.telegram.types import InaccessibleMessage, Message

PREFIX = "cnew"
NAME_URL = "https://t.me/?soko_circle="  # + the name, percent-encoded
PERIODS = ("daily", "weekly", "monthly", "14d")
SIZES = ("3", "4", "5", "6", "8", "10", "12", "15", "20", "25", "30", "50")
ROTATIONS = ("join", "random", "owner")


def start(ctx: Context) -> Reply:
    """The first question again (an empty name, or a step whose name was lost)."""
    return on_circles(ctx, "new")


def on_name_answer(ctx: Context, argument: str) -> Reply:
    """`new <name>`: the name given; which currency?"""
    name = argument.partition(" ")[2].strip()[:64]
    if not name:
        return start(ctx)
    codes = dict.fromkeys(
        (ctx.runtime.settings.default_currency, *circle_settings().currencies)
    )  # fmt: skip
    rows = [[_button(code, code) for code in codes]]
    return _step(ctx, name, texts.text(ctx.language, "circles.ask_currency"), rows)


def on_amount_answer(ctx: Context, argument: str) -> Reply:
    """`<currency> <amount>`: the contribution typed; which period?"""
    code, _, typed = argument.partition(" ")
    name = name_in(ctx.message.reply_to_message if ctx.message else None)
    try:
        amount = parse_money(typed, code)
    except MoneyError as err:
        return reply(ctx, texts.text(ctx.language, "circles.bad_amount", problem=str(err)))
    if not name or amount.amount <= 0:
        return start(ctx)
    draft = f"{code}.{amount.amount}"
    periods = (*PERIODS, "3min") if circle_settings().allow_minutes else PERIODS  # locally
    rows = [[_button(_period_label(ctx, p), f"{draft}.{p}") for p in periods]]
    return _step(ctx, name, texts.text(ctx.language, "circles.ask_period"), rows)


def on_step(ctx: Context, data: str) -> Reply:
    """A keyboard tap: `<draft so far>`, the next question; `<draft>.ok`, create."""
    query = ctx.update.callback_query
    name = name_in(query.message if query is not None else None)
    parts = data.split(".")
    if not name or data == "x":
        return _edit(ctx, texts.text(ctx.language, "circles.create_cancelled"), [])
    if len(parts) == 1:  # the currency: the amount is typed
        question = texts.text(ctx.language, "circles.ask_amount", currency=parts[0])
        return ask(ctx, "circle_amount", parts[0], question + marker(name), "500")
    if len(parts) == 7 and parts[-1] == "ok":
        return _create(ctx, name, parts[:-1])
    if not 3 <= len(parts) <= 6:
        return on_stale_button(ctx, data)
    asked, options = NEXT[len(parts)]
    labels = [(o, _option_label(ctx, len(parts), o, parts)) for o in options(parts)]
    rows = [[_button(label, f"{data}.{o}") for o, label in labels[i : i + 4]]
            for i in range(0, len(labels), 4)]  # fmt: skip
    if len(parts) == 6:
        rows = [[_button(texts.text(ctx.language, "circles.button_create"), f"{data}.ok"),
                 _button(texts.text(ctx.language, "circles.button_not_now"), "x")]]  # fmt: skip
    return _edit(ctx, _summary(ctx, name, parts) + "\n\n" + texts.text(ctx.language, asked), rows)


# After a draft of n parts, the question asked and its options.
NEXT: dict[int, tuple[str, Any]] = {
    3: ("circles.ask_size", lambda parts: SIZES),
    4: ("circles.ask_rotation", lambda parts: ROTATIONS),
    5: ("circles.ask_deposit", lambda parts: tuple(dict.fromkeys(("0", "1", "2", parts[3])))),
    6: ("circles.ask_confirm", lambda parts: ()),
}


def _create(ctx: Context, name: str, parts: list[str]) -> Reply:
    code, minor, period, size, rotation, deposit = parts
    if not minor.isdigit():
        return on_stale_button(ctx, ".".join(parts))
    words = [*name.split(), "-", period, size, f"rotation={rotation}", f"deposit={deposit}"]
    return create_typed(ctx, words, Money(amount=int(minor), currency=code))


def _summary(ctx: Context, name: str, parts: list[str]) -> str:
    language, amount = ctx.language, Money(amount=int(parts[1]), currency=parts[0])
    said = texts.text(language, "circles.draft", name=name, amount=amount,
                      period=_period_label(ctx, parts[2]))  # fmt: skip
    if len(parts) > 3:
        said += texts.text(language, "circles.draft_size", size=parts[3])
    if len(parts) > 4:
        rotation = texts.text(language, f"circles.rotation_{parts[4]}")
        said += texts.text(language, "circles.draft_rotation", rotation=rotation)
    if len(parts) > 5:
        said += texts.text(language, "circles.draft_deposit", rounds=parts[5])
    return said + marker(name)


def _period_label(ctx: Context, period: str) -> str:
    return texts.text(ctx.language, f"circles.period_{period}") if period in PERIODS[:3] else period


def _option_label(ctx: Context, step: int, option: str, parts: list[str]) -> str:
    if step == 4:
        return texts.text(ctx.language, f"circles.button_rotation_{option}")
    if step == 5:
        return texts.text(ctx.language, "circles.button_deposit", rounds=option)
    return option


def marker(name: str) -> str:
    """The name, invisible in the message, for the next step to read back."""
    return f'<a href="{NAME_URL}{quote(name, safe="")}">{INVISIBLE}</a>'


def name_in(message: Message | InaccessibleMessage | None) -> str:
    """The name a step's message carries (see `marker`), or "" when it carries none (or
    Telegram no longer shows the bot that message)."""
    for entity in message.entities if isinstance(message, Message) else ():
        url = entity.url or ""
        if entity.type == "text_link" and url.startswith(NAME_URL):
            return unquote(url.removeprefix(NAME_URL))[:64].strip()
    return ""


def _button(label: str, data: str) -> dict[str, str]:
    return {"text": label, "callback_data": f"{PREFIX}:{data}"}


def _step(ctx: Context, name: str, question: str, rows: list[list[dict[str, str]]]) -> Reply:
    said = texts.text(ctx.language, "circles.draft_name", name=name) + marker(name)
    answer = reply(ctx, f"{said}\n\n{question}")
    answer["reply_markup"] = {"inline_keyboard": rows}
    answer["link_preview_options"] = {"is_disabled": True}
    return answer


def _edit(ctx: Context, text: str, rows: list[list[dict[str, str]]]) -> Reply:
    query = ctx.update.callback_query
    message = query.message if query is not None else None
    answer: Reply = {"text": text, "parse_mode": "HTML", "reply_markup": {"inline_keyboard": rows},
                     "link_preview_options": {"is_disabled": True}}  # fmt: skip
    if message is None:
        return {**reply(ctx, text), **answer}
    return {"method": "editMessageText", "chat_id": ctx.chat_id,
            "message_id": message.message_id, **answer}  # fmt: skip
