"""`circles/{id}`: one circle as its members see it (status, rotation, the open round, who
paid it, the pot, the deadline, and each member's standing, deposit, paid, received and
owed); `circle_memberships/{user}`: the circles a user held a deposit for (from their wallet
stream), which /circles reads to find theirs.

The circle document keeps the circle's own fold (the decider's evolve, as snapshot text)
so that the view is exactly what the decider knows, never a second reading of the events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from events import Envelope, Money, decode
from events.wallet import WalletHeld
from functions.domain.circle_state import Circle, Member, evolve
from functions.domain.snapshots import Snapshots
from functions.projections.base import Doc, Projection

if TYPE_CHECKING:
    from functions.runtime.ports import ReadModels

_CODEC = Snapshots(Circle, evolve)
REMINDER_HOURS = (24, 1)  # reminders before a deadline


def project_circle(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    state = _CODEC.load(doc["state"]) if doc else Circle()
    state = evolve(state, decode(envelope))
    return {**_flat(state), "state": _CODEC.dump(state)}


def _flat(state: Circle) -> Doc:
    running = state.status == "running"
    return {
        "circle_id": state.circle_id,
        "status": state.status,
        "due_at": state.deadline if running else None,  # the close-rounds job's query
        "remind_at": _next_reminder(state) if running else None,
        "members": {str(m.member_id): _member(state, m) for m in state.members},
    }


def _next_reminder(state: Circle) -> datetime | None:
    if state.deadline is None:
        return None
    due = [
        state.deadline - timedelta(hours=hours)
        for hours in REMINDER_HOURS
        if f"{state.round}:{hours}" not in state.reminded
    ]
    return min(due, default=None)


def _member(state: Circle, member: Member) -> Doc:
    return {
        "good_standing": state.in_good_standing(member),
        "deposit": member.held,
        "paid": member.received,
        "received": member.got,
        "owed": member.owed,
        "paid_this_round": state.round in member.paid,
    }


def project_membership(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    circles: dict[str, bool] = dict(doc["circles"]) if doc else {}
    event = decode(envelope)
    if isinstance(event, WalletHeld) and event.reason in ("circle_deposit", "circle_replace"):
        circle_id = event.reference.split(":")[1]
        circles[circle_id] = True
    return {"user_id": int(envelope.aggregate_id), "circles": circles}


circles_view = Projection("circles", "circles", "circle", project_circle)
circle_memberships = Projection(
    "circle-memberships", "circle_memberships", "wallet", project_membership
)


class MemberView(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: int
    good_standing: bool
    deposit: Money
    paid: Money
    received: Money
    owed: Money
    paid_this_round: bool


class CircleView(BaseModel):
    """A circle as its members see it; amounts in the circle's currency."""

    model_config = ConfigDict(frozen=True)

    circle_id: str
    name: str
    owner_id: int
    status: str
    contribution: Money
    deposit: Money
    size: int
    period_unit: str  # minute (local only), day, week, month
    period_count: int
    rotation: str
    order: tuple[int, ...]
    round: int
    recipient_id: int | None
    deadline: datetime | None
    pot: Money
    members: tuple[MemberView, ...]

    def member(self, member_id: int) -> MemberView | None:
        return next((m for m in self.members if m.member_id == member_id), None)


def view_of(state: Circle) -> CircleView:
    """The typed view of a circle's state (read from the document, or folded by a handler)."""
    money = state.money
    return CircleView(
        circle_id=state.circle_id,
        name=state.name,
        owner_id=state.owner_id,
        status=state.status,
        contribution=money(state.contribution),
        deposit=money(state.deposit),
        size=state.size,
        period_unit=state.period_unit,
        period_count=state.period_count,
        rotation=state.rotation,
        order=state.order,
        round=state.round,
        recipient_id=state.recipient() if state.status == "running" else None,
        deadline=state.deadline if state.status == "running" else None,
        pot=money(state.collected),
        members=tuple(
            MemberView(
                member_id=m.member_id,
                good_standing=state.in_good_standing(m),
                deposit=money(m.held),
                paid=money(m.received),
                received=money(m.got),
                owed=money(m.owed),
                paid_this_round=state.round in m.paid,
            )
            for m in state.members
        ),
    )


def circle_of(read_models: ReadModels, circle_id: str) -> CircleView | None:
    doc = read_models.get(circles_view.collection, circle_id)
    if doc is None:
        return None
    state = _CODEC.load(doc["state"])
    return view_of(state) if state.status != "none" else None


def circles_of(read_models: ReadModels, user_id: int) -> list[CircleView]:
    """The circles the user is (or was) a member of, newest deposit last."""
    doc = read_models.get(circle_memberships.collection, str(user_id)) or {}
    found = (circle_of(read_models, c) for c in doc.get("circles", {}))
    return [v for v in found if v is not None and v.member(user_id) is not None]


def circles_due(read_models: ReadModels, field: str, now: datetime, limit: int) -> list[str]:
    """Circles whose `due_at` (a deadline) or `remind_at` has come, earliest first."""
    return [
        d["circle_id"] for d in read_models.find_due(circles_view.collection, field, now, limit)
    ]
