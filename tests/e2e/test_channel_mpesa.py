"""A channel's plan paid with M-Pesa on the emulator stack: the buyer sets their phone with
/phone, taps the plan and M-Pesa, approves the STK prompt at the fake Daraja, whose callback
reaches payment_webhook; the subscription follows through Pub/Sub and the buyer is let in."""

from __future__ import annotations

import random

import pytest

from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually, new_user
from tests.e2e.console_process import chat_as
from tests.e2e.rails import event_types

pytestmark = pytest.mark.e2e
OWNER, BUYER = new_user(), new_user()


def test_a_plan_paid_with_mpesa_from_the_buyers_phone_lets_them_join(
    e2e_stack: LocalStack,
) -> None:
    chat_id = -1009_100_000_000 - random.randrange(10**6)  # a fresh chat per run
    code = f"ch_n{-chat_id}"
    owner, owner_out = chat_as(e2e_stack, OWNER, "Olga")
    owner.run(iter([f"/makeadmin {chat_id} Market news", f"/plan {code} 30 500 KES"]))
    assert "Plan p1 added" in owner_out.getvalue(), owner_out.getvalue()

    buyer, out = chat_as(e2e_stack, BUYER, "Baraka", paying=True)
    buyer.run(iter(["/phone 0712345678", f"/start {code}", "/tap 30 days — KES 500.00",
                    "/tap M-Pesa"]))  # fmt: skip
    assert "Payment of KES 500.00 started" in out.getvalue(), out.getvalue()
    buyer.run(iter(["/approve"]))  # the PIN at the fake Daraja: its callback is the hint
    assert "1 callback answered 200" in out.getvalue(), out.getvalue()

    stream = f"subscription-n{-chat_id}.{BUYER}"
    eventually(lambda: "subscription.paid.v1" in event_types(e2e_stack, stream), timeout=60)

    def let_in() -> bool:
        buyer.run(iter([f"/join {chat_id}"]))
        return BUYER in e2e_stack.telegram.members(chat_id)

    eventually(let_in, timeout=60)
    assert e2e_stack.telegram.members(chat_id) == {BUYER}
