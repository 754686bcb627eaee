"""Paid channels through the webhook, the scheduler and the fake Bot API's chat membership:
an owner connects a channel and sets a plan, a buyer pays and gets in, is warned, removed,
buys again and gets in again; a forwarded link lets nobody else in."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Money
from functions.domain import revenue, subscriptions, wallet
from functions.domain.subscriptions import Purchase
from functions.jobs.subscriptions import end
from functions.notifications.dispatch import notices_for
from functions.ops.ledger import audit
from functions.projections.channels import revenue_of
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import HttpBot, Pacer
from tests.builders import button_update, pre_checkout_update, settings, text_update
from tests.fakes.telegram import FakeClock, FakeTelegram
from tests.fakes.telegram.chats import make_admin, open_link
from tests.fakes.telegram.objects import human_user
from tests.fakes.telegram.wire import ApiRequest
from tests.functions.conftest import client_for, everything_written, post_update
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback

pytestmark = pytest.mark.functions
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
        [link] = self.fake.state.chats.group(CHAT).links
        return link

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


def test_buy_join_warned_removed_buy_again_join_again(world: World) -> None:
    owner_sells(world)
    world.say(BUYER, "/start")
    world.top_up(BUYER, 100_000)
    bought = buy_from_wallet(world, BUYER)
    assert bought["reply_markup"]["inline_keyboard"][0][0]["url"] == world.join_link()
    world.ask_to_join(BUYER)
    assert world.members() == {BUYER}

    world.later(days=27, hours=1)
    assert end(world.rt)["warned"] == 1
    world.later(days=2)
    assert end(world.rt)["warned"] == 1
    world.later(days=1)
    assert end(world.rt)["removed"] == 1
    assert world.members() == set()
    assert BUYER not in world.fake.state.chats.group(CHAT).banned  # out, free to come back

    buy_from_wallet(world, BUYER)
    world.ask_to_join(BUYER)
    assert world.members() == {BUYER}
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.fee.amount, line.net.amount, line.count) == (
        100_000,
        5_000,
        95_000,
        2,
    )  # 5% of 2 x KES 500.00
    # The test's own top-up is no payment; the subscription debits raise no problem.
    problems = audit(world.rt.store, world.rt.read_models)
    assert [p for p in problems if "test-top-up" not in p.what] == []


def test_a_forwarded_link_lets_nobody_else_in(world: World) -> None:
    owner_sells(world)
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)
    world.ask_to_join(FRIEND)  # the buyer shared the link
    assert world.members() == set()
    declined = world.fake.calls("declineChatJoinRequest")
    assert [c.ok for c in declined] == [True]
    told = world.fake.calls("sendMessage", FRIEND)
    assert "start=ch_" + KEY in told[-1].params["text"]
    world.ask_to_join(BUYER)
    assert world.members() == {BUYER}


def test_a_renewal_before_the_end_extends_it_and_the_job_removes_nobody(world: World) -> None:
    owner_sells(world)
    world.top_up(BUYER, 100_000)
    buy_from_wallet(world, BUYER)
    world.ask_to_join(BUYER)
    world.later(days=29)
    buy_from_wallet(world, BUYER)
    world.later(days=2)
    assert end(world.rt)["removed"] == 0
    assert world.members() == {BUYER}
    state = world.rt.pipeline.current(
        subscriptions.subscriptions, subscriptions.stream_of(CHAT, BUYER)
    )
    assert state.status == "active"
    first_paid = state.payments[0].paid_at
    assert state.ends_at == first_paid + timedelta(days=60)


def test_the_job_twice_and_one_failure_mid_batch_stops_nothing(world: World) -> None:
    owner_sells(world)
    for user_id in (BUYER, FRIEND, 10):
        world.say(user_id, "/start")
        world.top_up(user_id, 50_000)
        buy_from_wallet(world, user_id)
        world.ask_to_join(user_id)
    # The chat's owner made FRIEND an admin meanwhile: Telegram refuses to ban them.
    world.fake.state.chats.group(CHAT).owner = human_user(FRIEND, "F", "en", None)
    world.later(days=31)
    first = end(world.rt)
    assert (first["removed"], first["failed"]) == (2, 1)
    assert world.members() == {FRIEND}
    again = end(world.rt)
    assert (again["removed"], again["failed"]) == (0, 1)  # retried, still refused


def test_dry_run_warns_and_expires_but_removes_nobody(world: World) -> None:
    owner_sells(world)
    world.say(OWNER, f"/dryrun ch_{KEY} on")
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)
    world.ask_to_join(BUYER)
    world.later(days=31)
    assert end(world.rt)["dry_run"] == 1
    assert world.members() == {BUYER}
    assert world.fake.calls("banChatMember") == []


def test_a_redelivered_pay_tap_debits_once(world: World) -> None:
    owner_sells(world)
    world.top_up(BUYER, 50_000)
    world.say(BUYER, f"/start ch_{KEY}")
    tap = button_update(f"ch:wallet:{KEY}:p1", user_id=BUYER, update_id=777)
    for _ in range(2):
        assert post_update(world.webhook, tap).status_code == 200
    doc = world.rt.read_models.get("balances", str(BUYER))
    assert doc is not None
    assert doc["balances"]["KES"] == 0


def test_only_the_owner_changes_the_channel_and_sees_its_revenue(world: World) -> None:
    owner_sells(world)
    refused = world.say(FRIEND, f"/plan ch_{KEY} 7 100 KES")
    assert "owner" in refused["text"]
    assert "Deep dives" not in world.say(FRIEND, "/channels")["text"]
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)
    mine = world.say(OWNER, "/channels")["text"]
    assert "Deep dives" in mine
    assert "Running subscriptions: 1" in mine


@pytest.mark.parametrize(
    "update",
    [
        {"my_chat_member": {"chat": {"id": "x"}, "from": {}, "date": 1}},
        {"my_chat_member": {"chat": {"id": 1, "type": "channel"}, "from": {"id": 1,
         "first_name": "A", "is_bot": False}, "date": 1, "old_chat_member": {"status": 1},
         "new_chat_member": {"status": "administrator"}}},
        {"chat_join_request": {"chat": {"id": -1}, "from": {"id": 2, "first_name": "B",
         "is_bot": False}, "date": 1, "user_chat_id": "2"}},
        {"chat_join_request": {"chat": {"id": -1}, "from": {"id": 2, "first_name": "B",
         "is_bot": False}, "date": 1, "user_chat_id": 2, "invite_link": "x"}},
        {"chat_member": []},
    ],
)  # fmt: skip
def test_malformed_chat_updates_are_400_and_write_nothing(
    world: World, update: dict[str, Any]
) -> None:
    before = everything_written(world.rt)
    response = post_update(world.webhook, {"update_id": 5, **update})
    assert response.status_code == 400
    assert everything_written(world.rt) == before


def test_a_forged_button_and_a_join_request_for_an_unknown_chat_change_nothing(
    world: World,
) -> None:
    owner_sells(world)
    before = everything_written(world.rt)
    for data in (f"ch:wallet:{KEY}:p9", "ch:wallet:n0012:p1", "ch:nope:x", f"ch:stars:{KEY}:p1"):
        assert world.tap(BUYER, data)["method"] in ("answerCallbackQuery", "sendMessage")
    request = {"chat_join_request": {
        "chat": {"id": -100999, "type": "channel", "title": "Other"},
        "from": {"id": BUYER, "first_name": "B", "is_bot": False}, "date": 1,
        "user_chat_id": BUYER,
    }}  # fmt: skip
    assert world.post(request) == {}
    assert everything_written(world.rt) == before


def test_a_plan_in_stars_is_paid_by_invoice_and_its_charge_counts_once(world: World) -> None:
    world.say(OWNER, "/start")
    world.connect()
    world.say(OWNER, f"/plan ch_{KEY} 30 250 XTR")
    world.say(BUYER, f"/start ch_{KEY}")
    sent = world.tap(BUYER, f"ch:stars:{KEY}:p1")
    assert (sent["method"], sent["currency"], sent["prices"][0]["amount"]) == (
        "sendInvoice", "XTR", 250,
    )  # fmt: skip
    checkout = pre_checkout_update(sent["payload"], 250, user_id=BUYER)
    assert world.post(checkout)["ok"] is True
    paid = text_update("", user_id=BUYER)
    paid["message"].pop("text")
    paid["message"].pop("entities")
    paid["message"]["successful_payment"] = {
        "currency": "XTR", "total_amount": 250, "invoice_payload": sent["payload"],
        "telegram_payment_charge_id": "stx-1", "provider_payment_charge_id": "p-1",
    }  # fmt: skip
    world.post(paid)
    world.post(paid)  # Telegram redelivers under a new update id: one charge, one month
    state = world.rt.pipeline.current(
        subscriptions.subscriptions, subscriptions.stream_of(CHAT, BUYER)
    )
    assert (state.status, len(state.payments)) == ("active", 1)
    world.ask_to_join(BUYER)
    assert world.members() == {BUYER}
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.fee.amount, line.net.amount) == (250, 12, 238)  # 12.5 -> 12
    assert audit(world.rt.store, world.rt.read_models) == []


def test_an_owner_broadcasts_to_running_subscribers_only_in_batches(world: World) -> None:
    owner_sells(world)
    buyers = list(range(100, 160))  # 60 subscribers: two batches
    for user_id in buyers:
        world.top_up(user_id, 50_000)
        buy_from_wallet(world, user_id)
    world.later(days=31)
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)  # the only one still running, with the 60 expired...
    for user_id in buyers[:59]:  # ...but 59 renew
        world.top_up(user_id, 50_000)
        buy_from_wallet(world, user_id)
    assert "owner" in world.say(FRIEND, f"/broadcast ch_{KEY} hi")["text"]
    answer = world.say(OWNER, f"/broadcast ch_{KEY} New <post> today")
    assert "60 subscriber" in answer["text"]
    batches = [
        e for s in ("channel-" + KEY,) for e in world.rt.store.load(s)
        if e.type == "channel.broadcast.v1"
    ]  # fmt: skip
    assert [len(e.data["recipients"]) for e in batches] == [50, 10]
    told = [n for e in batches for n in notices_for(world.rt, e, {})]
    assert {n.chat_id for n in told} == {BUYER, *buyers[:59]}
    assert "New &lt;post&gt; today" in told[0].text  # the owner's words, escaped


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


def test_a_star_subscription_renews_on_each_charge_and_a_cancelled_one_ends_when_paid_up(
    world: World,
) -> None:
    world.say(OWNER, "/start")
    world.connect()
    world.say(OWNER, f"/plan ch_{KEY} 30 250 XTR")
    offer = world.tap(BUYER, f"ch:monthly:{KEY}:p1")
    link = offer["reply_markup"]["inline_keyboard"][0][0]["url"]
    [made] = world.fake.calls("createInvoiceLink")
    assert made.params["subscription_period"] == 2_592_000
    assert link.startswith("https://t.me/$")
    payload = made.params["payload"]
    assert world.post(pre_checkout_update(payload, 250, user_id=BUYER))["ok"] is True
    world.post(star_charge(world, payload, "stx-first", first=True))
    world.ask_to_join(BUYER)
    world.later(days=30)  # Telegram renews: a new charge for the same invoice
    renewal = star_charge(world, payload, "stx-second", first=False)
    world.post(renewal)
    world.post(copy.deepcopy(renewal))  # delivered again: one charge, one month
    state = world.rt.pipeline.current(
        subscriptions.subscriptions, subscriptions.stream_of(CHAT, BUYER)
    )
    assert [b.days for b in state.payments] == [30, 30]
    assert end(world.rt)["removed"] == 0
    world.later(days=30, minutes=1)  # cancelled: no third charge comes
    assert end(world.rt)["removed"] == 1
    assert world.members() == set()
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.count) == (500, 2)
    held = [e for s in world.rt.store.streams("payment") for e in world.rt.store.load(s)
            if e.type == "payment.held_for_review.v1"]  # fmt: skip
    assert held == []
    assert audit(world.rt.store, world.rt.read_models) == []


def test_a_star_subscription_is_offered_only_for_a_thirty_day_plan_in_stars(world: World) -> None:
    world.say(OWNER, "/start")
    world.connect()
    world.say(OWNER, f"/plan ch_{KEY} 7 100 XTR")
    refused = world.tap(BUYER, f"ch:monthly:{KEY}:p1")
    assert refused["method"] == "answerCallbackQuery"
    assert "30-day" in refused["text"]
    assert world.fake.calls("createInvoiceLink") == []


def test_the_audit_finds_time_no_money_bought_and_revenue_counted_wrong(world: World) -> None:
    rt = world.rt
    bought = Purchase(CHAT, OWNER, "p1", 30)
    pay = subscriptions.Pay(BUYER, bought, Money(amount=250, currency="XTR"), "payment:forged",
                            "payment", rt.clock.now())  # fmt: skip
    rt.pipeline.execute(subscriptions.subscriptions, subscriptions.stream_of(CHAT, BUYER), pay)
    wrong = revenue.Earn(OWNER, CHAT, BUYER, "payment:other", "subscription",
                         Money(amount=100, currency="XTR"), fee_bp=500)  # fmt: skip
    rt.pipeline.execute(revenue.revenues, revenue.stream_of(OWNER), wrong)
    found = {p.what for p in audit(rt.store, rt.read_models)}
    assert "time bought by payment:forged, which moved no money" in found
    assert "revenue payment:other matches no payment of theirs" in found


def test_a_plan_is_paid_on_a_provider_rail_and_only_its_verified_success_buys_time(
    world: World,
) -> None:
    rail = FakeRail()
    world.rt.rail_overrides = {"fake": rail}
    world.rt.settings = settings(public_base_url=RAIL_BASE)
    owner_sells(world)
    world.say(BUYER, f"/start ch_{KEY}")
    offered = world.tap(BUYER, f"ch:buy:{KEY}:p1")
    labels = [row[0]["text"] for row in offered["reply_markup"]["inline_keyboard"]]
    assert labels == ["Pay from wallet", "Test rail"]
    world.tap(BUYER, f"ch:rail:{KEY}:p1:fake")
    [started] = rail.started
    hook = client_for("payment_webhook")
    claim = callback(started.payment_id, "succeeded")  # a claim: the status query says pending
    assert hook.post(f"/payments/fake/{PATH_SECRET}", json=claim).status_code == 200
    stream = subscriptions.stream_of(CHAT, BUYER)
    assert world.rt.pipeline.current(subscriptions.subscriptions, stream).status == "none"
    rail.truth[started.payment_id] = "succeeded"
    assert hook.post(f"/payments/fake/{PATH_SECRET}", json=claim).status_code == 200
    assert world.rt.pipeline.current(subscriptions.subscriptions, stream).status == "active"
    assert audit(world.rt.store, world.rt.read_models) == []


def keypad_taps(world: World, user_id: int, taps: list[str]) -> Any:
    """Tap keypad keys in turn, each on the message the previous answer drew."""
    answer: Any = None
    data = f"ch:don:{KEY}:"
    for label in ["open", *taps]:
        if answer is not None:
            keys = {b["text"]: b["callback_data"]
                    for row in answer["reply_markup"]["inline_keyboard"] for b in row}  # fmt: skip
            data = keys[label]
        answer = world.tap(user_id, data)
    return answer


def test_a_donation_typed_on_the_keypad_goes_to_the_owner_once(world: World) -> None:
    owner_sells(world)
    world.top_up(BUYER, 100_000)
    typed = keypad_taps(world, BUYER, ["1", "2", "0", "⌫", "5"])
    assert typed["method"] == "editMessageText"
    assert "125 KES" in typed["text"]
    confirm = keypad_taps(world, BUYER, ["1", "2", "5", "✅"])
    assert "KES 125.00" in confirm["text"]
    pay = button_update(f"ch:gw:{KEY}:125", user_id=BUYER, update_id=900)
    for _ in range(2):  # a redelivered tap gives once
        assert post_update(world.webhook, pay).status_code == 200
    balance = world.rt.read_models.get("balances", str(BUYER))
    assert balance is not None
    assert balance["balances"]["KES"] == 100_000 - 12_500
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.fee.amount, line.net.amount) == (12_500, 625, 11_875)
    problems = audit(world.rt.store, world.rt.read_models)
    assert [p for p in problems if "test-top-up" not in p.what] == []


@pytest.mark.parametrize("digits", ["0", "", "1000000", "12a", "-5", "٣"])
def test_a_donation_outside_its_limits_is_refused_and_writes_nothing(
    world: World, digits: str
) -> None:
    owner_sells(world)
    world.top_up(BUYER, 100_000)
    before = everything_written(world.rt)
    for action in ("give", "gw"):
        refused = world.tap(BUYER, f"ch:{action}:{KEY}:{digits}")
        assert refused["method"] == "answerCallbackQuery"
        assert refused["show_alert"] is True
    assert everything_written(world.rt) == before


def test_a_donation_in_stars_is_paid_by_invoice(world: World) -> None:
    world.say(OWNER, "/start")
    world.connect()
    world.say(OWNER, f"/plan ch_{KEY} 30 250 XTR")
    sent = world.tap(BUYER, f"ch:gs:{KEY}:20000")
    assert sent["show_alert"] is True  # more Stars than one payment may be
    sent = world.tap(BUYER, f"ch:gs:{KEY}:50")
    assert (sent["method"], sent["prices"][0]["amount"]) == ("sendInvoice", 50)
    world.post(pre_checkout_update(sent["payload"], 50, user_id=BUYER))
    paid = star_charge(world, sent["payload"], "stx-gift", first=False)
    paid["message"]["successful_payment"]["total_amount"] = 50
    for flag in ("is_recurring", "is_first_recurring", "subscription_expiration_date"):
        paid["message"]["successful_payment"].pop(flag)
    assert "Thank you" in world.post(paid)["text"]  # not "to your wallet"
    [line] = revenue_of(world.rt.read_models, OWNER)
    assert (line.gross.amount, line.fee.amount, line.net.amount) == (50, 2, 48)
    assert audit(world.rt.store, world.rt.read_models) == []


def test_a_channel_where_the_bot_may_no_longer_ban_is_not_asked_and_stays_due(
    world: World,
) -> None:
    owner_sells(world)
    world.top_up(BUYER, 50_000)
    buy_from_wallet(world, BUYER)
    world.ask_to_join(BUYER)
    owner = human_user(OWNER, "Olga", "en", None)
    with world.fake.state.lock:  # the owner takes the bot's right to ban away
        demoted = make_admin(world.fake.state, CHAT, "Deep dives", owner, "channel",
                             {"can_invite_users": True})  # fmt: skip
    world.post(demoted)
    world.later(days=31)
    assert end(world.rt)["failed"] == 1
    assert world.fake.calls("banChatMember") == []
    assert world.members() == {BUYER}
