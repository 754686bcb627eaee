"""Telegram's own side: users write and press buttons, and updates go to the bot's webhook.

Delivery is one update at a time, as Telegram sends a chat's updates. A non-2xx answer is
recorded as the webhook's last error (see getWebhookInfo) and not retried here: a test that
wants Telegram's redelivery calls `deliver` again with the same update.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import objects
from .api import BotApi
from .state import Invoice, OpenQuery, TelegramState, TranscriptEntry, Webhook
from .wire import ApiRequest, JsonDict, encode_json

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PRE_CHECKOUT_SECONDS = 10.0
# Sent only when asked for by name in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Ignore proxy settings from the environment: the webhook is on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Delivery:
    """The update sent and the webhook's HTTP status (None: no answer, or not sent)."""

    status: int | None
    update: JsonDict
    error: str | None = None

    def to_json(self) -> JsonDict:
        return {"status": self.status, "update": self.update, "error": self.error}


def text_update(
    state: TelegramState,
    user_id: int,
    text: str,
    first_name: str,
    language_code: str | None,
    username: str | None,
) -> JsonDict:
    """A private-chat text message from a user, as Telegram would send it to the bot."""
    with state.lock:
        user = objects.human_user(user_id, first_name, language_code, username)
        state.users[user_id] = user
        msg = state.new_message(user_id, user, objects.text_content(text))
        asked = state.awaiting_reply.pop(user_id, None)
        question = state.find_message(user_id, asked) if asked is not None else None
        if question is not None and not text.startswith("/"):  # a command leaves the reply
            msg["reply_to_message"] = copy.deepcopy(question)
        return {"update_id": state.next_update_id(), "message": copy.deepcopy(msg)}


def button_update(state: TelegramState, user_id: int, message_id: int, data: str) -> JsonDict:
    """A press on an inline button of a message the bot sent to this user."""
    with state.lock:
        msg = state.find_message(user_id, message_id)
        if msg is None:
            raise LookupError(f"chat {user_id} has no message {message_id}")
        buttons = objects.inline_buttons(msg.get("reply_markup"))
        if data not in {b.get("callback_data") for b in buttons}:
            raise LookupError(f"message {message_id} has no button with callback_data {data!r}")
        user = state.users.get(user_id) or objects.human_user(user_id, "Test", "en", None)
        query = objects.callback_query(
            state.unique(""), user, copy.deepcopy(msg), data, _chat_instance(state, user_id)
        )
        return {"update_id": state.next_update_id(), "callback_query": query}


@dataclass(frozen=True)
class InvoicePayment:
    """A user paying an invoice: the pre-checkout delivery and, if the bot said ok, the payment."""

    checkout: Delivery
    approved: bool
    paid: Delivery | None = None
    charge_id: str | None = None  # telegram_payment_charge_id, unique per payment

    def to_json(self) -> JsonDict:
        return {
            "checkout": self.checkout.to_json(),
            "approved": self.approved,
            "paid": self.paid.to_json() if self.paid is not None else None,
            "charge_id": self.charge_id,
        }


def invoice_of(state: TelegramState, user_id: int, message_id: int) -> Invoice:
    with state.lock:
        invoice = state.invoices.get((user_id, message_id))
    if invoice is None:
        raise LookupError(f"chat {user_id} has no invoice message {message_id}")
    return invoice


def pre_checkout_update(state: TelegramState, user_id: int, invoice: Invoice) -> JsonDict:
    """Telegram asking the bot to confirm a payment the user is about to make."""
    with state.lock:
        query = {
            "id": state.unique(""),
            "from": _payer(state, user_id),
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload,
        }
        return {"update_id": state.next_update_id(), "pre_checkout_query": query}


def successful_payment_update(state: TelegramState, user_id: int, invoice: Invoice) -> JsonDict:
    """The service message Telegram sends once the money moved, with a new charge id."""
    with state.lock:
        charge_id = state.unique("stx")
        state.charges[charge_id] = user_id
        paid = {
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": state.unique(f"{user_id}_"),
        }
        msg = state.new_message(user_id, _payer(state, user_id), {"successful_payment": paid})
        return {"update_id": state.next_update_id(), "message": copy.deepcopy(msg)}


def _payer(state: TelegramState, user_id: int) -> JsonDict:
    return state.users.get(user_id) or objects.human_user(user_id, "Test", "en", None)


class WebhookClient:
    def __init__(self, state: TelegramState, api: BotApi, timeout: float) -> None:
        self._state = state
        self._api = api
        self._timeout = timeout
        self._one_at_a_time = threading.Lock()

    def deliver(self, make_update: Callable[[], JsonDict]) -> Delivery:
        """POST an update to the webhook and carry out a method call in its answer.

        The update is made inside the one-at-a-time section, so message ids, update ids and
        the transcript keep the order in which updates reach the bot.
        """
        with self._one_at_a_time:
            update, webhook = self._prepare(make_update)
            if not _wanted(webhook, update):
                return Delivery(None, update, "not in allowed_updates")
            status, body, error = _post(webhook, update, self._timeout)
            self._note_result(error)
            if status is not None and 200 <= status < 300:
                self._execute_answer(body)
            return Delivery(status, update, error)

    def _prepare(self, make_update: Callable[[], JsonDict]) -> tuple[JsonDict, Webhook]:
        state = self._state
        with state.lock:
            if state.webhook is None:
                raise RuntimeError("no webhook is set: call setWebhook first")
            update = copy.deepcopy(make_update())
            if "update_id" not in update:
                update["update_id"] = state.next_update_id()
            _remember(state, update)
            return update, copy.copy(state.webhook)

    def _note_result(self, error: str | None) -> None:
        state = self._state
        with state.lock:
            if state.webhook is not None and error is not None:
                state.webhook.last_error_date = state.now()
                state.webhook.last_error_message = error

    def _execute_answer(self, body: bytes) -> None:
        # Like Telegram: a JSON answer with "method" is a Bot API call whose result is lost.
        try:
            answer: Any = json.loads(body)
        except ValueError:
            return
        if not isinstance(answer, dict) or not isinstance(answer.get("method"), str):
            return
        params = {k: v for k, v in answer.items() if k != "method"}
        self._api.call(
            self._state.token, answer["method"], ApiRequest(params), via_webhook_response=True
        )


def _remember(state: TelegramState, update: JsonDict) -> None:
    """Note what the user did, and open the queries the bot may now answer."""
    now = state.clock()
    msg = update.get("message")
    if isinstance(msg, dict) and isinstance(msg.get("chat"), dict):
        chat_id = msg["chat"]["id"]
        state.messages.setdefault((chat_id, msg["message_id"]), msg)
        last = state.last_message_id.get(chat_id, 0)
        state.last_message_id[chat_id] = max(last, int(msg["message_id"]))
        kind, text = _user_content(msg)
        state.note(chat_id, TranscriptEntry("user", kind, text, now, msg["message_id"]))
    query = update.get("callback_query")
    if isinstance(query, dict):
        chat_id = query.get("message", {}).get("chat", {}).get("id", query["from"]["id"])
        state.open_queries[str(query["id"])] = OpenQuery(chat_id)
        entry = TranscriptEntry("user", "button", str(query.get("data", "")), now)
        state.note(chat_id, entry)
    checkout = update.get("pre_checkout_query")
    if isinstance(checkout, dict):
        expires = now + PRE_CHECKOUT_SECONDS
        state.open_queries[str(checkout["id"])] = OpenQuery(checkout["from"]["id"], expires)


def _user_content(msg: JsonDict) -> tuple[str, str]:
    paid = msg.get("successful_payment")
    if isinstance(paid, dict):
        return "payment", f"paid {paid.get('total_amount')} {paid.get('currency')}"
    return "text", str(msg.get("text") or msg.get("caption") or "")


def _wanted(webhook: Webhook, update: JsonDict) -> bool:
    kind = next((key for key in update if key != "update_id"), "")
    if webhook.allowed_updates:
        return kind in webhook.allowed_updates
    return kind not in OPT_IN_UPDATES


def _post(
    webhook: Webhook, update: JsonDict, timeout: float
) -> tuple[int | None, bytes, str | None]:
    headers = {"Content-Type": "application/json"}
    if webhook.secret_token:
        headers[SECRET_HEADER] = webhook.secret_token
    request = urllib.request.Request(
        webhook.url, data=encode_json(update), headers=headers, method="POST"
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = int(response.status)
            body = response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read(), f"Wrong response from the webhook: {error.code}"
    except OSError as error:  # refused, reset, timed out (URLError is an OSError)
        return None, b"", f"Connection failed: {error}"
    return status, body, None


def _chat_instance(state: TelegramState, chat_id: int) -> str:
    digest = hashlib.sha256(f"{state.bot_id}:{chat_id}".encode()).hexdigest()
    return str(int(digest[:15], 16))
