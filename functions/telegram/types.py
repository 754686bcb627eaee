"""The part of a Telegram update our handlers read, parsed and checked from the webhook's JSON.

Not python-telegram-bot: importing it costs the webhook's cold start ~95 ms (its Bot, its
request layer, every class) to parse a few objects, and it does not check field types. These
are read-only values (NamedTuples: frozen dataclasses with slots cost ~11 ms to define on
Python 3.11, these ~2.5 ms) with the Bot API's field names and PTB's attribute names (`from` is
`from_user`; absent lists are empty tuples; dates are aware UTC datetimes), so a differential
test (tests/unit/test_update_types.py) can hold them equal to PTB's.

Only what some handler reads is modelled, and each such field is checked against its wire
type: a body that is not an update, or whose field of ours has the wrong type, is
MalformedUpdate (the webhook's 400). Anything else in the body is ignored, as Telegram adds
fields and kinds of update over time. Stdlib only.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")
# No `from __future__ import annotations` here: NamedTuple turns string annotations into
# ForwardRefs, compiling each one at import.


class MalformedUpdate(ValueError):
    """The body is not a Telegram update we can read; the message names the field."""


class User(NamedTuple):
    id: int
    is_bot: bool
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class Chat(NamedTuple):
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class MessageEntity(NamedTuple):
    type: str
    offset: int
    length: int
    url: str | None = None


class PhotoSize(NamedTuple):
    file_id: str
    width: int
    height: int


class InlineKeyboardButton(NamedTuple):
    text: str
    callback_data: str | None = None
    url: str | None = None


class InlineKeyboardMarkup(NamedTuple):
    inline_keyboard: tuple[tuple[InlineKeyboardButton, ...], ...]


class SuccessfulPayment(NamedTuple):
    currency: str
    total_amount: int
    invoice_payload: str
    telegram_payment_charge_id: str
    is_recurring: bool | None = None
    is_first_recurring: bool | None = None
    subscription_expiration_date: datetime | None = None


class RefundedPayment(NamedTuple):
    currency: str
    total_amount: int
    invoice_payload: str
    telegram_payment_charge_id: str


class Message(NamedTuple):
    message_id: int
    date: datetime
    chat: Chat
    from_user: User | None = None
    text: str | None = None
    caption: str | None = None
    entities: tuple[MessageEntity, ...] = ()
    photo: tuple[PhotoSize, ...] = ()
    reply_markup: InlineKeyboardMarkup | None = None
    reply_to_message: "Message | None" = None
    successful_payment: SuccessfulPayment | None = None
    refunded_payment: RefundedPayment | None = None


class InaccessibleMessage(NamedTuple):
    """A button's message too old for Telegram to show the bot (its `date` is 0)."""

    message_id: int
    date: datetime
    chat: Chat


class CallbackQuery(NamedTuple):
    id: str
    from_user: User
    data: str | None = None
    message: Message | InaccessibleMessage | None = None


class PreCheckoutQuery(NamedTuple):
    id: str
    from_user: User
    currency: str
    total_amount: int
    invoice_payload: str


class ChatMember(NamedTuple):
    """Any status; the rights are an administrator's (False for every other status)."""

    status: str
    user: User
    can_invite_users: bool = False
    can_restrict_members: bool = False


class ChatInviteLink(NamedTuple):
    invite_link: str
    name: str | None = None


class ChatMemberUpdated(NamedTuple):
    chat: Chat
    from_user: User
    date: datetime
    old_chat_member: ChatMember
    new_chat_member: ChatMember
    invite_link: ChatInviteLink | None = None


class ChatJoinRequest(NamedTuple):
    chat: Chat
    from_user: User
    user_chat_id: int
    date: datetime
    invite_link: ChatInviteLink | None = None


class Update(NamedTuple):
    update_id: int
    message: Message | None = None
    callback_query: CallbackQuery | None = None
    pre_checkout_query: PreCheckoutQuery | None = None
    my_chat_member: ChatMemberUpdated | None = None
    chat_member: ChatMemberUpdated | None = None
    chat_join_request: ChatJoinRequest | None = None

    @property
    def effective_user(self) -> User | None:
        """Who sent the update, as PTB picks it for the kinds modelled here."""
        if self.message is not None:
            return self.message.from_user
        for sent in (self.callback_query, self.pre_checkout_query, self.my_chat_member,
                     self.chat_member, self.chat_join_request):  # fmt: skip
            if sent is not None:
                return sent.from_user
        return None

    @property
    def effective_chat(self) -> Chat | None:
        """The chat the update happened in (None for a pre-checkout query), as PTB's."""
        if self.message is not None:
            return self.message.chat
        if self.callback_query is not None:
            shown = self.callback_query.message
            return shown.chat if shown is not None else None
        for happened in (self.my_chat_member, self.chat_member, self.chat_join_request):
            if happened is not None:
                return happened.chat
        return None


def parse_update(body: Any) -> Update:
    """The update in a webhook body, or MalformedUpdate."""
    f = _Fields(body, "update")
    update_id = f.number("update_id")
    if update_id < 0:
        raise MalformedUpdate("update.update_id is negative")
    return Update(
        update_id=update_id,
        message=f.optional("message", _message),
        callback_query=f.optional("callback_query", _callback_query),
        pre_checkout_query=f.optional("pre_checkout_query", _pre_checkout_query),
        my_chat_member=f.optional("my_chat_member", _member_updated),
        chat_member=f.optional("chat_member", _member_updated),
        chat_join_request=f.optional("chat_join_request", _join_request),
    )


class _Fields:
    """Typed reads of one JSON object's fields; a wrong type is MalformedUpdate naming it."""

    __slots__ = ("_data", "_where")

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise MalformedUpdate(f"{where} is not an object")
        self._data: dict[str, Any] = value
        self._where = where

    def _wrong(self, key: str, wanted: str) -> MalformedUpdate:
        return MalformedUpdate(f"{self._where}.{key} is missing or not {wanted}")

    def number(self, key: str) -> int:
        value = self._data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._wrong(key, "an integer")
        return value

    def text(self, key: str) -> str:
        value = self._data.get(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def date(self, key: str) -> datetime:
        try:
            return datetime.fromtimestamp(self.number(key), UTC)
        except (OverflowError, OSError, ValueError) as err:
            raise self._wrong(key, "a unix time") from err

    def optional_date(self, key: str) -> datetime | None:
        return self.date(key) if self._data.get(key) is not None else None

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if self._data.get(key) is not None else None

    def optional_flag(self, key: str) -> bool | None:
        value = self._data.get(key)
        if value is not None and not isinstance(value, bool):
            raise self._wrong(key, "a boolean")
        return value

    def optional(self, key: str, parse: Callable[[Any, str], T]) -> T | None:
        value = self._data.get(key)
        return parse(value, f"{self._where}.{key}") if value is not None else None

    def required(self, key: str, parse: Callable[[Any, str], T]) -> T:
        return parse(self._data.get(key), f"{self._where}.{key}")

    def items(
        self, key: str, parse: Callable[[Any, str], T], needed: bool = False
    ) -> tuple[T, ...]:
        value = self._data.get(key)
        if value is None and not needed:
            return ()
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return tuple(parse(item, f"{self._where}.{key}[{i}]") for i, item in enumerate(value))


def _user(value: Any, where: str) -> User:
    f = _Fields(value, where)
    is_bot = f.optional_flag("is_bot")
    if is_bot is None:
        raise MalformedUpdate(f"{where}.is_bot is missing")
    return User(
        id=f.number("id"), is_bot=is_bot, first_name=f.text("first_name"),
        last_name=f.optional_text("last_name"), username=f.optional_text("username"),
        language_code=f.optional_text("language_code"),
    )  # fmt: skip


def _chat(value: Any, where: str) -> Chat:
    f = _Fields(value, where)
    return Chat(
        id=f.number("id"), type=f.text("type"), title=f.optional_text("title"),
        username=f.optional_text("username"), first_name=f.optional_text("first_name"),
        last_name=f.optional_text("last_name"),
    )  # fmt: skip


def _entity(value: Any, where: str) -> MessageEntity:
    f = _Fields(value, where)
    return MessageEntity(f.text("type"), f.number("offset"), f.number("length"),
                         f.optional_text("url"))  # fmt: skip


def _photo_size(value: Any, where: str) -> PhotoSize:
    f = _Fields(value, where)
    return PhotoSize(f.text("file_id"), f.number("width"), f.number("height"))


def _button(value: Any, where: str) -> InlineKeyboardButton:
    f = _Fields(value, where)
    return InlineKeyboardButton(f.text("text"), f.optional_text("callback_data"),
                                f.optional_text("url"))  # fmt: skip


def _button_row(value: Any, where: str) -> tuple[InlineKeyboardButton, ...]:
    return _Fields({"row": value}, where).items("row", _button, needed=True)


def _keyboard(value: Any, where: str) -> InlineKeyboardMarkup:
    """A message's markup: the Bot API delivers only inline keyboards."""
    return InlineKeyboardMarkup(_Fields(value, where).items("inline_keyboard", _button_row, True))


def _amount(f: _Fields) -> int:
    amount = f.number("total_amount")
    if amount <= 0:
        raise MalformedUpdate("total_amount is not positive")
    return amount


def _charge_id(f: _Fields) -> str:
    charge = f.text("telegram_payment_charge_id")
    if not charge:
        raise MalformedUpdate("telegram_payment_charge_id is empty")
    return charge


def _successful_payment(value: Any, where: str) -> SuccessfulPayment:
    f = _Fields(value, where)
    return SuccessfulPayment(
        currency=f.text("currency"), total_amount=_amount(f),
        invoice_payload=f.text("invoice_payload"), telegram_payment_charge_id=_charge_id(f),
        is_recurring=f.optional_flag("is_recurring"),
        is_first_recurring=f.optional_flag("is_first_recurring"),
        subscription_expiration_date=f.optional_date("subscription_expiration_date"),
    )  # fmt: skip


def _refunded_payment(value: Any, where: str) -> RefundedPayment:
    f = _Fields(value, where)
    return RefundedPayment(f.text("currency"), _amount(f), f.text("invoice_payload"),
                           _charge_id(f))  # fmt: skip


def _message(value: Any, where: str) -> Message:
    return _message_at(value, where, replied=False)


def _message_at(value: Any, where: str, replied: bool) -> Message:
    """A message; the one it replies to is read one level down only: Telegram nests no
    deeper, and a deeper body is a sender's, not worth our recursion."""
    f = _Fields(value, where)
    reply_to = f.optional("reply_to_message", _replied) if not replied else None
    return Message(
        message_id=f.number("message_id"), date=f.date("date"), chat=f.required("chat", _chat),
        from_user=f.optional("from", _user),
        text=f.optional_text("text"), caption=f.optional_text("caption"),
        entities=f.items("entities", _entity), photo=f.items("photo", _photo_size),
        reply_markup=f.optional("reply_markup", _keyboard), reply_to_message=reply_to,
        successful_payment=f.optional("successful_payment", _successful_payment),
        refunded_payment=f.optional("refunded_payment", _refunded_payment),
    )  # fmt: skip


def _replied(value: Any, where: str) -> Message:
    return _message_at(value, where, replied=True)


def _shown_message(value: Any, where: str) -> Message | InaccessibleMessage:
    """A button's message; date 0 marks one Telegram no longer shows (as PTB reads it)."""
    f = _Fields(value, where)
    if f.number("date") == 0:
        return InaccessibleMessage(
            f.number("message_id"), f.date("date"), f.required("chat", _chat)
        )
    return _message(value, where)


def _callback_query(value: Any, where: str) -> CallbackQuery:
    f = _Fields(value, where)
    return CallbackQuery(
        id=f.text("id"), from_user=f.required("from", _user),
        data=f.optional_text("data"), message=f.optional("message", _shown_message),
    )  # fmt: skip


def _pre_checkout_query(value: Any, where: str) -> PreCheckoutQuery:
    f = _Fields(value, where)
    return PreCheckoutQuery(
        id=f.text("id"), from_user=f.required("from", _user),
        currency=f.text("currency"), total_amount=f.number("total_amount"),
        invoice_payload=f.text("invoice_payload"),
    )  # fmt: skip


def _member(value: Any, where: str) -> ChatMember:
    f = _Fields(value, where)
    status, user = f.text("status"), f.required("user", _user)
    if status != "administrator":
        return ChatMember(status, user)
    rights = [f.optional_flag(r) for r in ("can_invite_users", "can_restrict_members")]
    if None in rights:
        raise MalformedUpdate(f"{where} is an administrator without its rights")
    return ChatMember(status, user, rights[0] is True, rights[1] is True)


def _invite_link(value: Any, where: str) -> ChatInviteLink:
    f = _Fields(value, where)
    return ChatInviteLink(f.text("invite_link"), f.optional_text("name"))


def _member_updated(value: Any, where: str) -> ChatMemberUpdated:
    f = _Fields(value, where)
    return ChatMemberUpdated(
        chat=f.required("chat", _chat),
        from_user=f.required("from", _user), date=f.date("date"),
        old_chat_member=f.required("old_chat_member", _member),
        new_chat_member=f.required("new_chat_member", _member),
        invite_link=f.optional("invite_link", _invite_link),
    )  # fmt: skip


def _join_request(value: Any, where: str) -> ChatJoinRequest:
    f = _Fields(value, where)
    return ChatJoinRequest(
        chat=f.required("chat", _chat),
        from_user=f.required("from", _user),
        user_chat_id=f.number("user_chat_id"), date=f.date("date"),
        invite_link=f.optional("invite_link", _invite_link),
    )  # fmt: skip
