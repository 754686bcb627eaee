"""Owner tiers through the Telegram webhook on memory adapters: a join over the tier's
seats is refused and the owner asked to upgrade; the upgrade paid by M-Pesa (a fake in the
M-Pesa rail's place) is in force once its payment's verified status says it succeeded, and
the join then goes through."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from events.tiers import TierBought
from functions.domain import tiers
from functions.ops.ledger import audit
from functions.projections.circles import circle_of
from functions.runtime.bootstrap import Runtime
from tests.builders import answer_to, settings
from tests.functions.conftest import post_update
from tests.functions.fake_rail import FakeRail
from tests.functions.mobile_money_helpers import reconcile
from tests.functions.test_circles_flow import Chat, fund
from tests.functions.test_referrals_flow import told

pytestmark = pytest.mark.functions
OWNER, LATE = 21, 27
JOINERS = (22, 23, 24, 25)


@pytest.fixture
def mpesa(memory_runtime: Runtime) -> FakeRail:
    fake = FakeRail()
    memory_runtime.rail_overrides = {"mpesa": fake}
    memory_runtime.settings = settings(public_base_url="https://soko.test")
    return fake


def buttons(answer: dict[str, object]) -> list[str]:
    markup = answer.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def test_a_join_over_the_tiers_seats_is_refused_and_an_mpesa_upgrade_lifts_it_at_once(
    webhook: FlaskClient, memory_runtime: Runtime, mpesa: FakeRail
) -> None:
    rt, chat = memory_runtime, Chat(webhook)
    for user in (OWNER, *JOINERS, LATE):
        chat.say(user, "/start")
        fund(rt, user, 5000)
    created = chat.say(OWNER, "/circles new Big family 10 weekly 8")
    assert "Your tier seats 5 members per circle" in created["text"]
    circle = re.search(r"start=circle_([a-z0-9]+)", created["text"])
    assert circle is not None
    cid = circle.group(1)
    for user in JOINERS:
        chat.tap(user, f"circle:join:{cid}")
    refused = chat.tap(LATE, f"circle:join:{cid}")
    assert "all the members its owner's tier seats" in refused["text"]
    chat.tap(LATE, f"circle:join:{cid}")  # tapped again: the owner is asked once
    asked = [t for t in told(rt, OWNER) if "Someone wants to join" in t]
    assert len(asked) == 1
    view = circle_of(rt.read_models, cid)
    assert view is not None
    assert len(view.members) == 5

    prompt = chat.tap(OWNER, f"circle:upgrade:{cid}")
    assert "circle:tierpay:essential" in buttons(prompt)
    question = chat.tap(OWNER, "circle:tierpay:essential")
    assert question["reply_markup"]["force_reply"] is True
    chat.update_id += 1
    started = post_update(
        webhook, answer_to(question, "0712345678", user_id=OWNER, update_id=chat.update_id)
    ).get_json()
    assert started["text"].startswith("Paying with M-Pesa from +254712345678")
    (request,) = mpesa.started
    assert (request.user_id, request.amount.amount, request.amount.currency) == (
        OWNER, 50_000, "KES",
    )  # fmt: skip
    assert "all the members" in chat.tap(LATE, f"circle:join:{cid}")["text"]  # not paid yet

    mpesa.truth[request.payment_id] = "succeeded"
    reconcile(rt)
    reconcile(rt)  # asked twice: one tier
    bought = [
        e for e in rt.pipeline.store.load(tiers.stream_of(OWNER)) if e.type == TierBought.type_name
    ]
    assert len(bought) == 1
    assert any("Tier <b>essential</b> is yours until" in t for t in told(rt, OWNER))
    joined = chat.tap(LATE, f"circle:join:{cid}")
    assert "You joined" in joined["text"]
    view = circle_of(rt.read_models, cid)
    assert view is not None
    assert len(view.members) == 6
    assert audit(rt.store, rt.read_models) == []
