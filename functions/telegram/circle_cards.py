"""A circle's status card (the rotation, who paid this round, the pot, the deadline) with
the buttons the viewer may press; shared by /circles and the `/start circle_<id>` link."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from functions import texts
from functions.domain import circles
from functions.domain.circle_state import Circle
from functions.notifications.circles import deadline_text
from functions.projections.circles import CircleView, view_of
from functions.providers import registry
from functions.providers.spec import RailSpec
from functions.runtime.pipeline import Trace
from functions.telegram.bot_names import bot_username
from functions.telegram.chat import Context, Reply, reply
from functions.telegram.invitations import first_name

Keyboard = list[list[dict[str, Any]]]


def tag_of(ctx: Context, suffix: str = "") -> str:
    """A short, unguessable id derived from the update, so a redelivered update makes the
    same circle, hold or start again (and the store's keys make that a no-op)."""
    key = (ctx.trace.idempotency_key or "") + suffix
    return base64.b32encode(hashlib.sha256(key.encode()).digest()[:7]).decode().lower()[:10]


def trace_for(ctx: Context, suffix: str) -> Trace:
    """The update's trace under a key of its own for one of several commands it makes."""
    key = f"{ctx.trace.idempotency_key}:{suffix}" if ctx.trace.idempotency_key else None
    return Trace(key, ctx.trace.causation_id, ctx.trace.correlation_id)


def link_of(ctx: Context, circle_id: str) -> str:
    return f"https://t.me/{bot_username(ctx.runtime)}?start=circle_{circle_id}"


def current(ctx: Context, circle_id: str) -> Circle:
    """The circle now, from its stream (the view may lag behind the tap just made)."""
    state: Circle = ctx.runtime.pipeline.current(circles.circles, circles.stream_of(circle_id))
    return state


def card(ctx: Context, circle_id: str, head: str = "") -> Reply:
    state = current(ctx, circle_id)
    if state.status == "none":
        return reply(ctx, texts.text(ctx.language, "circles.no_such"))
    view = view_of(state)
    said = card_text(ctx, view) + seats_text(ctx, state)
    answer = reply(ctx, (head + "\n\n" if head else "") + said)
    answer["reply_markup"] = {"inline_keyboard": buttons(ctx, state, view)}
    answer["link_preview_options"] = {"is_disabled": True}
    return answer


def card_text(ctx: Context, view: CircleView) -> str:
    language = ctx.language
    lines = []
    order = view.order or tuple(m.member_id for m in view.members)
    for member_id in order:
        member = view.member(member_id)
        if member is None:
            continue
        said = texts.text(
            language, "circles.member_line",
            mark="✅" if member.paid_this_round else "▫️",
            name=first_name(ctx, member_id) or str(member_id),
            standing=texts.Html(
                "" if member.good_standing else texts.text(language, "circles.standing_lost")
            ),
            deposit=member.deposit, paid=member.paid, received=member.received,
        )  # fmt: skip
        if member.owed.amount:
            said += texts.text(language, "circles.member_owes", owed=member.owed)
        lines.append(said)
    period = texts.text(language, f"circles.period_{view.period_unit}", count=view.period_count)
    text = texts.text(
        language, "circles.card", name=view.name,
        status=texts.text(language, f"circles.status_{view.status}"),
        contribution=view.contribution,
        period=period, size=view.size, deposit=view.deposit,
        rotation=texts.text(language, f"circles.rotation_{view.rotation}"),
        count=len(view.members), members=texts.Html("\n".join(lines) or "-"),
    )  # fmt: skip
    if view.status == "running" and view.recipient_id is not None:
        text += texts.text(
            language, "circles.card_round", round=view.round, pot=view.pot,
            recipient=first_name(ctx, view.recipient_id) or str(view.recipient_id),
            deadline=deadline_text(view.deadline),
        )  # fmt: skip
    if view.status == "open":
        text += texts.text(language, "circles.card_invite", link=link_of(ctx, view.circle_id))
    return text


def seats_text(ctx: Context, state: Circle) -> str:
    """Who asked to leave, and who offers to take a seat."""

    def names(users: tuple[int, ...]) -> str:
        return ", ".join(first_name(ctx, u) or str(u) for u in users)

    text = ""
    if state.leaving:
        text += texts.text(ctx.language, "circles.card_leaving", names=names(state.leaving))
    if state.offers:
        offered = names(tuple(o.member_id for o in state.offers))
        text += texts.text(ctx.language, "circles.card_offers", names=offered)
    return text


def rails_for(ctx: Context, currency: str) -> list[RailSpec]:
    """Rails a contribution can be paid on directly: the configured provider rails that pay
    orders in the circle's currency (Stars' invoices and manual transfers are not offered)."""
    configured = ctx.runtime.rails()  # names only: no adapter is built
    return [
        spec for spec in registry.specs()
        if spec.name in configured and spec.pays_orders and spec.takes(ctx.runtime, currency)
    ]  # fmt: skip


def owed_by(state: Circle, member_id: int) -> int:
    """What a member must hold again to be in good standing: deposit shortfall + arrears."""
    member = state.member(member_id)
    return 0 if member is None else max(0, state.deposit - member.held) + member.owed


def buttons(ctx: Context, state: Circle, view: CircleView) -> Keyboard:
    me, cid, language = ctx.user_id, state.circle_id, ctx.language
    member = view.member(me)

    def button(key: str, action: str, **values: texts.Value) -> dict[str, Any]:
        return {
            "text": texts.text(language, key, **values),
            "callback_data": f"circle:{action}:{cid}",
        }

    rows: Keyboard = []
    if state.status == "open":
        if member is None:
            rows.append([button("circles.button_join", "join", deposit=view.deposit)])
        else:
            rows.append([button("circles.button_leave", "leave")])
        if me == state.owner_id:
            rows.append(
                [button("circles.button_start", "start"), button("circles.button_cancel", "cancel")]
            )
    rows += seat_buttons(ctx, state, view)
    if state.status == "running" and member is not None:
        if not member.paid_this_round:
            rows.append([button("circles.button_pay", "pay", amount=view.contribution)])
            for rail in rails_for(ctx, state.currency):
                label = texts.text(language, "circles.button_pay_on", rail=rail.label)
                data = f"circle:rail:{cid}:{rail.name}"
                rows.append([{"text": label, "callback_data": data}])
        owed = owed_by(state, me)
        if owed:
            rows.append([button("circles.button_restore", "restore", amount=state.money(owed))])
    rows.append([button("circles.button_refresh", "show")])
    return rows


def seat_buttons(ctx: Context, state: Circle, view: CircleView) -> Keyboard:
    """Remove (owner, before the start), Remind (owner), Approve or Decline an offer
    (owner), Ask to leave (a member who has not taken the pot), Take over a seat."""
    me, cid, language = ctx.user_id, state.circle_id, ctx.language

    def button(key: str, data: str, **values: texts.Value) -> dict[str, Any]:
        return {"text": texts.text(language, key, **values), "callback_data": f"circle:{data}"}

    def name(user: int) -> str:
        return first_name(ctx, user) or str(user)

    rows: Keyboard = []
    owner = me == state.owner_id
    if state.status == "open" and owner:
        rows += [
            [button("circles.button_remove", f"remove:{cid}:{m.member_id}", name=name(m.member_id))]
            for m in state.members if m.member_id != me
        ]  # fmt: skip
    if state.status != "running":
        return rows
    if owner and any(state.round not in m.paid for m in state.members):
        rows.append([button("circles.button_remind", f"remind:{cid}")])
    if owner:
        for offer in state.offers:
            new = offer.member_id
            rows += [
                [button("circles.button_approve", f"swap:{cid}:{leaver}:{new}",
                        newcomer=name(new), leaver=name(leaver))]
                for leaver in state.leaving
            ]  # fmt: skip
            rows.append(
                [button("circles.button_decline", f"decline:{cid}:{new}", newcomer=name(new))]
            )
    if view.member(me) is not None and me not in state.leaving and not state.took_pot(me):
        rows.append([button("circles.button_quit", f"quit:{cid}")])
    if view.member(me) is None and state.offer_of(me) is not None:
        rows.append([button("circles.button_withdraw", f"decline:{cid}")])
    elif view.member(me) is None and state.leaving:
        rows.append([button("circles.button_offer", f"offer:{cid}", deposit=view.deposit)])
    return rows
