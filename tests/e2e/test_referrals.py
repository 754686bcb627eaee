"""The referral programme on the emulator stack, through real HTTP: A's /start and /referrals
link opens the fake Telegram's own bot, B registers through it over the webhook (A is told),
B's M-Pesa deposit arrives by the fake Daraja's callback, and A's balance read model shows 3%
of it."""

from __future__ import annotations

import re

import pytest

from infra.local.payer import Payer
from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually, new_user
from tests.e2e.rails import credited, deposit, event_types

pytestmark = pytest.mark.e2e
ALICE, BOB = new_user(), new_user()


def test_a_friend_through_the_link_earns_the_referrer_a_commission_on_their_mpesa_deposit(
    e2e_stack: LocalStack,
) -> None:
    telegram = e2e_stack.telegram
    assert telegram.send_text(ALICE, "/start", first_name="Alice").status == 200
    welcome = telegram.messages_to(ALICE)[-1]
    assert telegram.send_text(ALICE, "/referrals", first_name="Alice").status == 200
    # The link opens the bot this stack's token belongs to, as its getMe names it.
    username = telegram.state.bot_username
    found = re.search(
        rf"https://t\.me/{username}\?start=(ref_[0-9a-z-]+)", telegram.messages_to(ALICE)[-1]
    )
    assert found is not None, telegram.messages_to(ALICE)[-1]
    assert f"https://t.me/{username}?start={found.group(1)}" in welcome  # /start gave it too

    assert telegram.send_text(BOB, f"/start {found.group(1)}", first_name="Bob").status == 200
    assert "Alice invited you" in telegram.messages_to(BOB)[-1]
    new_referral = "🎉 New referral: Bob joined with your link."
    eventually(lambda: new_referral in telegram.messages_to(ALICE), timeout=60)
    eventually(lambda: "referral.bound.v1" in event_types(e2e_stack, f"referral-{BOB}"))
    ref = deposit(e2e_stack, BOB, "/deposit mpesa 1500 0712345678")
    assert Payer(e2e_stack.providers.urls).answer_mpesa([ref]).endswith("1 callback answered 200")

    doc = eventually(lambda: credited(e2e_stack, ALICE, "KES"), timeout=60)
    assert doc["balances"] == {"KES": 4_500}  # floor(3% of KES 1,500.00)
    assert event_types(e2e_stack, f"wallet-{ALICE}").count("wallet.credited.v1") == 1
    told = eventually(
        lambda: [m for m in telegram.messages_to(ALICE) if "Commission" in m], timeout=60
    )
    assert "KES 45" in told[0]
