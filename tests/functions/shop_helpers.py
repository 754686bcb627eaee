"""A shop driven through the Telegram webhook, as an admin and as buyers would use it."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

from events import Money
from functions.domain import payments, users, wallet
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from tests.builders import button_update, text_update
from tests.functions.conftest import post_update

ADMIN = 900001
_update_ids = itertools.count(100_000)


@dataclass
class ShopDriver:
    webhook: FlaskClient
    rt: Runtime
    answers: list[dict[str, Any]] = field(default_factory=list)

    def say(self, user_id: int, text: str) -> dict[str, Any]:
        update = text_update(text, user_id=user_id, update_id=next(_update_ids))
        return self._post(update)

    def tap(self, user_id: int, data: str) -> dict[str, Any]:
        return self._post(button_update(data, user_id=user_id, update_id=next(_update_ids)))

    def _post(self, update: dict[str, Any]) -> dict[str, Any]:
        response = post_update(self.webhook, update)
        assert response.status_code == 200, response.data
        answer: dict[str, Any] = response.get_json() or {}
        self.answers.append(answer)
        return answer

    def add_product(self, spec: str) -> str:
        text = self.say(ADMIN, f"/addproduct {spec}")["text"]
        found = re.search(r"<code>([0-9a-f]+)</code>", text)
        assert found, text
        return found.group(1)

    def register(self, user_id: int, funds: Money | None = None) -> None:
        self.say(user_id, "/start")
        if funds is not None:
            fund(self.rt, user_id, funds)

    def make_reseller(self, user_id: int) -> None:
        self.rt.pipeline.execute(
            users.users, users.stream_of(user_id), users.SetReseller(user_id, True, ADMIN)
        )

    def balance(self, user_id: int, currency: str) -> int:
        state = self.rt.pipeline.current(wallet.wallets, wallet.stream_of(user_id))
        return state.balance(currency).amount


def fund(rt: Runtime, user_id: int, funds: Money) -> None:
    """A deposit an admin approved: real money in, so the ledger audit can trace it."""
    payment_id = f"fund{user_id}"
    stream = payments.stream_of(payment_id)
    request = payments.Request(payment_id, user_id, "wallet_deposit", funds, "manual")
    rt.pipeline.execute(payments.payments, stream, request, Trace())
    rt.pipeline.execute(payments.payments, stream, payments.AdminDecide(ADMIN, True), Trace())


def buttons(answer: dict[str, Any]) -> dict[str, str]:
    """The inline buttons of an answer: label -> callback_data."""
    rows = answer.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}
