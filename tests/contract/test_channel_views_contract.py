"""Paid channels' typed views read what each adapter stored (Firestore gives back its own
datetimes and maps), and the expiry job's query finds what is due on both."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events import Money
from events.channels import ChannelConnected, Plan, PlanSet, RevenueEarned, SubscriptionPaid
from functions.projections.channels import (
    channels_of,
    channels_view,
    revenue_of,
    revenue_view,
    subscriptions_due,
    subscriptions_of,
    subscriptions_view,
)
from tests.contract.conftest import Adapters
from tests.contract.test_read_views_contract import fed
from tests.unit.test_read_views import HOUR, T0

pytestmark = pytest.mark.contract
CHAT, OWNER, BUYER = -1001234567890, 7, 8
XTR = Money(amount=250, currency="XTR")


def test_channel_views_parse_what_the_adapter_stored(adapters: Adapters) -> None:
    connected = ChannelConnected(chat_id=CHAT, title="Deep dives", kind="channel",
                                 owner_id=OWNER, can_invite=True, can_restrict=True)  # fmt: skip
    plan = PlanSet(plan=Plan(plan_id="p1", days=30, price=XTR), by_user=OWNER)
    fed(adapters, channels_view, "channel-n1001234567890", connected, plan)
    paid = SubscriptionPaid(
        chat_id=CHAT, user_id=BUYER, owner_id=OWNER, plan_id="p1", days=30, paid=XTR,
        reference="payment:a", via="payment", paid_at=T0, ends_at=T0 + timedelta(days=30),
    )  # fmt: skip
    fed(adapters, subscriptions_view, "subscription-n1001234567890.8", paid)
    earned = RevenueEarned(owner_id=OWNER, chat_id=CHAT, buyer_id=BUYER, reference="payment:a",
                           kind="subscription", gross=XTR, fee_bp=500,
                           fee=Money(amount=12, currency="XTR"),
                           net=Money(amount=238, currency="XTR"))  # fmt: skip
    fed(adapters, revenue_view, "revenue-7", earned)
    models = adapters.read_models

    (mine,) = channels_of(models, OWNER)
    assert (mine.title, mine.code, mine.plans) == ("Deep dives", "ch_n1001234567890", (plan.plan,))
    assert channels_of(models, BUYER) == []
    end = T0 + timedelta(days=30)
    assert subscriptions_due(models, end - timedelta(days=3, hours=1), 10) == []
    (due,) = subscriptions_due(models, end - timedelta(days=3), 10)
    assert (due.user_id, due.status, due.ends_at, due.due_at) == (
        BUYER, "active", end, end - timedelta(days=3),
    )  # fmt: skip
    assert [s.user_id for s in subscriptions_of(models, CHAT, "active")] == [BUYER]
    (line,) = revenue_of(models, OWNER)
    assert (line.chat_id, line.net, line.count) == (CHAT, Money(amount=238, currency="XTR"), 1)
    assert line.period == (T0 + HOUR).strftime("%Y-%m")
