"""The referral programme through the Telegram webhook and a rail's callback: a link, a
friend who opens it, a commission on their deposit, and a refund that takes it back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from events import decode
from functions.domain import payments
from functions.notifications.dispatch import notices_for
from functions.ops.ledger import audit
from functions.projections.referrals import referrals_of
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from tests.builders import settings, text_update
from tests.functions.conftest import client_for, post_update
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback

pytestmark = pytest.mark.functions
BASE = "https://functions.example/payment_webhook"
ALICE, BOB, DAN, ADMIN = 7, 8, 10, 99


@pytest.fixture
def rail(memory_runtime: Runtime) -> FakeRail:
    fake = FakeRail()
    memory_runtime.rail_overrides = {"fake": fake}
    memory_runtime.settings = settings(public_base_url=BASE, admin_ids=frozenset({ADMIN}))
    return fake


@pytest.fixture
def webhook(rail: FakeRail) -> FlaskClient:
    return client_for("telegram_webhook")


class Chat:
    def __init__(self, webhook: FlaskClient) -> None:
        self.webhook, self.update_id = webhook, 0

    def say(self, user_id: int, text: str, name: str = "Alice", last_name: str = "") -> Any:
        self.update_id += 1
        update = text_update(text, user_id=user_id, update_id=self.update_id)
        update["message"]["from"]["first_name"] = name
        if last_name:
            update["message"]["from"]["last_name"] = last_name
        return post_update(self.webhook, update).get_json()


def link_of(chat: Chat, user_id: int, name: str) -> str:
    answer = chat.say(user_id, "/referrals", name)
    found = re.search(r"https://t\.me/soko_test_bot\?start=ref_([0-9a-z-]+)", answer["text"])
    assert found is not None, answer["text"]
    return found.group(1)


def deposit(chat: Chat, rail: FakeRail, user_id: int, amount: str, name: str) -> str:
    chat.say(user_id, f"/deposit fake {amount}", name)
    payment_id = rail.started[-1].payment_id
    rail.truth[payment_id] = "succeeded"
    hook = client_for("payment_webhook")
    posted = hook.post(f"/payments/fake/{PATH_SECRET}", json=callback(payment_id, "succeeded"))
    assert posted.status_code == 200
    return payment_id


def refund(rt: Runtime, payment_id: str) -> None:
    rt.pipeline.execute(
        payments.payments, payments.stream_of(payment_id),
        payments.AdminRefund(ADMIN, f"receipt-{payment_id}"), Trace(f"refund-{payment_id}"),
    )  # fmt: skip


def wallet(rt: Runtime, user_id: int) -> dict[str, int]:
    doc = rt.read_models.get("balances", str(user_id))
    return dict(doc["balances"]) if doc else {}


def told(rt: Runtime, user_id: int) -> list[str]:
    """Every notice the rules give `user_id` for what the store holds."""
    store: Any = rt.store
    return [
        n.text
        for stream in store.streams()
        for e in store.load(stream)
        for n in notices_for(rt, e, {})
        if n.chat_id == user_id
    ]


@pytest.fixture
def bound(webhook: FlaskClient, rail: FakeRail) -> Chat:
    chat = Chat(webhook)
    chat.say(ALICE, "/start", "Alice")
    code = link_of(chat, ALICE, "Alice")
    welcome = chat.say(BOB, f"/start ref_{code}", "Bob", last_name="Kowalski")["text"]
    assert welcome.startswith("Alice invited you.\n\nWelcome to Soko, Bob!")
    return chat


def test_a_new_users_welcome_gives_their_own_link_the_one_referrals_shows(
    webhook: FlaskClient, rail: FakeRail
) -> None:
    chat = Chat(webhook)
    welcome = chat.say(ALICE, "/start", "Alice")["text"]
    code = link_of(chat, ALICE, "Alice")
    assert welcome.endswith(
        f"Invite friends with your link: https://t.me/soko_test_bot?start=ref_{code}\n"
        "You earn 3% of each top-up they make (/referrals)."
    )
    assert link_of(chat, ALICE, "Alice") == code  # stable
    assert "ref_" not in chat.say(ALICE, "/start", "Alice")["text"]  # welcomed back: no repeat


def test_the_referrer_is_told_the_referees_first_name_only_and_the_referee_sees_who(
    bound: Chat, memory_runtime: Runtime
) -> None:
    notices = told(memory_runtime, ALICE)
    assert "🎉 New referral: Bob joined with your link." in notices
    assert not any("Kowalski" in n for n in notices)
    shown = bound.say(BOB, "/referrals", "Bob")["text"]
    assert "You joined through Alice's link." in shown
    assert "joined through" not in bound.say(ALICE, "/referrals", "Alice")["text"]
    assert referrals_of(memory_runtime.read_models, BOB).referrer_id == ALICE
    assert referrals_of(memory_runtime.read_models, ALICE).referees == ("Bob",)


def test_a_friend_who_opens_the_link_earns_the_referrer_three_percent_of_a_deposit(
    bound: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    assert "🎉 New referral: Bob joined with your link." in told(memory_runtime, ALICE)

    deposit(bound, rail, BOB, "100", "Bob")

    assert wallet(memory_runtime, BOB) == {"KES": 10_000}
    assert wallet(memory_runtime, ALICE) == {"KES": 300}  # 3% of KES 100.00
    (credit,) = [
        decode(e) for e in memory_runtime.store.load(f"wallet-{ALICE}")
        if e.type == "wallet.credited.v1"
    ]  # fmt: skip
    assert credit.reference.startswith("commission:")  # type: ignore[attr-defined]
    assert "💸 Commission KES 3.00 from a friend's top-up is in your wallet." in told(
        memory_runtime, ALICE
    )
    shown = bound.say(ALICE, "/referrals", "Alice")
    code = link_of(bound, ALICE, "Alice")
    assert shown["text"] == (
        f"Your referral code: <code>{code}</code>\n"
        f"Your link: https://t.me/soko_test_bot?start=ref_{code}\n\n"
        "Friends who joined: 1\nEarned:\nKES 3.00\n\n"
        "You earn 3% of every top-up a friend makes, credited to your wallet.\n\n"
        # KES has no rate toward the PLN tiers by default: it does not count.
        "Tier: <b>Bronze</b> · PLN 0.00 earned\n"
        "░░░░░░░░░░ 0% PLN 0.00 of PLN 100.00 to Silver\n"
        "Badges: First referral"
    )
    assert shown["reply_markup"]["inline_keyboard"][0][0]["url"].startswith(
        "https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fsoko_test_bot%3Fstart%3Dref_"
    )
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_commission_is_floored_to_the_minor_unit(
    bound: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    deposit(bound, rail, BOB, "0.99", "Bob")  # 3% of 99 cents is 2.97: 2 cents
    assert wallet(memory_runtime, ALICE) == {"KES": 2}


def test_a_refunded_deposit_takes_its_commission_back(
    bound: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    paid = deposit(bound, rail, BOB, "100", "Bob")
    refund(memory_runtime, paid)

    assert wallet(memory_runtime, ALICE) == {"KES": 0}
    assert referrals_of(memory_runtime.read_models, ALICE).earned == ()
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_a_refund_after_the_referrer_spent_it_is_owed_and_netted_from_the_next(
    bound: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    first = deposit(bound, rail, BOB, "100", "Bob")
    _spend_everything(memory_runtime, ALICE)
    refund(memory_runtime, first)

    assert wallet(memory_runtime, ALICE) == {"KES": 0}  # never below zero
    view = referrals_of(memory_runtime.read_models, ALICE)
    assert [(m.amount, m.currency) for m in view.owed] == [(300, "KES")]

    deposit(bound, rail, BOB, "200", "Bob")  # earns 600, of which 300 repays the debt

    assert wallet(memory_runtime, ALICE) == {"KES": 300}
    view = referrals_of(memory_runtime.read_models, ALICE)
    assert view.owed == ()
    assert [(m.amount, m.currency) for m in view.earned] == [(600, "KES")]
    assert audit(memory_runtime.store, memory_runtime.read_models) == []
    # What she was told adds up to what her wallet kept: 6.00 in, 3.00 of it to the debt.
    notices = told(memory_runtime, ALICE)
    assert "💸 Commission KES 6.00 from a friend's top-up is in your wallet." in notices
    assert "KES 3.00 of that commission went to what a refunded top-up left you owing." in notices
    reversed_ = [n for n in notices if n.startswith("A friend's top-up was refunded")]
    assert reversed_ == [
        "A friend's top-up was refunded: its commission KES 3.00 is taken back, from your"
        " wallet, and what it does not hold from your next commissions."
    ]


def _spend_everything(rt: Runtime, user_id: int) -> None:
    from events import Money
    from functions.domain import wallet as wallets

    held = wallet(rt, user_id)["KES"]
    rt.pipeline.execute(
        wallets.wallets, wallets.stream_of(user_id),
        wallets.Debit(user_id, Money(amount=held, currency="KES"), "payout", "payout:1"),
        Trace("spend"),
    )  # fmt: skip


def test_self_referral_pays_nothing_and_says_the_link_was_not_valid(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    chat = Chat(webhook)
    from functions.contexts.referrals import referral_settings
    from functions.domain import referrals

    own = referrals.code_of(BOB, referral_settings().code_secret())
    welcome = chat.say(BOB, f"/start ref_{own}", "Bob")["text"]
    assert welcome.startswith("That invitation link is not valid")
    deposit(chat, rail, BOB, "100", "Bob")
    assert wallet(memory_runtime, BOB) == {"KES": 10_000}
    assert memory_runtime.store.streams("referral") == []


def test_an_unknown_or_forged_code_registers_without_a_referrer(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    chat = Chat(webhook)
    chat.say(ALICE, "/start", "Alice")
    forged = f"7-{'a' * 8}"
    assert chat.say(BOB, f"/start ref_{forged}", "Bob")["text"].startswith(
        "That invitation link is not valid; you joined without one.\n\nWelcome to Soko, Bob!"
    )
    deposit(chat, rail, BOB, "100", "Bob")
    assert wallet(memory_runtime, ALICE) == {}
    assert memory_runtime.store.streams("referral") == []


def test_an_existing_user_cannot_be_rebound_by_opening_a_link_later(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    chat = Chat(webhook)
    chat.say(ALICE, "/start", "Alice")
    chat.say(BOB, "/start", "Bob")
    code = link_of(chat, ALICE, "Alice")
    assert chat.say(BOB, f"/start ref_{code}", "Bob")["text"].startswith(
        "You had already joined, so this invitation changes nothing.\n\nWelcome back, Bob!"
    )
    deposit(chat, rail, BOB, "100", "Bob")
    assert wallet(memory_runtime, ALICE) == {}
    assert referrals_of(memory_runtime.read_models, ALICE).referees == ()


def test_a_cycle_cannot_form_the_referrer_opening_their_referees_link_changes_nothing(
    bound: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    bob_code = link_of(bound, BOB, "Bob")
    bound.say(ALICE, f"/start ref_{bob_code}", "Alice")  # Alice registered long ago
    deposit(bound, rail, ALICE, "100", "Alice")
    assert wallet(memory_runtime, BOB) == {}
    assert referrals_of(memory_runtime.read_models, ALICE).referrer_id is None


def test_a_farm_of_bare_sign_ups_without_deposits_pays_nothing(
    webhook: FlaskClient, rail: FakeRail, memory_runtime: Runtime
) -> None:
    chat = Chat(webhook)
    chat.say(ALICE, "/start", "Alice")
    code = link_of(chat, ALICE, "Alice")
    for fake in range(1000, 1040):
        chat.say(fake, f"/start ref_{code}", f"Bot{fake}")
    assert len(referrals_of(memory_runtime.read_models, ALICE).referees) == 40
    assert wallet(memory_runtime, ALICE) == {}
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def _append(rt: Runtime, stream: str, event: Any, key: str) -> None:
    """Write `event` as it is, past every decider: what the audit must catch."""
    from functions.domain.decider import Decider

    verbatim: Decider[None, Any] = Decider(None, lambda s, e: s, lambda s, c: [c])
    rt.pipeline.execute(verbatim, stream, event, Trace(key))


def test_the_audit_names_a_commission_without_a_deposit_or_paid_twice(
    bound: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    from events import Money
    from events.referrals import CommissionEarned
    from events.wallet import WalletCredited

    paid = deposit(bound, rail, BOB, "100", "Bob")
    assert audit(memory_runtime.store, memory_runtime.read_models) == []
    kes = Money(amount=300, currency="KES")
    _append(
        memory_runtime,
        f"wallet-{ALICE}",
        WalletCredited(
            user_id=ALICE, amount=kes, reason="commission", reference=f"commission:{paid}"
        ),
        "forged-1",
    )
    _append(
        memory_runtime,
        f"wallet-{ALICE}",
        WalletCredited(
            user_id=ALICE, amount=kes, reason="commission", reference="commission:nothing"
        ),
        "forged-2",
    )
    _append(memory_runtime, f"referral-{BOB}", CommissionEarned(
        payment_id="p-greedy", referee_id=BOB, referrer_id=ALICE, rate_bp=300,
        deposit=Money(amount=10_000, currency="KES"), commission=kes), "f3")  # fmt: skip

    found = {p.what for p in audit(memory_runtime.store, memory_runtime.read_models)}

    assert "commission paid 2 times" in found
    assert "credit commission:nothing has no commission" in found
    assert "commission on p-greedy has no succeeded deposit of the referee" in found


@pytest.fixture
def strict_terms(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The optional terms, off by default, set as a deployment sets them."""
    from functions.contexts import referrals as context

    monkeypatch.setenv("SOKO_REFERRALS_MIN_DEPOSIT", '{"KES": 5000}')
    monkeypatch.setenv("SOKO_REFERRALS_CAP", '{"KES": 400}')
    monkeypatch.setenv("SOKO_REFERRALS_WINDOW_DAYS", "30")
    context.referral_settings.cache_clear()
    yield
    monkeypatch.undo()
    context.referral_settings.cache_clear()


def test_a_minimum_a_cap_per_referee_and_a_window_after_sign_up_bound_what_a_friend_earns(
    strict_terms: None, bound: Chat, rail: FakeRail, memory_runtime: Runtime
) -> None:
    from datetime import timedelta

    (binding,) = [decode(e) for e in memory_runtime.store.load(f"referral-{BOB}")]
    assert binding.terms.model_dump() == {  # type: ignore[attr-defined]
        "rate_bp": 300, "min_deposit": {"KES": 5000}, "cap": {"KES": 400}, "window_days": 30,
    }  # fmt: skip

    small = deposit(bound, rail, BOB, "49.99", "Bob")  # below the minimum: nothing
    assert wallet(memory_runtime, ALICE) == {}
    deposit(bound, rail, BOB, "100", "Bob")  # 3.00
    deposit(bound, rail, BOB, "100", "Bob")  # 3.00, but the cap leaves 1.00
    over = deposit(bound, rail, BOB, "100", "Bob")  # the cap is reached: nothing
    assert wallet(memory_runtime, ALICE) == {"KES": 400}
    assert audit(memory_runtime.store, memory_runtime.read_models) == []

    chat = Chat(client_for("telegram_webhook"))
    chat.update_id = 1000
    chat.say(DAN, f"/start ref_{link_of(chat, ALICE, 'Alice')}", "Dan")
    memory_runtime.clock.current += timedelta(days=30)  # type: ignore[attr-defined]
    deposit(chat, rail, DAN, "100", "Dan")  # the last day of Dan's window: 3.00
    memory_runtime.clock.current += timedelta(seconds=1)  # type: ignore[attr-defined]
    late = deposit(chat, rail, DAN, "100", "Dan")  # past it: nothing
    assert wallet(memory_runtime, ALICE) == {"KES": 700}
    earned = [e for e in memory_runtime.store.load(f"referral-{DAN}") if "commission" in e.type]
    assert len(earned) == 1
    assert audit(memory_runtime.store, memory_runtime.read_models) == []

    # What the audit names if anything paid past those terms:
    from events import Money
    from events.referrals import CommissionEarned

    kes = lambda amount: Money(amount=amount, currency="KES")  # noqa: E731
    for referee, pid, paid, commission in ((BOB, small, 4999, 149), (BOB, over, 10_000, 300),
                                           (DAN, late, 10_000, 100)):  # fmt: skip
        forged = CommissionEarned(
            payment_id=pid, referee_id=referee, referrer_id=ALICE, deposit=kes(paid),
            rate_bp=300, commission=kes(commission),
        )  # fmt: skip
        _append(memory_runtime, f"referral-{referee}", forged, f"forged-{pid}")
    found = {p.what for p in audit(memory_runtime.store, memory_runtime.read_models)}
    assert {
        f"commission on {small} is for a deposit below the minimum",
        f"commission on {over} passes the cap per referee",
        f"commission on {late} is for a deposit after the window",
    } <= found


def test_without_settings_no_minimum_cap_or_window_applies(
    bound: Chat, memory_runtime: Runtime
) -> None:
    (binding,) = [decode(e) for e in memory_runtime.store.load(f"referral-{BOB}")]
    assert binding.terms.model_dump() == {  # type: ignore[attr-defined]
        "rate_bp": 300, "min_deposit": {}, "cap": {}, "window_days": None,
    }  # fmt: skip
