"""notify over HTTP: pushed events become Telegram messages, within Telegram's limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from events import Envelope, Money
from events.users import UserRegistered
from events.wallet import WalletCredited
from functions.notifications.endpoint import sender_for
from functions.notifications.notice import Notice
from functions.notifications.sender import (
    PER_PROCESS_PER_SECOND,
    TELEGRAM_PER_SECOND,
    FloodWait,
    Pacer,
    Sender,
)
from functions.runtime.bootstrap import Runtime
from functions.telegram.bot_api import Blocked, HttpBot, RateLimited
from infra.topology import TOPOLOGY
from tests.builders import envelope, settings
from tests.fakes.recording_bot import RecordingBot
from tests.fakes.telegram import FakeClock, FakeTelegram
from tests.functions.conftest import client_for
from tests.functions.test_project_balances import push_body

pytestmark = pytest.mark.functions


class ManualClock:
    """Time that passes only when the code under test sleeps: pacing becomes measurable."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class TimedBot(RecordingBot):
    """Records when each call was made, and fails calls as told (403 or 429) first: any
    call (`failures`) or the calls to one chat (`chat_failures`)."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self.clock = clock
        self.at: list[tuple[int, float]] = []
        self.failures: list[Exception] = []
        self.chat_failures: dict[int, list[Exception]] = {}
        self.blocked: set[int] = set()

    def call(self, method: str, params: dict[str, Any]) -> Any:
        if params.get("chat_id") in self.blocked:
            raise Blocked("sendMessage: Forbidden: bot was blocked by the user")
        if self.failures:
            raise self.failures.pop(0)
        if self.chat_failures.get(params["chat_id"]):
            raise self.chat_failures[params["chat_id"]].pop(0)
        self.at.append((params["chat_id"], self.clock()))
        return super().call(method, params)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def bot(memory_runtime: Runtime, clock: ManualClock) -> TimedBot:
    memory_runtime.settings = settings(admin_ids=frozenset({99}))
    fake = TimedBot(clock)
    memory_runtime.bot_override = fake
    sender_for(memory_runtime).pacer = Pacer(clock=clock, sleep=clock.sleep)
    return fake


def register(rt: Runtime, user_id: int) -> None:
    event = UserRegistered(user_id=user_id, chat_id=user_id, first_name="Amina", language="en")
    rt.store.append(f"user-{user_id}", 0, [envelope(f"user-{user_id}", 1, event)])


def credited(user_id: int, version: int, amount: int = 150_000) -> Envelope:
    event = WalletCredited(
        user_id=user_id,
        amount=Money(amount=amount, currency="KES"),
        reason="deposit",
        reference=f"payment:p{version}",
    )
    return envelope(f"wallet-{user_id}", version, event)


def push(event: Envelope) -> None:
    assert client_for("notify", "cloudevent").post("/", json=push_body(event)).status_code == 200


def test_a_credited_deposit_is_sent_to_the_user_once_however_often_delivered(
    bot: TimedBot,
) -> None:
    event = credited(7, 2)
    for _ in range(3):
        push(event)
    assert bot.calls == [
        (
            "sendMessage",
            {
                "chat_id": 7,
                "text": "Your deposit of KES 1,500.00 was credited.",
                "parse_mode": "HTML",
            },
        )
    ]


def test_a_short_429_is_waited_out_and_the_message_sent(bot: TimedBot, clock: ManualClock) -> None:
    bot.failures = [RateLimited(3, "sendMessage: Too Many Requests: retry after 3")]
    push(credited(7, 2))
    assert clock.sleeps == [3]
    assert bot.methods() == ["sendMessage"]


def test_a_long_429_fails_the_delivery_and_the_redelivery_sends_it(
    bot: TimedBot, clock: ManualClock
) -> None:
    bot.failures = [RateLimited(60, "sendMessage: Too Many Requests: retry after 60")]
    response = client_for("notify", "cloudevent").post("/", json=push_body(credited(7, 2)))
    assert response.status_code == 500  # Pub/Sub redelivers later
    assert bot.calls == []
    assert clock.sleeps == []
    push(credited(7, 2))
    assert bot.methods() == ["sendMessage"]


def test_a_user_who_blocked_the_bot_is_recorded_and_not_messaged_again(
    bot: TimedBot, memory_runtime: Runtime
) -> None:
    register(memory_runtime, 7)
    bot.blocked.add(7)
    push(credited(7, 2))
    blocked = memory_runtime.store.load("user-7")[-1]
    assert (blocked.type, blocked.data) == ("user.blocked_bot.v1", {"user_id": 7})

    bot.blocked.clear()  # Telegram would refuse anyway; we must not even try
    push(credited(7, 3))
    assert bot.calls == []
    assert len(memory_runtime.store.load("user-7")) == 2  # recorded once


def test_a_blocked_user_who_starts_the_bot_again_gets_notices_again(
    bot: TimedBot, memory_runtime: Runtime
) -> None:
    from tests.builders import text_update
    from tests.functions.conftest import post_update

    post_update(client_for("telegram_webhook"), text_update("/start", user_id=7, update_id=1))
    bot.blocked.add(7)
    push(credited(7, 2))
    bot.blocked.clear()
    reply = post_update(
        client_for("telegram_webhook"), text_update("/start", user_id=7, update_id=2)
    )
    assert reply.get_json()["text"].startswith("Welcome back")
    push(credited(7, 3))
    assert [p["chat_id"] for _, p in bot.calls] == [7]


def test_messages_to_one_chat_are_a_second_apart_and_all_chats_share_the_process_rate(
    clock: ManualClock,
) -> None:
    bot = TimedBot(clock)
    sender = Sender(pacer=Pacer(clock=clock, sleep=clock.sleep))
    for chat in (1, 1, 2, 3, 1):
        sender.send(bot, Notice(chat, "hi"))
    start = 1000.0
    gap = 1 / PER_PROCESS_PER_SECOND
    assert [chat for chat, _ in bot.at] == [1, 1, 2, 3, 1]
    assert [at - start for _, at in bot.at] == pytest.approx(
        [
            0.0,
            1.0,  # the same chat waits a second
            1.0 + gap,  # another chat waits only for the process rate
            1.0 + 2 * gap,
            2.0,
        ]
    )


def test_instances_times_the_process_rate_stay_under_telegrams_overall_limit() -> None:
    notify = TOPOLOGY.function("notify")
    assert notify.concurrency == 1  # the pacing is per process; one request at a time
    assert notify.max_instances * PER_PROCESS_PER_SECOND < TELEGRAM_PER_SECOND
    subscribed = {s.topic for s in TOPOLOGY.subscriptions if s.function == "notify"}
    assert subscribed == {
        "payment-events",
        "wallet-events",
        "order-events",
        "referral-events",
        "coinaddress-events",
        "loyalty-events",
        "channel-events",
        "subscription-events",
        "revenue-events",
        "circle-events",
        "tier-events",  # a tier paid on a rail is told when it is in force
    }


@pytest.fixture
def telegram() -> Iterator[tuple[FakeTelegram, FakeClock]]:
    """The fake Bot API at its strictest: one message a second per chat, no burst."""
    clock = FakeClock()
    with FakeTelegram(clock=clock, per_chat_burst=1) as fake:
        yield fake, clock


def test_against_the_fake_bot_api_a_real_429_is_waited_out(
    telegram: tuple[FakeTelegram, FakeClock],
) -> None:
    fake, fake_clock = telegram
    bot = HttpBot(fake.base_url, fake.token)
    # No pacing of our own, so the second message to the chat meets Telegram's flood control.
    pacer = Pacer(per_second=1000, per_chat_s=0, clock=fake_clock, sleep=fake_clock.advance)
    sender = Sender(pacer=pacer)
    sender.send(bot, Notice(42, "one"))
    sender.send(bot, Notice(42, "two"))
    assert fake.messages_to(42) == ["one", "two"]
    assert [c.ok for c in fake.calls("sendMessage")] == [True, False, True]


def test_against_the_fake_bot_api_a_block_is_reported(
    telegram: tuple[FakeTelegram, FakeClock],
) -> None:
    fake, _ = telegram
    fake.block_user(42)
    sender = Sender(pacer=Pacer(sleep=lambda s: None))
    with pytest.raises(Blocked):
        sender.send(HttpBot(fake.base_url, fake.token), Notice(42, "hi"))


def test_flood_waits_beyond_the_attempts_give_up(clock: ManualClock) -> None:
    bot = TimedBot(clock)
    bot.failures = [RateLimited(1, "429")] * 3
    with pytest.raises(FloodWait):
        Sender(pacer=Pacer(clock=clock, sleep=clock.sleep)).send(bot, Notice(1, "hi"))
    assert bot.at == []


def test_paced_notices_never_meet_even_a_strict_per_chat_limit(
    telegram: tuple[FakeTelegram, FakeClock],
) -> None:
    fake, fake_clock = telegram
    bot = HttpBot(fake.base_url, fake.token)
    sender = Sender(pacer=Pacer(clock=fake_clock, sleep=fake_clock.advance))
    for chat, text in [(42, "one"), (42, "two"), (43, "other"), (42, "three")]:
        sender.send(bot, Notice(chat, text))
    assert [c.status for c in fake.calls("sendMessage")] == [200] * 4
    assert fake.messages_to(42) == ["one", "two", "three"]


def test_a_429_delays_only_its_chat_by_exactly_retry_after(clock: ManualClock) -> None:
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    pacer.defer(1, 3)
    pacer.wait(2)  # another chat: only the overall rate applies
    assert clock.sleeps == []
    pacer.wait(1)
    assert clock.sleeps == [3]
    assert pacer.busy(1)  # just sent
    assert not pacer.busy(2)  # its second has passed


def test_a_long_429_for_one_notice_fails_the_delivery_and_the_redelivery_sends_only_the_rest(
    memory_runtime: Runtime, clock: ManualClock
) -> None:
    from tests.builders import text_update
    from tests.functions.conftest import post_update

    memory_runtime.settings = settings(
        admin_ids=frozenset({98, 99}), manual_transfer_details="Bank, IBAN XX00"
    )
    bot = TimedBot(clock)
    memory_runtime.bot_override = bot
    sender_for(memory_runtime).pacer = Pacer(clock=clock, sleep=clock.sleep)
    webhook = client_for("telegram_webhook")
    post_update(webhook, text_update("/start", user_id=7, update_id=1))
    post_update(webhook, text_update("/deposit bank 100.00 JAN-7", user_id=7, update_id=2))
    (stream,) = [s for s in memory_runtime.store.streams() if s.startswith("payment-")]
    (started,) = [e for e in memory_runtime.store.load(stream) if e.type == "payment.started.v1"]
    bot.chat_failures[99] = [RateLimited(60, "sendMessage: Too Many Requests: retry after 60")]
    notify = client_for("notify", "cloudevent")

    assert notify.post("/", json=push_body(started)).status_code == 500  # redeliver later
    assert [chat for chat, _ in bot.at] == [98]
    push(started)  # the redelivery

    assert [chat for chat, _ in bot.at] == [98, 99]  # admin 98 is not told twice


def test_each_recipient_is_told_in_their_own_language_reading_each_user_stream_once(
    memory_runtime: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.texts import swahili
    from tests.builders import text_update
    from tests.functions.conftest import post_update

    # A Swahili line for the admins' notice (the catalogue has none yet): 98 reads Swahili.
    monkeypatch.setitem(swahili.TEXTS, "notices.transfer_declared", "Uhamisho: {amount} {payer} "
                        "{reference} {ref}")  # fmt: skip
    monkeypatch.setitem(swahili.TEXTS, "notices.button_approve", "✅ Kubali")
    memory_runtime.settings = settings(
        admin_ids=frozenset({98, 99}), manual_transfer_details="Bank, IBAN XX00"
    )
    bot = TimedBot(clock)
    memory_runtime.bot_override = bot
    sender_for(memory_runtime).pacer = Pacer(clock=clock, sleep=clock.sleep)
    webhook = client_for("telegram_webhook")
    post_update(webhook, text_update("/start", user_id=98, update_id=1, language="sw"))
    post_update(webhook, text_update("/start", user_id=7, update_id=2))
    post_update(webhook, text_update("/deposit bank 100.00 JAN-7", user_id=7, update_id=3))
    (stream,) = [s for s in memory_runtime.store.streams() if s.startswith("payment-")]
    (started,) = [e for e in memory_runtime.store.load(stream) if e.type == "payment.started.v1"]
    loaded: list[str] = []
    load = memory_runtime.store.load
    monkeypatch.setattr(
        memory_runtime.store, "load", lambda s, **kw: loaded.append(s) or load(s, **kw)
    )

    push(started)

    told = {params["chat_id"]: params for _, params in bot.calls}
    assert told[98]["text"].startswith("Uhamisho: PLN 100.00 Wanjiru (id 7) JAN-7")
    assert told[98]["reply_markup"]["inline_keyboard"][0][0]["text"] == "✅ Kubali"
    assert told[99]["text"].startswith("🏦 Transfer declared by Wanjiru (id 7): PLN 100.00")
    assert sorted(loaded) == sorted([stream, "user-7", "user-98", "user-99"])


def test_the_facts_name_a_provider_rail_by_its_label_and_the_payers_language(
    memory_runtime: Runtime,
) -> None:
    from events.payments import PaymentRequested
    from functions.notifications.dispatch import Reader, facts_for

    memory_runtime.store.append(
        "user-7", 0, [envelope("user-7", 1, UserRegistered(user_id=7, chat_id=7,
                                                           first_name="Amina", language="sw"))]
    )  # fmt: skip
    requested = PaymentRequested(
        payment_id="p1", user_id=7, purpose="wallet_deposit",
        amount=Money(amount=150_000, currency="KES"), rail="mpesa",
    )  # fmt: skip
    event = envelope("payment-p1", 1, requested)
    memory_runtime.store.append("payment-p1", 0, [event])
    readers: dict[int, Reader] = {}
    facts = facts_for(memory_runtime, event, readers)
    assert (facts.rail_label, facts.payer_name) == ("M-Pesa", "Amina")
    assert readers == {7: Reader(language="sw", blocked=False, first_name="Amina")}
