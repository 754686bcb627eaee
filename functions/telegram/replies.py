"""Questions the bot asks (Telegram ForceReply), and which question a reply answers.

No conversation state is stored. Telegram hands the question back with the answer, as the
reply's `reply_to_message`, text and entities included; so a question carries a machine
marker: an invisible link (a zero-width joiner) whose URL names the question's route and
its payload. The router reads only the marker, so the wording is free to change or be
translated. `link_preview_options` keeps Telegram from previewing the link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from functions.telegram.chat import Context, Handler, Reply, reply
from functions.telegram.routes import Ref
from functions.telegram.types import Message

MARKER_URL = "https://t.me/?soko_q="  # + "<question>.<payload>"
QUESTION = re.compile(r"[a-z][a-z0-9_]{0,31}")
PAYLOAD = re.compile(r"[A-Za-z0-9_.:-]{0,64}")  # e.g. "<order id>:<rail>"
MARKED = re.compile(
    re.escape(MARKER_URL.removeprefix("https://t.me/"))
    + rf"(?P<question>{QUESTION.pattern})\.(?P<payload>{PAYLOAD.pattern})(?:&|#|$)"
)
# Not whitespace, so no trimming removes it; drawn as nothing, so the link cannot be seen.
INVISIBLE = "\u200d"


def ask(ctx: Context, question: str, payload: str, text: str, placeholder: str) -> Reply:
    """A ForceReply question (`text` is HTML) whose answer goes to the `question` route,
    which gets `<payload> <answer>`."""
    if not QUESTION.fullmatch(question) or not PAYLOAD.fullmatch(payload):
        raise ValueError(f"not a question marker: {question!r} {payload!r}")
    marker = f'<a href="{MARKER_URL}{question}.{payload}">{INVISIBLE}</a>'
    answer = reply(ctx, text + marker)
    answer["reply_markup"] = {"force_reply": True, "input_field_placeholder": placeholder}
    answer["link_preview_options"] = {"is_disabled": True}
    return answer


@dataclass(frozen=True)
class Asked:
    """Which question a reply answers, and what the question was about."""

    question: str
    payload: str


def asked(question: Message) -> Asked | None:
    """The marker of a question this bot asked, read from a reply's `reply_to_message`."""
    sender = question.from_user
    if sender is None or sender.is_bot is not True:
        return None  # a reply to the user's own message, even one carrying a marker
    for entity in question.entities or ():
        url = entity.url
        linked = entity.type == "text_link" and isinstance(url, str)
        found = MARKED.search(unquote(url)) if linked and url else None
        if found is not None:
            return Asked(found["question"], found["payload"])
    return None


# Questions asked before they carried a marker, still in users' chats: routed by their
# wording to handlers that read the question's text. Drop these once a deploy is a day old:
# an unanswered question from before it is stale anyway.
LEGACY: tuple[tuple[str, Ref[Handler]], ...] = (
    ("Deposit with ", Ref("functions.telegram.deposits", "on_amount_reply")),
    (
        " phone number to pay order ",
        Ref("functions.telegram.shop_rails", "on_phone_reply"),
    ),
)


def legacy(question: Message) -> Ref[Handler] | None:
    """The handler of an unmarked question from before markers, by its wording."""
    text = question.text or ""
    return next((ref for wording, ref in LEGACY if wording in text), None)
