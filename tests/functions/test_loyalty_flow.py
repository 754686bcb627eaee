"""Tiers, badges and the leaderboard through the Telegram webhook and a rail's callback:
a referrer's commissions reach Silver (told once), /referrals shows the tier with its bar
and badges, and /leaderboard ranks two referrers, each able to leave the board."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from functions.contexts import referrals as context
from functions.runtime.bootstrap import Runtime
from tests.functions.fake_rail import FakeRail
from tests.functions.test_referrals_flow import Chat, deposit, link_of, rail, told, wallet

pytestmark = pytest.mark.functions
__all__ = ["rail"]  # the fixture, shared with the referral flow's tests
ALICE, BOB, CAROL, DAN = 7, 8, 9, 10


@pytest.fixture(autouse=True)
def kes_counts_one_to_one(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The fake rail collects KES; here a KES cent counts as a grosz toward the tiers."""
    monkeypatch.setenv("SOKO_REFERRALS_CONVERSION", '{"KES": 1000000}')
    for cached in (context.referral_settings, context.programme):
        cached.cache_clear()
    yield
    monkeypatch.undo()
    for cached in (context.referral_settings, context.programme):
        cached.cache_clear()


@pytest.fixture
def chat(rail: FakeRail) -> Chat:
    from tests.functions.conftest import client_for

    webhook: FlaskClient = client_for("telegram_webhook")
    chat = Chat(webhook)
    for referrer, referee, names in (
        (ALICE, BOB, ("Alice", "Bob")),
        (CAROL, DAN, ("Christopher Anne", "Dan")),
    ):
        chat.say(referrer, "/start", names[0])
        code = link_of(chat, referrer, names[0])
        chat.say(referee, f"/start ref_{code}", names[1])
    return chat


def test_commission_reaching_silver_is_announced_once_and_shown_with_its_bar_and_badges(
    chat: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    deposit(chat, rail, BOB, "3334", "Bob")  # 3% floored: KES 100.02, Silver at 100
    deposit(chat, rail, BOB, "10", "Bob")

    assert wallet(memory_runtime, ALICE) == {"KES": 10_032}
    notices = told(memory_runtime, ALICE)
    assert [n for n in notices if "tier" in n and n.startswith("🏆")] == [
        "🏆 You reached the Silver tier: PLN 100.02 earned from friends' top-ups."
    ]
    assert [n for n in notices if n.startswith("🏅")] == [
        "🏅 Badge unlocked: First referral",
        "🏅 Badge unlocked: Silver tier",
    ]
    assert "🏅 Badge unlocked: First top-up" in told(memory_runtime, BOB)
    shown = chat.say(ALICE, "/referrals", "Alice")["text"]
    assert shown.endswith(
        "Tier: <b>Silver</b> · PLN 100.32 earned\n"
        "░░░░░░░░░░ 0% PLN 100.32 of PLN 500.00 to Gold\n"
        "Badges: First referral, Silver tier"
    )
    fresh = chat.say(BOB, "/referrals", "Bob")["text"]
    assert fresh.endswith(
        "Tier: <b>Bronze</b> · PLN 0.00 earned\n"
        "░░░░░░░░░░ 0% PLN 0.00 of PLN 100.00 to Silver\n"
        "Badges: First top-up"
    )


def test_the_leaderboard_ranks_referrers_shortens_names_and_lets_one_hide(
    chat: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    deposit(chat, rail, BOB, "1000", "Bob")  # Alice earns 30.00
    deposit(chat, rail, DAN, "2000", "Dan")  # Carol earns 60.00

    board = chat.say(BOB, "/leaderboard", "Bob")["text"]
    assert board == (
        "<b>Top referrers this month</b>\n1. Christo… · PLN 60.00\n2. Alice · PLN 30.00\n"
        "You: not on the board yet\n\n"
        "<b>Top referrers of all time</b>\n1. Christo… · PLN 60.00\n2. Alice · PLN 30.00\n"
        "You: not on the board yet\n\n"
        "/leaderboard hide leaves the board; /leaderboard show comes back."
    )
    assert "You: #2 · PLN 30.00" in chat.say(ALICE, "/leaderboard", "Alice")["text"]

    hid = chat.say(CAROL, "/leaderboard hide", "Christopher")["text"]
    assert hid == "Done: the leaderboard no longer shows you."
    board = chat.say(ALICE, "/leaderboard", "Alice")["text"]
    assert "Christo" not in board
    assert board.count("1. Alice · PLN 30.00\nYou: #1 · PLN 30.00") == 2
    assert "You are hidden from the board" in chat.say(CAROL, "/leaderboard", "Christopher")["text"]

    chat.say(CAROL, "/leaderboard show", "Christopher")
    assert "1. Christo… · PLN 60.00" in chat.say(ALICE, "/leaderboard", "Alice")["text"]


def test_this_months_board_starts_empty_in_a_new_month(
    chat: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    from datetime import timedelta

    deposit(chat, rail, BOB, "1000", "Bob")
    memory_runtime.clock.current += timedelta(days=40)  # type: ignore[attr-defined]

    board = chat.say(ALICE, "/leaderboard", "Alice")["text"]
    month, all_time = board.split("\n\n")[:2]
    assert month == "<b>Top referrers this month</b>\nnobody yet\nYou: not on the board yet"
    assert all_time.endswith("1. Alice · PLN 30.00\nYou: #1 · PLN 30.00")


def test_the_shops_scenario_a_friends_100_pln_top_up_pays_the_referrer_3_pln(
    memory_runtime: Runtime,
) -> None:
    from tests.builders import button_update, settings
    from tests.functions.conftest import client_for, post_update

    admin = 99
    memory_runtime.settings = settings(
        admin_ids=frozenset({admin}), manual_transfer_details="mBank PL61 1090 1014"
    )
    chat = Chat(client_for("telegram_webhook"))
    chat.say(ALICE, "/start", "Alice")
    code = link_of(chat, ALICE, "Alice")  # https://t.me/soko_test_bot?start=ref_<code>
    assert chat.say(BOB, f"/start ref_{code}", "Bob")["text"].startswith("Alice invited you.")
    assert "🎉 New referral: Bob joined with your link." in told(memory_runtime, ALICE)

    chat.say(BOB, "/deposit bank 100.00 JAN-7", "Bob")  # PLN, approved by an admin
    (payment,) = memory_runtime.read_models.all("payments").values()
    tap = button_update(f"adm:ok:{payment['payment_id']}", user_id=admin, update_id=999)
    assert post_update(chat.webhook, tap).status_code == 200

    assert wallet(memory_runtime, BOB) == {"PLN": 10_000}
    assert wallet(memory_runtime, ALICE) == {"PLN": 300}
    assert "💸 Commission PLN 3.00 from a friend's top-up is in your wallet." in told(
        memory_runtime, ALICE
    )


def test_a_tier_rate_pays_a_bonus_on_the_wallet_and_a_refund_takes_both_back(
    chat: Chat, rail: FakeRail, memory_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from events import Money
    from events.loyalty import BonusEarned
    from functions.ops.ledger import audit
    from tests.functions.test_referrals_flow import _append, refund

    monkeypatch.setenv("SOKO_REFERRALS_TIER_RATES_BP", '{"silver": 500}')
    for cached in (context.referral_settings, context.programme):
        cached.cache_clear()
    deposit(chat, rail, BOB, "3334", "Bob")  # KES 100.02 at 3%: Silver
    second = deposit(chat, rail, BOB, "1000", "Bob")  # 3% = 30.00, plus 2% at Silver: 20.00

    assert wallet(memory_runtime, ALICE) == {"KES": 10_002 + 3_000 + 2_000}
    paid = [n for n in told(memory_runtime, ALICE) if "in your wallet" in n]
    assert paid == [
        "💸 Commission KES 100.02 from a friend's top-up is in your wallet.",
        "💸 Commission KES 30.00 from a friend's top-up is in your wallet.",
        "🏆 Your tier's bonus KES 20.00 on a friend's top-up is in your wallet.",
    ]
    assert audit(memory_runtime.store, memory_runtime.read_models) == []
    refund(memory_runtime, second)
    assert wallet(memory_runtime, ALICE) == {"KES": 10_002}
    assert audit(memory_runtime.store, memory_runtime.read_models) == []

    kes = lambda amount: Money(amount=amount, currency="KES")  # noqa: E731
    forged = BonusEarned(
        user_id=ALICE, payment_id="p-none", tier="silver", rate_bp=500,
        deposit=kes(100_000), commission=kes(3_000), bonus=kes(2_000),
    )  # fmt: skip
    _append(memory_runtime, f"loyalty-{ALICE}", forged, "forged-bonus")
    problems = [p.what for p in audit(memory_runtime.store, memory_runtime.read_models)]
    assert "bonus on p-none has no commission of that referrer" in problems


def test_the_link_binds_before_start_is_answered_without_waiting_for_a_subscriber(
    memory_runtime: Runtime,
) -> None:
    from typing import cast

    from functions.runtime.memory import MemoryPublisher
    from tests.functions.conftest import client_for

    chat = Chat(client_for("telegram_webhook"))
    chat.say(ALICE, "/start", "Alice")
    code = link_of(chat, ALICE, "Alice")
    cast(MemoryPublisher, memory_runtime.publisher).subscribers.clear()  # no bus from here on

    chat.say(BOB, f"/start ref_{code}", "Bob")

    bound = [e.type for e in memory_runtime.store.load(f"referral-{BOB}")]
    joined = [e.type for e in memory_runtime.store.load(f"referral-{ALICE}")]
    assert (bound, joined) == (["referral.bound.v1"], ["referral.referee_joined.v1"])


def test_the_board_shows_ten_and_the_askers_place_below_them_counting_only_visible_users(
    memory_runtime: Runtime,
) -> None:
    from events import Money
    from functions.domain import loyalty
    from functions.runtime.pipeline import Trace
    from tests.functions.conftest import client_for

    chat = Chat(client_for("telegram_webhook"))
    referrers = list(range(100, 112))  # twelve: 100 earned the least, 111 the most
    for place, user in enumerate(referrers, start=1):
        chat.say(user, "/start", f"R{user}")
        earned = Money(amount=place * 100, currency="PLN")
        count = loyalty.Count(user, "commission", f"p{user}", context.programme(), earned)
        memory_runtime.execute(loyalty.loyalty, loyalty.stream_of(user), count, Trace(f"c{user}"))

    board = chat.say(100, "/leaderboard", "R100")["text"]
    month = board.split("\n\n")[0].splitlines()
    assert month[1:4] == ["1. R111 · PLN 12.00", "2. R110 · PLN 11.00", "3. R109 · PLN 10.00"]
    assert month[10:] == ["10. R102 · PLN 3.00", "You: #12 · PLN 1.00"]

    chat.say(111, "/leaderboard hide", "R111")
    chat.say(105, "/leaderboard hide", "R105")
    month = chat.say(100, "/leaderboard", "R100")["text"].split("\n\n")[0].splitlines()
    assert month[1] == "1. R110 · PLN 11.00"
    assert "R105" not in "\n".join(month)
    assert month[-2:] == ["10. R100 · PLN 1.00", "You: #10 · PLN 1.00"]


def test_hiding_holds_for_the_next_leaderboard_without_waiting_for_the_projection(
    chat: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    from typing import cast

    from functions.runtime.memory import MemoryPublisher

    deposit(chat, rail, BOB, "1000", "Bob")  # Alice earns 30.00
    cast(MemoryPublisher, memory_runtime.publisher).subscribers.clear()  # no bus from here on

    chat.say(ALICE, "/leaderboard hide", "Alice")
    board = chat.say(ALICE, "/leaderboard", "Alice")["text"]
    assert "1. Alice" not in board
    assert board.count("You are hidden from the board") == 2
    chat.say(ALICE, "/leaderboard show", "Alice")
    assert chat.say(BOB, "/leaderboard", "Bob")["text"].count("1. Alice · PLN 30.00") == 2
