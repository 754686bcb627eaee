"""The circle card's conversations through the webhook on memory adapters: `/circles new`
asked step by step with inline keyboards (no state stored between the calls), and the
owner's buttons: remove before the start, remind now, approve a replacement."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from functions.ops.ledger import audit
from functions.projections.balances import balance_of
from functions.projections.circles import circle_of
from functions.runtime.bootstrap import Runtime
from tests.builders import answer_to, button_update
from tests.fakes.telegram.methods import link_entities, visible_text
from tests.functions.conftest import post_update
from tests.functions.test_circles_flow import ALICE, BOB, CAROL, DAN, Chat, fund, kes
from tests.functions.test_referrals_flow import told

pytestmark = pytest.mark.functions


def answer(chat: Chat, question: dict[str, Any], text: str, user: int = ALICE) -> Any:
    chat.update_id += 1
    return post_update(chat.webhook, answer_to(question, text, user_id=user,
                                               update_id=chat.update_id)).get_json()  # fmt: skip


def tap_on(chat: Chat, shown: dict[str, Any], label: str, user: int = ALICE) -> Any:
    """Press the button labelled `label` under the message `shown`, as Telegram sends it
    (the message's text and links come back with the tap)."""
    rows = shown["reply_markup"]["inline_keyboard"]
    data = next(b["callback_data"] for row in rows for b in row if b["text"] == label)
    chat.update_id += 1
    update = button_update(data, user_id=user, update_id=chat.update_id)
    message = update["callback_query"]["message"]
    message["text"] = visible_text(shown["text"], "HTML")
    message["entities"] = link_entities(shown["text"], "HTML")
    return post_update(chat.webhook, update).get_json()


def test_a_circle_is_created_by_questions_and_keyboards(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    chat = Chat(webhook)
    chat.say(ALICE, "/start")
    fund(memory_runtime, ALICE, 100_000)
    named = answer(chat, chat.say(ALICE, "/circles new"), "Village chama")
    assert "New circle <b>Village chama</b>" in named["text"]
    amount_asked = tap_on(chat, named, "KES")
    assert amount_asked["reply_markup"]["force_reply"] is True
    shown = answer(chat, amount_asked, "250")
    for label in ("week", "4", "Random draw", "2"):
        shown = tap_on(chat, shown, label)
        assert shown["method"] == "editMessageText"
    assert "KES 250.00 every week, 4 members, rotation drawn" in shown["text"]
    created = tap_on(chat, shown, "✅ Create")
    found = re.search(r"start=circle_([a-z0-9]+)", created["text"])
    assert found is not None, created["text"]
    view = circle_of(memory_runtime.read_models, found.group(1))
    assert view is not None
    assert (view.name, view.contribution, view.size, view.rotation, view.deposit) == (
        "Village chama", kes(25_000), 4, "random", kes(50_000),
    )  # fmt: skip
    assert balance_of(memory_runtime.read_models, ALICE).held == (kes(50_000),)
    again = tap_on(chat, shown, "✅ Create")  # the same tap redelivered as a new one
    assert "start=circle_" not in again.get("text", "")  # one open circle on the free tier


def family(chat: Chat, rt: Runtime) -> str:
    """Alice's circle of 3 (KES 10 a week), and four funded users."""
    for user in (ALICE, BOB, CAROL, DAN):
        chat.say(user, "/start")
        fund(rt, user, 5000)
    created = chat.say(ALICE, "/circles new Family 10 weekly 3")
    found = re.search(r"start=circle_([a-z0-9]+)", created["text"])
    assert found is not None
    return found.group(1)


def test_the_owner_removes_before_the_start_and_reminds_the_unpaid_after_it(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    rt, chat = memory_runtime, Chat(webhook)
    cid = family(chat, rt)
    chat.tap(BOB, f"circle:join:{cid}")
    assert balance_of(rt.read_models, BOB).held == (kes(1000),)
    assert f"circle:remove:{cid}:{BOB}" not in str(chat.tap(BOB, f"circle:show:{cid}"))
    card = chat.tap(ALICE, f"circle:remove:{cid}:{BOB}")
    assert card["text"].startswith("Removed; their deposit is released.")
    assert balance_of(rt.read_models, BOB).held == ()
    assert any("removed you from" in t for t in told(rt, BOB))
    for user in (CAROL, DAN):
        chat.tap(user, f"circle:join:{cid}")
    chat.tap(CAROL, f"circle:pay:{cid}")
    reminded = chat.tap(ALICE, f"circle:remind:{cid}")
    assert reminded["text"].startswith("The members who have not paid are reminded.")
    again = chat.tap(ALICE, f"circle:remind:{cid}")
    assert "reminded recently" in again["text"]
    nudged = {u: [t for t in told(rt, u) if "reminds you" in t] for u in (ALICE, CAROL, DAN)}
    assert {u: len(n) for u, n in nudged.items()} == {ALICE: 1, CAROL: 0, DAN: 1}


def test_the_owner_approves_a_replacement_who_takes_over_the_seat(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    rt, chat = memory_runtime, Chat(webhook)
    cid = family(chat, rt)
    for user in (BOB, CAROL):
        chat.tap(user, f"circle:join:{cid}")
    for user in (ALICE, BOB, CAROL):
        chat.tap(user, f"circle:pay:{cid}")  # round 1: the pot to Alice
    chat.tap(CAROL, f"circle:quit:{cid}")
    offered = chat.tap(DAN, f"circle:offer:{cid}")
    assert offered["text"].startswith("Offer made")
    owner_card = chat.tap(ALICE, f"circle:show:{cid}")
    assert f"circle:swap:{cid}:{CAROL}:{DAN}" in str(owner_card["reply_markup"])
    chat.tap(ALICE, f"circle:swap:{cid}:{CAROL}:{DAN}")
    chat.tap(ALICE, f"circle:swap:{cid}:{CAROL}:{DAN}")  # a second tap: nothing more
    view = circle_of(rt.read_models, cid)
    assert view is not None
    assert view.order == (ALICE, BOB, DAN)
    assert balance_of(rt.read_models, CAROL).held == ()
    assert balance_of(rt.read_models, DAN).held == (kes(1000),)
    for _ in (2, 3):
        for user in (ALICE, BOB, DAN):
            chat.tap(user, f"circle:pay:{cid}")
    assert balance_of(rt.read_models, CAROL).amounts == (kes(5000),)  # her 10 came back
    assert balance_of(rt.read_models, DAN).amounts == (kes(5000),)  # paid 20, got 30 - 10
    assert audit(rt.store, rt.read_models) == []
