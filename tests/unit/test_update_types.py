"""Our update types (functions/telegram/types.py) read what python-telegram-bot reads.

PTB stays the reference here: each realistic update is parsed by `telegram.Update.de_json`
and by ours, and every attribute our handlers read must come out equal. Garbage, fuzzed,
is a BadRequest (the webhook's 400) and never another exception (a 500).
"""

from __future__ import annotations

import contextlib
import copy
import subprocess
import sys
from typing import Any

import pytest
import telegram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.http import BadRequest
from functions.telegram import types
from functions.telegram.webhook import parse_update
from tests.builders import answer_to, button_update, pre_checkout_update, text_update
from tests.fakes.telegram import objects
from tests.fakes.telegram.chats import Link, admin_member, member_object

pytestmark = pytest.mark.unit
BOT = objects.bot_user(123456, "SokoBot", "Soko")
AMINA = objects.human_user(4242, "Amina", "sw", "amina")
CHANNEL = {"id": -1001234567890, "type": "channel", "title": "Soko News"}
DATE = 1767225600
LINK = Link("https://t.me/+abc123", AMINA, name="sub-4242", member_limit=1).to_json()


def _message(content: dict[str, Any], update_id: int = 1) -> dict[str, Any]:
    chat = objects.chat_object(AMINA["id"], AMINA)
    return {"update_id": update_id, "message": objects.message(9, DATE, chat, AMINA, content)}


def _question() -> dict[str, Any]:
    marker = '<a href="https://t.me/?soko_q=order_phone.o1:mpesa">\u200d</a>'
    return {"text": f"Your phone &amp; network?{marker}", "parse_mode": "HTML"}


def _paid(**extra: Any) -> dict[str, Any]:
    return {"currency": "XTR", "total_amount": 250, "invoice_payload": "pay-1",
            "telegram_payment_charge_id": "stxABC", "provider_payment_charge_id": "4242_1",
            **extra}  # fmt: skip


def _keyboard_button() -> dict[str, Any]:
    update = button_update("hold:ok:p1", user_id=4242)
    update["callback_query"]["message"]["reply_markup"] = {"inline_keyboard": [
        [{"text": "Confirm", "callback_data": "hold:ok:p1"},
         {"text": "Reject", "callback_data": "hold:no:p1"}],
        [{"text": "Open", "url": "https://t.me/SokoBot"}],
    ]}  # fmt: skip
    return update


def _inaccessible_button() -> dict[str, Any]:
    update = button_update("shop:home", user_id=4242)
    update["callback_query"]["message"] = {"message_id": 7, "date": 0,
                                           "chat": {"id": 4242, "type": "private"}}  # fmt: skip
    return update


def _member_update(kind: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    changed = {"chat": CHANNEL, "from": AMINA, "date": DATE,
               "old_chat_member": old, "new_chat_member": new}  # fmt: skip
    if kind == "chat_member":
        changed["invite_link"] = LINK
    return {"update_id": 5, kind: changed}


RIGHTS = {"can_invite_users": True, "can_restrict_members": False, "can_manage_chat": True}
CORPUS: dict[str, dict[str, Any]] = {
    "text message": text_update("hello there", user_id=4242, language="sw"),
    "command with entities": text_update("/start ref_abc", user_id=4242),
    "reply_to_message": answer_to(_question(), "0712345678", user_id=4242),
    "callback_query with message": button_update("shop:b:p1:1", user_id=4242),
    "callback_query with a keyboard": _keyboard_button(),
    "callback_query on an inaccessible message": _inaccessible_button(),
    "callback_query without a message": {
        "update_id": 3,
        "callback_query": {"id": "cq-3", "from": AMINA, "chat_instance": "ci", "data": "x:1"},
    },
    "pre_checkout_query": pre_checkout_update("pay-1", 250, user_id=4242),
    "successful_payment": _message({"successful_payment": _paid()}),
    "successful_payment of a subscription": _message(
        {
            "successful_payment": _paid(
                is_recurring=True,
                is_first_recurring=False,
                subscription_expiration_date=DATE + 2_592_000,
            )
        }
    ),
    "refunded_payment": _message({"refunded_payment": _paid()}),
    "photo with caption": _message(
        {
            "photo": objects.photo_sizes("product-1", 51_200),
            "caption": "/photo p1",
            "caption_entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        }
    ),
    "contact": _message(
        {"contact": {"phone_number": "+254712345678", "first_name": "Amina", "user_id": 4242}}
    ),
    "my_chat_member: made an administrator": _member_update(
        "my_chat_member", member_object(BOT, "left"), admin_member(BOT, RIGHTS)
    ),
    "my_chat_member: removed": _member_update(
        "my_chat_member", admin_member(BOT, RIGHTS), member_object(BOT, "left")
    ),
    "chat_member: joined through a link": _member_update(
        "chat_member", member_object(AMINA, "left"), member_object(AMINA, "member")
    ),
    "chat_member: banned": _member_update(
        "chat_member", member_object(AMINA, "member"), member_object(AMINA, "kicked")
    ),
    "chat_join_request": {
        "update_id": 6,
        "chat_join_request": {
            "chat": CHANNEL,
            "from": AMINA,
            "user_chat_id": 4242,
            "date": DATE,
            "invite_link": {**LINK, "creates_join_request": True},
        },
    },
}


def _user(user: Any) -> Any:
    if user is None:
        return None
    return (user.id, user.is_bot, user.first_name, user.last_name, user.username,
            user.language_code)  # fmt: skip


def _chat(chat: Any) -> Any:
    return None if chat is None else (chat.id, chat.type, chat.title)


def _payment(paid: Any, subscription: bool) -> Any:
    if paid is None:
        return None
    read = (paid.currency, paid.total_amount, paid.invoice_payload,
            paid.telegram_payment_charge_id)  # fmt: skip
    if subscription:
        read += (paid.is_recurring, paid.is_first_recurring, paid.subscription_expiration_date)
    return read


def _message_view(message: Any) -> Any:
    """Everything a handler reads of a message (functions/telegram/*.py)."""
    if message is None:
        return None
    # PTB 22 parses a button's message as a Message even when it is inaccessible (date 0,
    # the Bot API's InaccessibleMessage) and says so in is_accessible; ours is the type.
    if isinstance(message, types.InaccessibleMessage) or not getattr(message, "is_accessible", 1):
        return ("inaccessible", message.message_id, message.date, _chat(message.chat))
    markup = message.reply_markup
    return {
        "message_id": message.message_id, "date": message.date, "chat": _chat(message.chat),
        "from": _user(message.from_user), "text": message.text, "caption": message.caption,
        "entities": [(e.type, e.offset, e.length, e.url) for e in message.entities],
        "photo": [(p.file_id, p.width, p.height) for p in message.photo],
        "keyboard": None if markup is None else [
            [(b.text, b.callback_data, b.url) for b in row] for row in markup.inline_keyboard],
        "reply_to": _message_view(message.reply_to_message),
        "paid": _payment(message.successful_payment, subscription=True),
        "refunded": _payment(message.refunded_payment, subscription=False),
    }  # fmt: skip


def _member(member: Any) -> Any:
    read = (member.status, _user(member.user))
    if member.status == "administrator":
        read += (member.can_invite_users, member.can_restrict_members)
    return read


def _link(link: Any) -> Any:
    return None if link is None else (link.invite_link, link.name)


def _changed(changed: Any) -> Any:
    if changed is None:
        return None
    return (_chat(changed.chat), _user(changed.from_user), changed.date,
            _member(changed.old_chat_member), _member(changed.new_chat_member),
            _link(changed.invite_link))  # fmt: skip


def view(update: Any) -> dict[str, Any]:
    """Every attribute our code reads of an update, as plain values, from PTB's or ours."""
    query, checkout, join = update.callback_query, update.pre_checkout_query, None
    if update.chat_join_request is not None:
        asked = update.chat_join_request
        join = (_chat(asked.chat), _user(asked.from_user), asked.user_chat_id, asked.date,
                _link(asked.invite_link))  # fmt: skip
    return {
        "update_id": update.update_id,
        "effective_user": _user(update.effective_user),
        "effective_chat": _chat(update.effective_chat),
        "message": _message_view(update.message),
        "callback_query": None if query is None else (
            query.id, query.data, _user(query.from_user), _message_view(query.message)),
        "pre_checkout_query": None if checkout is None else (
            checkout.id, _user(checkout.from_user), checkout.currency, checkout.total_amount,
            checkout.invoice_payload),
        "my_chat_member": _changed(update.my_chat_member),
        "chat_member": _changed(update.chat_member),
        "chat_join_request": join,
    }  # fmt: skip


@pytest.mark.parametrize("body", CORPUS.values(), ids=CORPUS.keys())
def test_ours_read_every_field_as_python_telegram_bot_does(body: dict[str, Any]) -> None:
    theirs = telegram.Update.de_json(copy.deepcopy(body), None)
    ours = parse_update(copy.deepcopy(body))
    assert view(ours) == view(theirs)
    assert view(ours)["effective_user"] is not None  # the corpus exercises what it claims


def test_the_corpus_covers_every_kind_of_update_we_route() -> None:
    kinds = {kind for body in CORPUS.values() for kind in body if kind != "update_id"}
    assert kinds == {"message", "callback_query", "pre_checkout_query", "my_chat_member",
                     "chat_member", "chat_join_request"}  # fmt: skip


def test_fields_and_kinds_of_update_we_do_not_read_are_ignored() -> None:
    body = copy.deepcopy(CORPUS["text message"])
    body["message"]["story"] = {"chat": 5, "id": "not even the right types"}
    body["message_reaction"] = {"whatever": [1, 2]}
    assert parse_update(body).message == parse_update(CORPUS["text message"]).message
    unknown = parse_update({"update_id": 9, "business_connection": {"id": "b"}})
    assert unknown.effective_user is None
    assert unknown.effective_chat is None


def test_a_reply_is_read_one_level_deep_as_telegram_nests_it() -> None:
    body = copy.deepcopy(CORPUS["reply_to_message"])
    inner = body["message"]["reply_to_message"]
    inner["reply_to_message"] = copy.deepcopy(inner)
    update = parse_update(body)
    assert update.message is not None
    assert update.message.reply_to_message is not None
    assert update.message.reply_to_message.reply_to_message is None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("message", "successful_payment", "total_amount"), "250"),
        (("message", "successful_payment", "total_amount"), 0),
        (("message", "successful_payment", "telegram_payment_charge_id"), ""),
        (("message", "successful_payment", "is_recurring"), "yes"),
        (("message", "date"), 10**20),  # no datetime holds it
        (("message", "entities"), {"type": "bot_command"}),
        (("message", "photo", 0, "width"), "800"),
        (("message", "from", "is_bot"), None),
        (("message", "chat"), None),
    ],
)
def test_a_field_we_read_of_the_wrong_type_is_a_bad_request(
    path: tuple[Any, ...], value: Any
) -> None:
    body = copy.deepcopy(CORPUS["successful_payment"])
    body["message"]["photo"] = objects.photo_sizes("p", 100)
    _set(body, path, value)
    with pytest.raises(BadRequest):
        parse_update(body)


def test_an_administrator_without_its_rights_is_a_bad_request() -> None:
    body = copy.deepcopy(CORPUS["my_chat_member: made an administrator"])
    del body["my_chat_member"]["new_chat_member"]["can_invite_users"]
    with pytest.raises(BadRequest):
        parse_update(body)


def _set(body: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        body = body[step]
    body[path[-1]] = value


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value, the value itself included (the empty path)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += _paths(inner, (*prefix, i))
    return found


EDGES = st.sampled_from([0, -1, 10**20, -(10**20), 2**63, "", "0", [], {}, True])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    | EDGES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip


def _parses_or_is_a_bad_request(body: Any) -> None:
    with contextlib.suppress(BadRequest):
        parse_update(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(CORPUS.values())), st.data())
def test_a_mangled_update_parses_or_is_a_bad_request_never_another_error(
    body: dict[str, Any], data: st.DataObject
) -> None:
    body = copy.deepcopy(body)
    path = data.draw(st.sampled_from(_paths(body)[1:]))  # not the body itself
    if data.draw(st.booleans()):
        _set(body, path, data.draw(JSON))
    else:
        holder = body
        for step in path[:-1]:
            holder = holder[step]
        del holder[path[-1]]
    _parses_or_is_a_bad_request(body)


@settings(max_examples=200, deadline=None)
@given(JSON | st.dictionaries(st.sampled_from(["update_id", "message", "callback_query",
                                               "chat_member"]), JSON))  # fmt: skip
def test_any_json_parses_or_is_a_bad_request_never_another_error(body: Any) -> None:
    _parses_or_is_a_bad_request(body)


def test_the_webhook_does_not_import_python_telegram_bot() -> None:
    """Every module of functions/ and events/, the webhook's entry point among them, in a
    fresh interpreter: PTB's import would cost the webhook's cold start ~95 ms."""
    probe = (
        "import importlib, pkgutil, sys\n"
        "import main, functions, events\n"
        "from functions.telegram import webhook\n"
        "for package in (functions, events):\n"
        "    for found in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(found.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'telegram'))\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)  # fmt: skip
    assert ran.stdout.strip() == "[]"


def test_our_types_are_read_only() -> None:
    update = parse_update(CORPUS["text message"])
    with pytest.raises(AttributeError):
        update.update_id = 5  # type: ignore[misc]
    assert isinstance(update, types.Update)
