"""/deposit btc shows the user's own address as a QR photo with the rate, confirmations and
minimum; the user hears when the payment is seen and when it is credited."""

from __future__ import annotations

from typing import Any

import pytest

from events import Envelope, Money
from functions.notifications.dispatch import notices_for
from functions.telegram.bot_api import BotApiError
from tests.builders import button_update, settings, text_update
from tests.fakes.recording_bot import RecordingBot
from tests.functions.coin_helpers import CoinStack, coin_stack
from tests.functions.conftest import client_for, post_update
from tests.unit.test_coin_keys import BTC_RECEIVE

pytestmark = pytest.mark.functions
__all__ = ["coin_stack"]


class RefusingBot(RecordingBot):
    def send_photo(self, chat_id: int, png: bytes, caption: str) -> Any:
        raise BotApiError("sendPhoto: HTTP 400 Bad Request")


class PhotoBot(RecordingBot):
    def __init__(self) -> None:
        super().__init__()
        self.photos: list[bytes] = []

    def send_photo(self, chat_id: int, png: bytes, caption: str) -> Any:
        self.photos.append(png)
        return super().send_photo(chat_id, png, caption)


def test_deposit_btc_sends_the_address_as_a_qr_photo(coin_stack: CoinStack) -> None:
    from functions.providers.pakasir.qr import qr_png

    bot = PhotoBot()
    coin_stack.rt.bot_override = bot
    answer = post_update(client_for("telegram_webhook"), text_update("/deposit btc", user_id=7))
    assert answer.status_code == 200
    assert answer.get_data() == b""  # the photo's caption said it all
    ((method, params),) = bot.calls
    assert (method, params["chat_id"]) == ("sendPhoto", 7)
    (png,) = bot.photos
    assert png.startswith(b"\x89PNG")
    assert png == qr_png(f"bitcoin:{BTC_RECEIVE[0]}")  # segno's QR of the BIP21 URI
    caption = params["caption"]
    assert f"<code>{BTC_RECEIVE[0]}</code>" in caption
    assert "PLN 412,345.67 per BTC" in caption
    assert "after 2 confirmations" in caption
    assert "BTC 0.00010000" in caption  # the smallest deposit


def test_the_same_user_sees_the_same_address_and_the_next_user_the_next(
    coin_stack: CoinStack,
) -> None:
    coin_stack.rt.bot_override = RefusingBot()  # the text, then: easier to read here
    webhook = client_for("telegram_webhook")
    said = [
        post_update(webhook, text_update("/deposit btc", user_id=u, update_id=n)).get_json()["text"]
        for n, u in enumerate((7, 8, 7), start=1)
    ]
    assert [BTC_RECEIVE[i] in text for i, text in zip((0, 1, 0), said, strict=True)] == [True] * 3


def test_the_deposit_menu_offers_the_coin_and_its_button_shows_the_address(
    coin_stack: CoinStack,
) -> None:
    coin_stack.rt.bot_override = RefusingBot()
    webhook = client_for("telegram_webhook")
    menu = post_update(webhook, text_update("/deposit", user_id=7)).get_json()
    buttons = [row[0]["callback_data"] for row in menu["reply_markup"]["inline_keyboard"]]
    assert "cdep:btc" in buttons
    assert "cdep:ltc" not in buttons  # no Litecoin key configured
    tapped = post_update(webhook, button_update("cdep:btc", user_id=7, update_id=2)).get_json()
    assert BTC_RECEIVE[0] in tapped["text"]


def test_a_coin_without_a_key_is_not_offered(coin_stack: CoinStack) -> None:
    answer = post_update(client_for("telegram_webhook"), text_update("/deposit ltc", user_id=7))
    assert "not offered" in answer.get_json()["text"]


def test_the_user_is_told_when_the_payment_is_seen_and_when_it_is_credited(
    coin_stack: CoinStack,
) -> None:
    user = coin_stack.user(7)
    coin_stack.chain.send(user.address, 100_000)
    coin_stack.watch()
    coin_stack.chain.mine(2)
    coin_stack.watch()
    told = [
        notice.text
        for envelope in _all_events(coin_stack)
        for notice in notices_for(coin_stack.rt, envelope, {})
        if notice.chat_id == 7 and not notice.text.startswith("🏅")  # the referrals' badges
    ]
    assert told == [
        "👀 We see your payment of BTC 0.00100000, worth PLN 412.34 at PLN 412,345.67 per BTC. "
        "Waiting for confirmations; you will hear when it is credited.",
        "Your deposit of PLN 412.34 was credited.",
    ]


def _all_events(stack: CoinStack) -> list[Envelope]:
    store: Any = stack.rt.store
    found = [e for stream in store.streams() for e in store.load(stream)]
    return sorted(found, key=lambda e: (e.occurred_at, e.stream, e.version))


def test_the_admins_are_told_when_a_credited_deposit_leaves_the_chain(
    coin_stack: CoinStack,
) -> None:
    coin_stack.rt.settings = settings(admin_ids=frozenset({900, 901}))
    user = coin_stack.user(7)
    txid = coin_stack.chain.send(user.address, 100_000)
    coin_stack.chain.mine(2)
    coin_stack.watch()
    coin_stack.chain.disconnect(2)
    coin_stack.chain.drop(txid)
    coin_stack.watch()
    vanished = [
        e for e in _all_events(coin_stack) if e.type.endswith("credited_output_vanished.v1")
    ]
    told = [(n.chat_id, n.text) for e in vanished for n in notices_for(coin_stack.rt, e, {})]
    assert [chat for chat, _ in told] == [900, 901]
    assert f"<code>{txid}:0</code>" in told[0][1]
    assert "credited PLN 412.34" in told[0][1]


def test_asking_again_shows_the_payment_seen_until_it_is_credited(coin_stack: CoinStack) -> None:
    coin_stack.rt.bot_override = RefusingBot()  # the caption comes back as the reply's text
    webhook = client_for("telegram_webhook")
    user = coin_stack.user(7)
    coin_stack.chain.send(user.address, 100_000)
    coin_stack.chain.send(user.address, 500)  # dust: recorded, never waited for
    coin_stack.chain.mine()
    coin_stack.watch()  # one confirmation of two
    shown = post_update(webhook, text_update("/deposit btc", user_id=7)).get_json()["text"]
    assert shown.endswith("Seen, waiting for confirmations:\n• BTC 0.00100000, worth PLN 412.34")
    coin_stack.chain.mine()
    coin_stack.watch()
    again = post_update(webhook, text_update("/deposit btc", user_id=7, update_id=2)).get_json()
    assert "waiting for confirmations" not in again["text"]
    assert coin_stack.balance(7) == Money(amount=41_234, currency="PLN")


def test_admins_see_the_addresses_handed_out_and_the_gap_limit_to_set(
    coin_stack: CoinStack,
) -> None:
    coin_stack.rt.settings = settings(admin_ids=frozenset({900}))
    for user in (7, 8, 9, 7):
        coin_stack.user(user)
    webhook = client_for("telegram_webhook")
    said = post_update(webhook, text_update("/coins", user_id=900)).get_json()["text"]
    assert "BTC (account " in said
    assert "addresses handed out: 3;" in said
    assert "wallet gap limit: at least 103" in said
    assert "looks only 20 unused addresses ahead" in said
    refused = post_update(webhook, text_update("/coins", user_id=7, update_id=2)).get_json()
    assert "handed out" not in refused["text"]


def test_an_unusable_account_key_tells_the_user_later_and_the_admin_why(
    coin_stack: CoinStack,
) -> None:
    coin_stack.rt.settings = settings(admin_ids=frozenset({900}))
    coin_stack.configure(btc_xpub="xprv" + "1" * 107)  # someone pasted a private key
    webhook = client_for("telegram_webhook")
    user = post_update(webhook, text_update("/deposit btc", user_id=7))
    assert user.status_code == 200
    assert user.get_json()["text"] == "BTC deposits are not available right now; please try later."
    assert coin_stack.rt.store.streams("coinpool") == []  # nothing handed out
    admin = post_update(webhook, text_update("/coins", user_id=900, update_id=2)).get_json()
    assert "BTC: the account key cannot be used: a private key" in admin["text"]
