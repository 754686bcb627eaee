"""`FakeTelegram`: the Bot API server and Telegram's user side, in one object for tests."""

from __future__ import annotations

from typing import Any

from tests.fakes.http_server import LoopbackFake, LoopbackServer

from . import chats
from .api import BotApi
from .chats import make_admin, open_link
from .clock import Clock, system_clock
from .delivery import (
    Delivery,
    InvoicePayment,
    WebhookClient,
    button_update,
    invoice_of,
    pre_checkout_update,
    successful_payment_update,
    text_update,
)
from .limits import DEFAULT_PER_CHAT_BURST
from .methods import configure_webhook, get_webhook_info
from .objects import human_user
from .server import RequestHandler
from .state import Call, Limits, TelegramState, TranscriptEntry, chat_key
from .wire import ApiRequest, JsonDict

DEFAULT_TOKEN = "123456789:AAH-soko-fake-telegram-token"


class FakeTelegram(LoopbackFake):
    """A loopback Bot API server speaking like api.telegram.org.

    Point PTB at it with `telegram.Bot(token, base_url=fake.base_url)`. Limits default to
    Telegram's (1 message/s per chat with a short burst, 30/s overall, 20/min per group; see
    `limits`); pass None to lift one, `per_chat_burst=1` for no burst at all.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        per_chat_per_second: int | None = 1,
        global_per_second: int | None = 30,
        per_group_per_minute: int | None = 20,
        per_chat_burst: int = DEFAULT_PER_CHAT_BURST,
        clock: Clock = system_clock,
        bot_username: str = "soko_test_bot",
        webhook_timeout: float = 60.0,
        verbose: bool = False,
    ) -> None:
        limits = Limits(
            per_chat_per_second, global_per_second, per_group_per_minute, per_chat_burst
        )
        self.state = TelegramState(token, bot_username, clock, limits)
        self.api = BotApi(self.state)
        self._webhook = WebhookClient(self.state, self.api, webhook_timeout)
        self._http = LoopbackServer(
            (host, port), RequestHandler, self, name="fake-telegram", verbose=verbose
        )

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def port(self) -> int:
        return self._http.port  # RuntimeError "FakeTelegram is not started"

    @property
    def url(self) -> str:
        return self._http.url

    @property
    def base_url(self) -> str:
        """PTB's `base_url`: the token is appended to it."""
        return f"{self.url}/bot"

    # -- what the bot did -----------------------------------------------------------------

    def calls(self, method: str | None = None, chat_id: Any = None) -> list[Call]:
        return self.state.find_calls(method, chat_id)

    def messages_to(self, chat_id: Any) -> list[str]:
        """Texts delivered to the chat in order: text, caption, or "title — total currency"."""
        return self.state.messages_to(chat_id)

    def transcript(self, chat_id: Any) -> list[TranscriptEntry]:
        return self.state.transcript(chat_id)

    def message(self, chat_id: Any, message_id: int) -> JsonDict | None:
        """A message as it is now (after edits), or None."""
        with self.state.lock:
            return self.state.find_message(chat_key(chat_id), message_id)

    def webhook_info(self) -> JsonDict:
        """What getWebhookInfo would answer, without recording a call."""
        with self.state.lock:
            return get_webhook_info(self.state, ApiRequest())

    # -- Telegram's side --------------------------------------------------------------------

    def block_user(self, chat_id: Any) -> None:
        with self.state.lock:
            self.state.blocked.add(chat_key(chat_id))

    def unblock_user(self, chat_id: Any) -> None:
        with self.state.lock:
            self.state.blocked.discard(chat_key(chat_id))

    def set_webhook(
        self, url: str, secret_token: str | None = None, allowed_updates: list[str] | None = None
    ) -> None:
        params: JsonDict = {"url": url}
        if allowed_updates:
            params["allowed_updates"] = allowed_updates
        if secret_token is not None:
            params["secret_token"] = secret_token
        with self.state.lock:
            configure_webhook(self.state, params)

    def send_text(
        self,
        user_id: int,
        text: str,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> Delivery:
        """The user writes `text` in their private chat with the bot."""
        return self._webhook.deliver(
            lambda: text_update(self.state, user_id, text, first_name, language_code, username)
        )

    def press_button(self, user_id: int, message_id: int, callback_data: str) -> Delivery:
        """The user presses the inline button carrying `callback_data` under a bot message."""
        return self._webhook.deliver(
            lambda: button_update(self.state, user_id, message_id, callback_data)
        )

    def pay_invoice(self, user_id: int, message_id: int) -> InvoicePayment:
        """The user pays the invoice message `message_id`, as Telegram runs it.

        First a `pre_checkout_query` goes to the bot; only if the bot answered ok does a
        message with `successful_payment` (a new, unique charge id) follow.
        """
        invoice = invoice_of(self.state, user_id, message_id)
        checkout = self._webhook.deliver(lambda: pre_checkout_update(self.state, user_id, invoice))
        query_id = str(checkout.update["pre_checkout_query"]["id"])
        with self.state.lock:
            approved = self.state.pre_checkout_answers.get(query_id, False)
        if not approved:
            return InvoicePayment(checkout, approved=False)
        paid = self._webhook.deliver(
            lambda: successful_payment_update(self.state, user_id, invoice)
        )
        charge_id = str(paid.update["message"]["successful_payment"]["telegram_payment_charge_id"])
        return InvoicePayment(checkout, approved=True, paid=paid, charge_id=charge_id)

    # -- channels and groups (tests/fakes/telegram/chats.py) ---------------------------------

    def make_admin(
        self, chat_id: int, title: str, owner_id: int, *, kind: str = "channel",
        can_invite: bool = True, can_restrict: bool = True,
    ) -> Delivery:  # fmt: skip
        """The owner makes the bot an admin of their private chat: a my_chat_member update."""
        rights = {"can_invite_users": can_invite, "can_restrict_members": can_restrict,
                  "can_manage_chat": True}  # fmt: skip
        with self.state.lock:
            owner = self.state.users.get(owner_id) or human_user(owner_id, "Owner", "en", None)
            update = make_admin(self.state, chat_id, title, owner, kind, rights)
        return self.deliver(update)

    def open_link(self, user_id: int, invite_link: str) -> Delivery | None:
        """The user opens an invite link: a join request goes to the bot, or they are in
        (then `flush` sends the chat_member update). LookupError as Telegram refuses it."""
        with self.state.lock:
            user = self.state.users.get(user_id) or human_user(user_id, "Test", "en", None)
            self.state.users.setdefault(user_id, user)
            update = open_link(self.state, user, invite_link)
        return self.deliver(update) if update is not None else None

    def ask_to_join(self, user_id: int, chat_id: int, invite_link: str | None = None) -> Delivery:
        """The user opens `invite_link` (one forwarded to them), or else the link the bot
        gave them for this chat (chats.link_shown); the bot's answer to a join request is
        carried out, then the chat_member updates queued are sent. The delivery returned is
        the join request's, or that of the chat_member update of a direct join."""
        with self.state.lock:
            link = chats.link_shown(self.state, user_id, chat_id) if invite_link is None else (
                self.state.chats.group(chat_id).links.get(invite_link))  # fmt: skip
        if link is None:
            raise LookupError(f"no link to chat {chat_id} for user {user_id}")
        asked = self.open_link(user_id, link.url)
        sent = self.flush()
        delivery = asked or next(iter(sent), None)
        assert delivery is not None  # a direct join queued its chat_member update
        return delivery

    def members(self, chat_id: int) -> set[int]:
        with self.state.lock:
            return set(self.state.chats.group(chat_id).members)

    def flush(self) -> list[Delivery]:
        """Send the chat_member updates membership changes queued (joins, bans, leaves)."""
        with self.state.lock:
            queued, self.state.chats.queued = self.state.chats.queued, []
        return [self.deliver(update) for update in queued]

    def deliver(self, update: JsonDict) -> Delivery:
        """Send any update; `update_id` is assigned if missing."""
        return self._webhook.deliver(lambda: update)

    def reset(self) -> None:
        """Forget calls, chats, blocks and limits; keep the webhook and the update_id count."""
        self.state.reset()
