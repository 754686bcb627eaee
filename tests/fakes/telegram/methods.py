"""The Bot API methods the fake implements, validated the way Telegram validates them.

Error texts are Telegram's where they are well known ("chat_id is empty", "message text is
empty", "message to edit not found", ...). Where Telegram's exact wording is not known to us
the text says plainly what is wrong; tests should assert on status codes, not on those.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import chats, objects
from .state import Invoice, OpenQuery, TelegramState, Webhook, chat_key
from .wire import ApiError, ApiRequest, JsonDict, UploadedFile, bad_request

ChatId = int | str
Handler = Callable[[TelegramState, ApiRequest], Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
STALE_QUERY = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class Described:
    """A result Telegram sends with a `description` too (setWebhook: "Webhook was set")."""

    result: Any
    description: str


# -- reading parameters ---------------------------------------------------------------------


def _present(params: JsonDict, name: str) -> bool:
    return params.get(name) not in (None, "")


def require(params: JsonDict, name: str, reason: str | None = None) -> Any:
    if not _present(params, name):
        raise bad_request(reason or f'parameter "{name}" is required')
    return params[name]


def require_chat(params: JsonDict) -> ChatId:
    return chat_key(require(params, "chat_id", "chat_id is empty"))


def require_int(params: JsonDict, name: str, reason: str | None = None) -> int:
    value = require(params, name, reason)
    if isinstance(value, bool):
        raise bad_request(reason or f'field "{name}" must be of type Integer')
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(reason or f'field "{name}" must be of type Integer') from None


def as_bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def visible_text(text: str, parse_mode: Any) -> str:
    """What the user reads: HTML markup is parsed away (Markdown is kept verbatim)."""
    if str(parse_mode).lower() == "html":
        return html.unescape(re.sub(r"<[^>]*>", "", text))
    return text


def link_entities(text: str, parse_mode: Any) -> list[JsonDict]:
    """The `text_link` entities Telegram makes of HTML `<a href>` tags, at UTF-16 offsets
    into the visible text: a reply's `reply_to_message` carries them back to the bot."""
    if str(parse_mode).lower() != "html":
        return []
    entities: list[JsonDict] = []
    shown, opened = 0, None
    for piece in re.split(r"(<[^>]*>)", text):
        href = re.fullmatch(r'<a\s+href="([^"]*)"\s*>', piece)
        if href is not None:
            opened = (shown, html.unescape(href.group(1)))
        elif piece == "</a>" and opened is not None:
            start, url = opened
            entities.append({"type": "text_link", "offset": start, "length": shown - start,
                             "url": url})  # fmt: skip
            opened = None
        elif not piece.startswith("<"):
            shown += len(html.unescape(piece).encode("utf-16-le")) // 2
    return entities


def inline_markup(params: JsonDict) -> JsonDict | None:
    """The inline keyboard to attach, after Telegram's check on callback_data (1-64 bytes)."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for button in objects.inline_buttons(markup):
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    if "inline_keyboard" not in markup:
        return None  # reply keyboards change the user's keyboard, not the message
    return {"inline_keyboard": markup["inline_keyboard"]}


# -- sending --------------------------------------------------------------------------------


def gate(state: TelegramState, chat_id: ChatId) -> None:
    """Refuse a message (or an edit) Telegram would refuse: blocked user (403) or flood
    limit (429)."""
    if chat_id in state.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    wait = state.flood.admit(chat_id)
    if wait is not None:
        raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})


def deliver(
    state: TelegramState,
    chat_id: ChatId,
    kind: str,
    shown: str,
    content: JsonDict,
    markup: JsonDict | None,
) -> JsonDict:
    if markup is not None:
        content = {**content, "reply_markup": markup}
    msg = state.new_message(chat_id, state.bot(), content)
    state.note_bot(chat_id, kind, shown, msg)
    return msg


def message_text(params: JsonDict) -> str:
    text = visible_text(str(params.get("text") or ""), params.get("parse_mode"))
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text


def caption(params: JsonDict) -> str:
    text = visible_text(str(params.get("caption") or ""), params.get("parse_mode"))
    if len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return text


def media_source(request: ApiRequest, name: str) -> tuple[str, UploadedFile | None]:
    """An uploaded file (multipart part or attach://) or a file_id / URL string."""
    value = request.params.get(name)
    upload = request.files.get(name)
    if isinstance(value, str) and value.startswith("attach://"):
        upload = request.files.get(value.removeprefix("attach://"))
    if upload is not None:
        return f"{upload.filename}:{upload.size}", upload
    if isinstance(value, str) and value:
        return value, None
    raise bad_request(f"there is no {name} in the request")


def send_message(state: TelegramState, request: ApiRequest) -> JsonDict:
    params = request.params
    chat_id = require_chat(params)
    text = message_text(params)
    markup = inline_markup(params)
    gate(state, chat_id)
    content: JsonDict = {"text": text}
    entities = link_entities(str(params.get("text") or ""), params.get("parse_mode"))
    if entities:
        content["entities"] = entities
    msg = deliver(state, chat_id, "message", text, content, markup)
    asks = params.get("reply_markup")
    if isinstance(asks, dict) and as_bool(asks.get("force_reply")):
        # A Telegram client opens a reply to this message: the user's next one answers it.
        state.awaiting_reply[chat_key(chat_id)] = msg["message_id"]
    return msg


def send_photo(state: TelegramState, request: ApiRequest) -> JsonDict:
    params = request.params
    chat_id = require_chat(params)
    seed, upload = media_source(request, "photo")
    text, markup = caption(params), inline_markup(params)
    gate(state, chat_id)
    content: JsonDict = {"photo": objects.photo_sizes(seed, upload.size if upload else 51_200)}
    if text:
        content["caption"] = text
    return deliver(state, chat_id, "photo", text, content, markup)


def send_document(state: TelegramState, request: ApiRequest) -> JsonDict:
    params = request.params
    chat_id = require_chat(params)
    seed, upload = media_source(request, "document")
    text, markup = caption(params), inline_markup(params)
    gate(state, chat_id)
    if upload is not None:
        doc = objects.document_object(seed, upload.filename, upload.content_type, upload.size)
    else:
        name = seed.rsplit("/", 1)[-1] or "file"
        doc = objects.document_object(seed, name, "application/octet-stream", 51_200)
    content: JsonDict = {"document": doc}
    if text:
        content["caption"] = text
    return deliver(state, chat_id, "document", text, content, markup)


def invoice_total(params: JsonDict) -> int:
    prices = require(params, "prices")
    if not isinstance(prices, list) or not prices:
        raise bad_request('field "prices" must be a non-empty Array of LabeledPrice')
    amounts: list[int] = []
    for price in prices:
        amount = price.get("amount") if isinstance(price, dict) else None
        if not isinstance(amount, int) or isinstance(amount, bool) or "label" not in price:
            raise bad_request("each LabeledPrice needs a label and an Integer amount")
        amounts.append(amount)
    if params.get("currency") == "XTR" and len(amounts) != 1:
        raise bad_request("an invoice in Telegram Stars must have exactly one price")
    return sum(amounts)


def send_invoice(state: TelegramState, request: ApiRequest) -> JsonDict:
    params = request.params
    chat_id = require_chat(params)
    for name in ("title", "description", "payload", "currency"):
        require(params, name)
    total = invoice_total(params)
    markup = inline_markup(params)
    gate(state, chat_id)
    shown = f"{params['title']} — {total} {params['currency']}"
    content = {"invoice": objects.invoice_object(params, total)}
    msg = deliver(state, chat_id, "invoice", shown, content, markup)
    invoice = Invoice(str(params["payload"]), str(params["currency"]), total)
    state.invoices[(chat_id, msg["message_id"])] = invoice
    return msg


def edit_message_text(state: TelegramState, request: ApiRequest) -> JsonDict | bool:
    params = request.params
    if _present(params, "inline_message_id"):
        message_text(params)
        return True  # inline messages live outside any chat the fake keeps
    chat_id = require_chat(params)
    message_id = require_int(params, "message_id", "message identifier is not specified")
    text, markup = message_text(params), inline_markup(params)
    if chat_id in state.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    msg = state.find_message(chat_id, message_id)
    if msg is None:
        raise bad_request("message to edit not found")
    if msg["from"]["id"] != state.bot_id:
        raise bad_request("message can't be edited")
    if "text" not in msg:
        raise bad_request("there is no text in the message to edit")
    if msg["text"] == text and msg.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    gate(state, chat_id)  # an edit counts against the chat's limit like a message
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    msg.pop("reply_markup", None)
    msg.update({"text": text, "edit_date": state.now()})
    if markup is not None:
        msg["reply_markup"] = markup
    state.note_bot(chat_id, "edit", text, msg)
    return msg


# -- queries, chats, payments ---------------------------------------------------------------


def close_query(state: TelegramState, query_id: str) -> OpenQuery:
    """A query can be answered once, before its deadline (pre-checkout: 10 seconds)."""
    query = state.open_queries.pop(query_id, None)
    if query is None or (query.expires_at is not None and state.clock() > query.expires_at):
        raise bad_request(STALE_QUERY)
    return query


def answer_callback_query(state: TelegramState, request: ApiRequest) -> bool:
    params = request.params
    query = close_query(state, str(require(params, "callback_query_id")))
    if _present(params, "text"):
        kind = "alert" if as_bool(params.get("show_alert")) else "answer"
        state.note_bot(query.chat_id, kind, str(params["text"]), None)
    return True


def answer_pre_checkout_query(state: TelegramState, request: ApiRequest) -> bool:
    params = request.params
    query_id = str(require(params, "pre_checkout_query_id"))
    ok = as_bool(require(params, "ok"))
    if not ok and not _present(params, "error_message"):
        raise bad_request('parameter "error_message" is required when ok is false')
    query = close_query(state, query_id)
    state.pre_checkout_answers[query_id] = ok
    if not ok:
        state.note_bot(query.chat_id, "answer", str(params["error_message"]), None)
    return True


STAR_PERIOD = 2_592_000  # the only subscription_period Telegram takes (30 days)


def create_invoice_link(state: TelegramState, request: ApiRequest) -> str:
    """An invoice anyone can open; with `subscription_period`, a Star subscription that
    Telegram charges again every 30 days (XTR only, at most 10000 Stars)."""
    params = request.params
    for name in ("title", "description", "payload", "currency"):
        require(params, name)
    if len(str(params["payload"]).encode()) > 128:
        raise bad_request("invoice payload is too long")
    total = invoice_total(params)
    period = params.get("subscription_period")
    if period is not None:
        if params["currency"] != "XTR":
            raise bad_request("subscriptions can only be paid in Telegram Stars")
        if period != STAR_PERIOD:
            raise bad_request("SUBSCRIPTION_PERIOD_INVALID")
        if total > 10_000:
            raise bad_request("SUBSCRIPTION_PRICE_INVALID")
    slug = objects.invite_code(state.unique("inv"))
    state.invoice_links[slug] = Invoice(str(params["payload"]), str(params["currency"]), total)
    return f"https://t.me/${slug}"


def refund_star_payment(state: TelegramState, request: ApiRequest) -> bool:
    params = request.params
    user_id = require_int(params, "user_id", "invalid user_id specified")
    charge_id = str(require(params, "telegram_payment_charge_id"))
    if state.charges.get(charge_id) != user_id:
        raise bad_request("CHARGE_NOT_FOUND")
    if charge_id in state.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    state.refunded.add(charge_id)
    return True


# -- webhook and identity -------------------------------------------------------------------


def configure_webhook(state: TelegramState, params: JsonDict) -> Described:
    url = str(params.get("url") or "")
    if not url:  # Telegram treats an empty url as deleteWebhook
        state.webhook = None
        return Described(True, "Webhook was deleted")
    secret = params.get("secret_token")
    if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    connections = require_int(params, "max_connections") if "max_connections" in params else 40
    if not 1 <= connections <= 100:
        raise bad_request("max_connections must be between 1 and 100")
    allowed = params.get("allowed_updates") or []
    if not isinstance(allowed, list):
        raise bad_request("can't parse allowed updates")
    state.webhook = Webhook(url, None if secret is None else str(secret), connections, allowed)
    return Described(True, "Webhook was set")


def set_webhook(state: TelegramState, request: ApiRequest) -> Described:
    return configure_webhook(state, request.params)


def delete_webhook(state: TelegramState, request: ApiRequest) -> Described:
    was_set, state.webhook = state.webhook is not None, None
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


def get_webhook_info(state: TelegramState, request: ApiRequest) -> JsonDict:
    if state.webhook is None:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    return state.webhook.info()


def get_me(state: TelegramState, request: ApiRequest) -> JsonDict:
    return objects.get_me_result(state.bot_id, state.bot_username, state.bot_first_name)


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "answerCallbackQuery": answer_callback_query,
    "answerPreCheckoutQuery": answer_pre_checkout_query,
    "sendInvoice": send_invoice,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    **chats.METHODS,  # createChatInviteLink, join requests, bans: tests/fakes/telegram/chats.py
    "refundStarPayment": refund_star_payment,
    "createInvoiceLink": create_invoice_link,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}

# Telegram matches method names case-insensitively ("sendmessage" works).
CANONICAL = {name.lower(): name for name in HANDLERS}
