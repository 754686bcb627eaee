"""Paid channels' read models: `channels/{key}` (owner, plans, dry run, join link),
`subscriptions/{key}.{user}` (state, end, plan, payments, when the expiry job is next due)
and `revenue/{owner}` (gross, fee and net per channel, currency and month), each with its
typed view and readers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from events import Envelope, Money, decode
from events.channels import ChannelConnected, Plan, RevenueEarned
from functions.domain import channels, subscriptions
from functions.projections.base import Doc, Projection

if TYPE_CHECKING:
    from functions.runtime.ports import ReadModels

DUE = "due_at"


def project_channel(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    # The document is the aggregate's own fold: the decider's evolve is the one rule.
    state = _channel_state(doc)
    event = decode(envelope)
    after = channels.evolve(state, event)
    out: Doc = {
        "chat_id": after.chat_id, "owner_id": after.owner_id, "title": after.title,
        "kind": after.kind, "connected": after.connected, "can_invite": after.can_invite,
        "can_restrict": after.can_restrict, "join_link": after.join_link,
        "plans": [p.model_dump(mode="json") for p in after.plans.values()],
        "plans_made": after.plans_made, "dry_run": after.dry_run,
        "personal_links": after.personal_links,
    }  # fmt: skip
    if isinstance(event, ChannelConnected):
        out["code"] = channels.code_of(event.chat_id)
    return {**dict(doc or {}), **out}


def _channel_state(doc: Mapping[str, Any] | None) -> channels.Channel:
    if not doc:
        return channels.Channel()
    plans = {p["plan_id"]: Plan.model_validate(p) for p in doc.get("plans", [])}
    return channels.Channel(
        chat_id=doc["chat_id"], owner_id=doc["owner_id"], title=doc["title"], kind=doc["kind"],
        connected=doc["connected"], can_invite=doc["can_invite"],
        can_restrict=doc["can_restrict"], join_link=doc.get("join_link"), plans=plans,
        plans_made=doc.get("plans_made", len(plans)), dry_run=doc.get("dry_run", False),
        personal_links=doc.get("personal_links", False),
    )  # fmt: skip


def project_subscription(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    state = _subscription_state(doc)
    after = subscriptions.evolve(state, decode(envelope))
    end, due = after.ends_at, subscriptions.next_due(after)
    return {
        "chat_id": after.chat_id, "user_id": after.user_id, "status": after.status,
        "plan_id": after.plan_id, "joined": after.joined, "warned": sorted(after.warned),
        "payments": [
            {"paid_at": b.paid_at.isoformat(), "days": b.days, "reference": b.reference}
            for b in after.payments
        ],
        "ends_at": end, DUE: due,
    }  # fmt: skip


def _subscription_state(doc: Mapping[str, Any] | None) -> subscriptions.Subscription:
    if not doc:
        return subscriptions.Subscription()
    bought = tuple(
        subscriptions.Bought(_time(p["paid_at"]), p["days"], p["reference"])
        for p in doc.get("payments", [])
    )
    return subscriptions.Subscription(
        chat_id=doc["chat_id"], user_id=doc["user_id"], status=doc["status"], payments=bought,
        plan_id=doc.get("plan_id"), warned=frozenset(doc.get("warned", [])),
        joined=doc.get("joined", False),
    )  # fmt: skip


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def project_revenue(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    state: Doc = dict(doc) if doc else {"lines": {}}
    event = decode(envelope)
    if isinstance(event, RevenueEarned):
        period = envelope.occurred_at.strftime("%Y-%m")
        key = f"{channels.key_of(event.chat_id)}|{event.gross.currency}|{period}"
        line = dict(state["lines"].get(key, {"gross": 0, "fee": 0, "net": 0, "count": 0}))
        for name in ("gross", "fee", "net"):
            line[name] += getattr(event, name).amount
        line["count"] += 1
        state["lines"] = {**state["lines"], key: line}
    return {**state, "owner_id": int(envelope.aggregate_id)}


channels_view = Projection("channels", "channels", "channel", project_channel)
subscriptions_view = Projection(
    "subscriptions", "subscriptions", "subscription", project_subscription
)
revenue_view = Projection("revenue", "revenue", "revenue", project_revenue)


class ChannelView(BaseModel):
    model_config = ConfigDict(frozen=True)

    chat_id: int
    owner_id: int
    title: str
    code: str
    connected: bool
    can_invite: bool
    can_restrict: bool = False
    join_link: str | None = None
    plans: tuple[Plan, ...] = ()
    dry_run: bool = False
    personal_links: bool = False


def channels_of(read_models: ReadModels, owner_id: int) -> list[ChannelView]:
    """An owner's channels (only theirs), by title."""
    found = read_models.find(channels_view.collection, "owner_id", owner_id, 50)
    return sorted((_view(d) for d in found), key=lambda c: c.title.lower())


def selling(read_models: ReadModels) -> list[ChannelView]:
    """Every connected channel with a plan, for /subscribe."""
    found = read_models.find(channels_view.collection, "connected", True, 50)
    views = [_view(d) for d in found]
    return sorted((v for v in views if v.plans and v.can_invite), key=lambda c: c.title.lower())


def channel(read_models: ReadModels, chat_id: int) -> ChannelView | None:
    doc = read_models.get(channels_view.collection, channels.key_of(chat_id))
    return _view(doc) if doc and doc.get("owner_id") is not None else None


def _view(doc: Mapping[str, Any]) -> ChannelView:
    return ChannelView(
        chat_id=doc["chat_id"], owner_id=doc["owner_id"], title=doc["title"],
        code=doc.get("code") or channels.code_of(doc["chat_id"]), connected=doc["connected"],
        can_invite=doc["can_invite"], can_restrict=doc.get("can_restrict", False),
        join_link=doc.get("join_link"),
        plans=tuple(Plan.model_validate(p) for p in doc.get("plans", [])),
        dry_run=doc.get("dry_run", False), personal_links=doc.get("personal_links", False),
    )  # fmt: skip


class SubscriptionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    chat_id: int
    user_id: int
    status: str
    ends_at: datetime | None = None
    plan_id: str | None = None
    joined: bool = False
    payments: int = 0
    due_at: datetime | None = None


def subscriptions_due(
    read_models: ReadModels, cutoff: datetime, limit: int
) -> list[SubscriptionView]:
    """Subscriptions with a warning, an expiry or a removal due by `cutoff`, earliest first."""
    found = read_models.find_due(subscriptions_view.collection, DUE, cutoff, limit)
    return [_subscription(d) for d in found]


def subscriptions_of(read_models: ReadModels, chat_id: int, status: str) -> list[SubscriptionView]:
    """A channel's subscriptions in one state (an owner's broadcast, counts)."""
    found = read_models.find(subscriptions_view.collection, "chat_id", chat_id, 5000)
    return [_subscription(d) for d in found if d.get("status") == status]


def _subscription(doc: Mapping[str, Any]) -> SubscriptionView:
    return SubscriptionView(
        chat_id=doc["chat_id"], user_id=doc["user_id"], status=doc["status"],
        ends_at=_optional_time(doc.get("ends_at")), plan_id=doc.get("plan_id"),
        joined=doc.get("joined", False), payments=len(doc.get("payments", [])),
        due_at=_optional_time(doc.get(DUE)),
    )  # fmt: skip


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


class RevenueLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    chat_id: int
    period: str  # YYYY-MM, by when the payment was recorded (UTC)
    gross: Money
    fee: Money
    net: Money
    count: int


def revenue_of(read_models: ReadModels, owner_id: int) -> list[RevenueLine]:
    """An owner's revenue per channel, currency and month, newest month first."""
    doc = read_models.get(revenue_view.collection, str(owner_id)) or {}
    lines = []
    for key, line in doc.get("lines", {}).items():
        chat_key, code, period = key.split("|")
        chat_id = channels.chat_of(chat_key)
        if chat_id is None:
            continue
        money = {n: Money(amount=line[n], currency=code) for n in ("gross", "fee", "net")}
        lines.append(RevenueLine(chat_id=chat_id, period=period, count=line["count"], **money))
    return sorted(lines, key=lambda r: (r.period, r.chat_id), reverse=True)
