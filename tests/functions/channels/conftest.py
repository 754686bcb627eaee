"""Paid channels through the webhook, the scheduler and the fake Bot API's chat membership:
the users' side (`World`) and the runtime it talks to."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Money
from functions.domain import wallet
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import HttpBot, Pacer
from tests.builders import button_update, text_update
from tests.fakes.telegram import FakeClock, FakeTelegram
from tests.fakes.telegram.chats import make_admin, open_link
from tests.fakes.telegram.objects import human_user
from tests.fakes.telegram.wire import ApiRequest
from tests.functions.conftest import client_for, post_update

CHAT, OWNER, BUYER, FRIEND = -1001234567890, 7, 8, 9
KEY = "n1001234567890"
RAIL_BASE = "https://functions.example/payment_webhook"


class World:
    """The webhook, the fake Bot API behind the runtime's bot, and the users' side."""

    def __init__(self, rt: Runtime, fake: FakeTelegram, webhook: FlaskClient) -> None:
        self.rt, self.fake, self.webhook, self.update_id = rt, fake, webhook, 0

    def post(self, update: dict[str, Any]) -> Any:
        self.update_id += 1
        update["update_id"] = self.update_id
        response = post_update(self.webhook, update)
        assert response.status_code == 200, response.get_data(as_text=True)
        answer = response.get_json(silent=True) or {}
        if "method" in answer:  # what Telegram does with a call in the webhook's answer
            params = {k: v for k, v in answer.items() if k != "method"}
            self.fake.api.call(self.fake.token, answer["method"], ApiRequest(params))
        return answer

    def say(self, user_id: int, text: str) -> Any:
        self.fake.state.users.setdefault(user_id, human_user(user_id, "U", "en", None))
        return self.post(text_update(text, user_id=user_id))

    def tap(self, user_id: int, data: str) -> Any:
        return self.post(button_update(data, user_id=user_id))

    def connect(self) -> Any:
        owner = human_user(OWNER, "Olga", "en", None)
        rights = {"can_invite_users": True, "can_restrict_members": True}
        with self.fake.state.lock:
            update = make_admin(self.fake.state, CHAT, "Deep dives", owner, "channel", rights)
        return self.post(update)

    def ask_to_join(self, user_id: int) -> Any:
        link = self.join_link()
        user = human_user(user_id, "U", "en", None)
        with self.fake.state.lock:
            update = open_link(self.fake.state, user, link)
        assert update is not None
        return self.post(update)

    def join_link(self) -> str:
        [link] = [u for u, k in self.fake.state.chats.group(CHAT).links.items()
                  if k.creates_join_request]  # fmt: skip
        return link

    def open(self, user_id: int, url: str) -> str | None:
        """The user opens an invite link (one the bot gave them, or forwarded to them):
        Telegram's refusal, or None once the updates it made have reached the webhook."""
        user = human_user(user_id, "U", "en", None)
        with self.fake.state.lock:
            self.fake.state.users.setdefault(user_id, user)
            try:
                update = open_link(self.fake.state, user, url)
            except LookupError as refused:
                return str(refused)
        if update is not None:
            self.post(update)
        self.flush()
        return None

    def flush(self) -> list[dict[str, Any]]:
        """Deliver the chat_member updates membership changes queued; the updates sent."""
        sent: list[dict[str, Any]] = []
        while True:
            with self.fake.state.lock:
                queued, self.fake.state.chats.queued = self.fake.state.chats.queued, []
            if not queued:
                return sent
            for update in queued:
                self.post(update)
                sent.append(update)

    def members(self) -> set[int]:
        return self.fake.members(CHAT)

    def later(self, **delta: float) -> None:
        clock = self.rt.clock
        assert isinstance(clock, FixedClock)
        clock.current += timedelta(**delta)

    def top_up(self, user_id: int, amount: int) -> None:
        credit = wallet.Credit(user_id, Money(amount=amount, currency="KES"), "deposit",
                               f"test-top-up-{user_id}-{self.update_id}")  # fmt: skip
        self.rt.pipeline.execute(wallet.wallets, wallet.stream_of(user_id), credit, Trace())


@pytest.fixture
def world(memory_runtime: Runtime) -> Iterator[World]:
    clock = FakeClock()
    with FakeTelegram(clock=clock, per_chat_per_second=None, global_per_second=None) as fake:
        memory_runtime.bot_override = HttpBot(fake.base_url, fake.token,
                                              pacer=Pacer(sleep=lambda s: None))  # fmt: skip
        yield World(memory_runtime, fake, client_for("telegram_webhook"))


def owner_sells(world: World) -> None:
    world.say(OWNER, "/start")
    world.connect()
    answer = world.say(OWNER, f"/plan ch_{KEY} 30 500 KES")
    assert "p1" in answer["text"]


def buy_from_wallet(world: World, user_id: int) -> Any:
    world.say(user_id, f"/start ch_{KEY}")
    return world.tap(user_id, f"ch:wallet:{KEY}:p1")


def star_charge(world: World, payload: str, charge_id: str, first: bool) -> dict[str, Any]:
    paid = text_update("", user_id=BUYER)
    paid["message"].pop("text")
    paid["message"].pop("entities")
    paid["message"]["successful_payment"] = {
        "currency": "XTR", "total_amount": 250, "invoice_payload": payload,
        "telegram_payment_charge_id": charge_id, "provider_payment_charge_id": f"p-{charge_id}",
        "is_recurring": True, "is_first_recurring": first,
        "subscription_expiration_date": 1_800_000_000,
    }  # fmt: skip
    return paid
