"""A savings circle through the Telegram webhook on memory adapters: created with
/circles new, joined by its invite link, rounds paid from the wallet, a missed round covered
from the deposit by the close-rounds job (run twice), and the read models on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Money
from functions.domain import wallet
from functions.jobs.circles import close_rounds, remind
from functions.ops.ledger import audit
from functions.projections.balances import balance_of
from functions.projections.circles import circle_of, circles_of
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from tests.builders import button_update, settings, text_update
from tests.functions.conftest import client_for, post_update
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback
from tests.functions.test_referrals_flow import told

pytestmark = pytest.mark.functions
ALICE, BOB, CAROL, DAN = 7, 8, 9, 10
BASE = "https://functions.example/payment_webhook"


class Chat:
    def __init__(self, webhook: FlaskClient) -> None:
        self.webhook, self.update_id = webhook, 0

    def say(self, user_id: int, text: str) -> Any:
        self.update_id += 1
        update = text_update(text, user_id=user_id, update_id=self.update_id)
        return post_update(self.webhook, update).get_json()

    def tap(self, user_id: int, data: str) -> Any:
        self.update_id += 1
        update = button_update(data, user_id=user_id, update_id=self.update_id)
        return post_update(self.webhook, update).get_json()


def kes(amount: int) -> Money:
    return Money(amount=amount, currency="KES")


def fund(rt: Runtime, user_id: int, amount: int) -> None:
    # Not a "deposit": the audit would look for its payment; the test gives money directly.
    credit = wallet.Credit(user_id, kes(amount), "test_top_up", f"test-top-up:{user_id}-{amount}")
    rt.pipeline.execute(
        wallet.wallets, wallet.stream_of(user_id), credit, Trace(f"fund-{user_id}-{amount}")
    )


@pytest.fixture
def circle(webhook: FlaskClient, memory_runtime: Runtime) -> tuple[Chat, str]:
    chat = Chat(webhook)
    for user in (ALICE, BOB, CAROL, DAN):
        chat.say(user, "/start")
    for user in (ALICE, BOB, CAROL):
        fund(memory_runtime, user, 5000)
    created = chat.say(ALICE, "/circles new Family savings 10 weekly 3")
    found = re.search(
        r"https://t\.me/soko_test_bot\?start=circle_([a-z0-9]+)", created["text"]
    )  # getMe
    assert found is not None, created["text"]
    return chat, found.group(1)


def test_a_circle_is_created_joined_by_link_and_starts_when_full(
    circle: tuple[Chat, str], memory_runtime: Runtime
) -> None:
    chat, circle_id = circle
    invited = chat.say(BOB, f"/start circle_{circle_id}")
    assert f"circle:join:{circle_id}" in str(invited["reply_markup"])
    chat.tap(BOB, f"circle:join:{circle_id}")
    chat.tap(CAROL, f"circle:join:{circle_id}")
    view = circle_of(memory_runtime.read_models, circle_id)
    assert view is not None
    assert (view.name, view.status, view.order, view.round) == (
        "Family savings", "running", (ALICE, BOB, CAROL), 1,
    )  # fmt: skip
    assert balance_of(memory_runtime.read_models, BOB).held == (kes(1000),)
    assert [v.circle_id for v in circles_of(memory_runtime.read_models, CAROL)] == [circle_id]


def test_joining_without_the_deposit_is_refused_with_the_reason(
    circle: tuple[Chat, str], memory_runtime: Runtime
) -> None:
    chat, circle_id = circle
    answer = chat.tap(DAN, f"circle:join:{circle_id}")
    assert "balance is too low" in answer["text"]
    view = circle_of(memory_runtime.read_models, circle_id)
    assert view is not None
    assert view.member(DAN) is None


def test_rounds_pay_the_pot_and_a_missed_round_is_covered_from_the_deposit(
    circle: tuple[Chat, str], memory_runtime: Runtime
) -> None:
    chat, circle_id = circle
    rt = memory_runtime
    for user in (BOB, CAROL):
        chat.tap(user, f"circle:join:{circle_id}")
    for user in (ALICE, BOB, CAROL):
        chat.tap(user, f"circle:pay:{circle_id}")
    chat.tap(ALICE, f"circle:pay:{circle_id}")  # round 2 now
    chat.tap(BOB, f"circle:pay:{circle_id}")
    chat.tap(BOB, f"circle:pay:{circle_id}")  # a second tap pays nothing more
    rt.clock.advance(days=15)  # type: ignore[attr-defined]
    assert close_rounds(rt) == {"closed": 1}
    assert close_rounds(rt) == {"closed": 0}  # the job run twice changes nothing
    balances = {u: balance_of(rt.read_models, u) for u in (ALICE, BOB, CAROL)}
    assert balances[ALICE].amounts == (kes(5000 - 2000 + 3000),)
    assert balances[BOB].amounts == (kes(5000 - 2000 + 3000),)
    assert balances[CAROL].amounts == (kes(5000 - 1000 - 1000),)  # paid 1, deposit seized
    assert balances[CAROL].held == ()
    view = circle_of(rt.read_models, circle_id)
    assert view is not None
    carol = view.member(CAROL)
    assert carol is not None
    assert (view.round, carol.good_standing, carol.deposit) == (3, False, kes(0))
    assert any("You missed round 2" in t for t in told(rt, CAROL))
    assert any("You received KES 30.00" in t for t in told(rt, BOB))
    restored = chat.tap(CAROL, f"circle:restore:{circle_id}")
    assert "Deposit restored." in restored["text"]
    view = circle_of(rt.read_models, circle_id)
    assert view is not None
    assert view.member(CAROL) == carol.model_copy(
        update={"good_standing": True, "deposit": kes(1000)}
    )
    for user in (ALICE, BOB, CAROL):
        chat.tap(user, f"circle:pay:{circle_id}")  # round 3, the last: deposits come back
    view = circle_of(rt.read_models, circle_id)
    assert view is not None
    assert view.status == "ended"
    assert [balance_of(rt.read_models, u).held for u in (ALICE, BOB, CAROL)] == [()] * 3
    assert audit(rt.store, rt.read_models) == []
    # A payout nobody decided is caught.
    stray = wallet.Credit(BOB, kes(100), "circle_payout", f"circle-payout:{circle_id}:9")
    rt.pipeline.execute(wallet.wallets, wallet.stream_of(BOB), stray, Trace("stray"))
    assert [p.what for p in audit(rt.store, rt.read_models)] == [
        f"circle-payout:{circle_id}:9 +100: not decided",
        "ended, but its wallet movements do not sum to zero",
    ]


def test_a_second_circle_over_the_free_tier_is_refused_with_the_upgrade_and_buying_lifts_it(
    circle: tuple[Chat, str], memory_runtime: Runtime
) -> None:
    chat, first = circle
    fund(memory_runtime, ALICE, 100_000)  # a second credit (its own reference) for the tier
    refused = chat.say(ALICE, "/circles new Work 10 weekly 3")
    assert refused["text"].startswith("Your tier allows 1 open circle(s)")
    buttons = [
        b["callback_data"] for row in refused["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons == ["circle:tier:essential", "circle:tier:advanced", "circle:tier:extended"]
    bought = chat.tap(ALICE, "circle:tier:essential")
    assert bought["text"].startswith("Tier <b>essential</b> is yours until")
    created = chat.say(ALICE, "/circles new Work 10 weekly 3")
    assert "start=circle_" in created["text"]
    assert len(circles_of(memory_runtime.read_models, ALICE)) == 2
    chat.tap(ALICE, f"circle:cancel:{first}")  # frees its slot: a third fits in essential's 3
    assert "start=circle_" in chat.say(ALICE, "/circles new Play 10 weekly 3")["text"]


def test_the_unpaid_are_reminded_once_a_day_and_an_hour_before_the_deadline(
    circle: tuple[Chat, str], memory_runtime: Runtime
) -> None:
    chat, circle_id = circle
    rt = memory_runtime
    for user in (BOB, CAROL):
        chat.tap(user, f"circle:join:{circle_id}")
    chat.tap(BOB, f"circle:pay:{circle_id}")
    assert remind(rt) == {"reminded": 0}  # a week ahead: nothing due
    rt.clock.advance(days=6, hours=1)  # type: ignore[attr-defined]
    assert remind(rt) == {"reminded": 1}
    assert remind(rt) == {"reminded": 0}
    rt.clock.advance(hours=22, minutes=30)  # type: ignore[attr-defined]
    assert remind(rt) == {"reminded": 1}
    reminders = [t for u in (ALICE, BOB, CAROL) for t in told(rt, u) if "closes in" in t]
    assert len(reminders) == 4  # Alice and Carol, 24 h and 1 h before; Bob paid


def test_a_contribution_paid_on_a_rail_counts_once_its_payment_succeeded(
    circle: tuple[Chat, str], memory_runtime: Runtime
) -> None:
    chat, circle_id = circle
    rt = memory_runtime
    fake = FakeRail()
    rt.rail_overrides = {"fake": fake}
    rt.settings = settings(public_base_url=BASE)
    for user in (BOB, CAROL):
        chat.tap(user, f"circle:join:{circle_id}")
    card = chat.tap(CAROL, f"circle:show:{circle_id}")
    assert f"circle:rail:{circle_id}:fake" in str(card["reply_markup"])
    started = chat.tap(CAROL, f"circle:rail:{circle_id}:fake")
    assert "started" in started["text"]
    (request,) = fake.started
    assert (request.amount, request.user_id) == (kes(1000), CAROL)
    fake.truth[request.payment_id] = "succeeded"
    hook = client_for("payment_webhook")
    for _ in range(2):  # the provider calls back twice: one payment, one contribution
        posted = hook.post(
            f"/payments/fake/{PATH_SECRET}", json=callback(request.payment_id, "succeeded")
        )
        assert posted.status_code == 200
    view = circle_of(rt.read_models, circle_id)
    assert view is not None
    carol = view.member(CAROL)
    assert carol is not None
    assert (carol.paid_this_round, carol.paid) == (True, kes(1000))
    assert balance_of(rt.read_models, CAROL).amounts == (kes(5000),)  # credited, then paid
    assert audit(rt.store, rt.read_models) == []
