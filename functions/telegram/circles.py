"""/circles: the user's savings circles, `/circles new …` to create one, and the `circle:`
buttons (join, leave, start, cancel, contribute, restore the deposit, refresh).

Money moves on the wallet first (a join or top-up holds, a contribution debits, under a
reference naming the circle, the round and the member), and the circle's reactors, run
inline here, record it on the circle: so a tap without the money is refused before
anything is written, and the answer already shows the outcome.
"""

from __future__ import annotations

import re
from datetime import datetime

from events import Money
from events.circles import PeriodUnit, Rotation
from events.money import InvalidAmount, parse_money
from functions import texts
from functions.contexts.circles import circle_settings
from functions.domain import circles, tiers, wallet
from functions.domain.circle_state import Circle
from functions.domain.decider import DomainError
from functions.projections.circles import circles_of
from functions.reactors.circles import (
    CONTRIBUTION,
    DEPOSIT,
    RESTORE,
    contribution_reference,
    deposit_reference,
)
from functions.telegram import circle_tiers, rail_pay
from functions.telegram.chat import Context, Reply, on_stale_button, reply
from functions.telegram.circle_cards import card, current, owed_by, rails_for, tag_of, trace_for
from functions.telegram.circle_seats import SEAT_ACTIONS
from functions.telegram.replies import ask

PERIODS: dict[str, tuple[PeriodUnit, int]] = {
    "daily": ("day", 1), "weekly": ("week", 1), "monthly": ("month", 1),
}  # fmt: skip
DAYS = re.compile(r"(\d{1,3})d")
MINUTES = re.compile(r"(\d{1,3})min")
ROTATIONS: dict[str, Rotation] = {"join": "join", "random": "random", "owner": "owner"}


class BadCircle(DomainError):
    code = "circle_usage"


def create_typed(ctx: Context, words: list[str], contribution: Money) -> Reply:
    """The create questions' terms, as `/circles new <words>` with this contribution."""
    return _create(ctx, words, contribution)


def on_circles(ctx: Context, argument: str) -> Reply:
    words = argument.split()
    if words == ["new"]:  # no terms: the questions (functions/telegram/circle_create.py)
        question = texts.text(ctx.language, "circles.ask_name")
        return ask(
            ctx, "circle_name", "new", question, texts.text(ctx.language, "circles.name_hint")
        )
    if words and words[0] == "new":
        return _create(ctx, words[1:])
    if words:
        return card(ctx, words[0].removeprefix("circle_"))
    mine = circles_of(ctx.runtime.read_models, ctx.user_id)
    if not mine:
        return reply(ctx, texts.text(ctx.language, "circles.none"))
    lines = [texts.text(ctx.language, "circles.list_head")]
    rows = []
    for view in mine:
        status = texts.text(ctx.language, f"circles.status_{view.status}")
        lines.append(texts.text(ctx.language, "circles.list_line", name=view.name, status=status))
        rows.append([{"text": view.name, "callback_data": f"circle:show:{view.circle_id}"}])
    answer = reply(ctx, "\n".join(lines))
    answer["reply_markup"] = {"inline_keyboard": rows}
    return answer


def parse_new(
    words: list[str],
    currency: str,
    circle_id: str,
    owner_id: int,
    at: datetime,
    contribution: Money | None = None,
) -> circles.Create:
    """`<name…> <contribution> <daily|weekly|monthly|Nd> <members> [rotation=…] [deposit=N]`;
    a `contribution` given (the create questions') stands for the typed one."""  # fmt: skip
    options = dict(w.split("=", 1) for w in words if "=" in w)
    plain = [w for w in words if "=" not in w]
    if len(plain) < 4:
        raise BadCircle("usage")
    name, amount, period, size = " ".join(plain[:-3])[:64], plain[-3], plain[-2].lower(), plain[-1]
    days, minutes = DAYS.fullmatch(period), MINUTES.fullmatch(period)
    unit, count = PERIODS.get(period) or ("day", int(days[1]) if days else 0)
    if minutes and circle_settings().allow_minutes:
        unit, count = "minute", int(minutes[1])
    rotation = ROTATIONS.get(options.get("rotation", "join"))
    deposit = options.get("deposit", str(circles.DEFAULT_DEPOSIT_ROUNDS))
    if not name or not 1 <= count <= 366 or not size.isdigit() or not 2 <= int(size) <= 50:
        raise BadCircle("usage")
    if rotation is None or not deposit.isdigit() or int(deposit) > int(size):
        raise BadCircle("usage")
    try:
        contribution = contribution or parse_money(amount, currency)
    except InvalidAmount as err:
        raise BadCircle(str(err)) from err
    return circles.Create(
        circle_id, owner_id, name, contribution, unit, count, int(size), rotation, at, int(deposit)
    )


def _create(ctx: Context, words: list[str], contribution: Money | None = None) -> Reply:
    circle_id, currency = tag_of(ctx, ":circle"), ctx.runtime.settings.default_currency
    now = ctx.runtime.clock.now()
    try:
        create = parse_new(words, currency, circle_id, ctx.user_id, now, contribution)
    except BadCircle:
        return reply(ctx, texts.text(ctx.language, "circles.usage"))
    return create_circle(ctx, create)


def create_circle(ctx: Context, create: circles.Create) -> Reply:
    """Take a tier slot, create the circle, and hold the owner's own deposit."""
    circle_id = create.circle_id
    slot = tiers.TakeSlot(ctx.user_id, circle_id, circle_settings().free(), create.at)
    try:
        ctx.runtime.execute(tiers.tiers, tiers.stream_of(ctx.user_id), slot, trace_for(ctx, "slot"))
    except tiers.TierLimit as limit:
        return circle_tiers.upgrade_prompt(ctx, limit)
    ctx.runtime.execute(
        circles.circles, circles.stream_of(circle_id), create, trace_for(ctx, "create")
    )
    head = texts.text(ctx.language, "circles.created")
    seats = circle_tiers.seats_of(ctx, create.owner_id)
    if seats < create.size:
        head += "\n" + texts.text(ctx.language, "circles.tier_seats", seats=seats)
    try:
        _join(ctx, current(ctx, circle_id))
    except DomainError as refused:  # the circle stands; the owner joins once they top up
        head += "\n" + texts.refusal(ctx.language, refused)
    return card(ctx, circle_id, head)


def pay_on_rail(ctx: Context, circle_id: str, rail: str, phone: str | None = None) -> Reply:
    """Start a payment of this round's contribution on a rail (purpose circle_contribution);
    its success pays the contribution (functions/domain/circle_payments.py)."""
    state = current(ctx, circle_id)
    member = state.member(ctx.user_id)
    option = next((o for o in rails_for(ctx, state.currency) if o.name == rail), None)
    if state.status != "running" or member is None or state.round in member.paid:
        return reply(ctx, texts.text(ctx.language, "circles.nothing_due"))
    if option is None:
        return reply(ctx, texts.text(ctx.language, "shop.rail_not_offered"))
    amount = state.money(state.contribution)
    text = texts.text(ctx.language, "circles.phone_question", rail=option.label, amount=amount)
    asking = rail_pay.PhoneQuestion("circle_phone", f"{circle_id}:{rail}", text)
    subject = f"{circle_id}:{state.round}"
    return rail_pay.pay_on_rail(ctx, option, amount, purpose="circle_contribution",
                                subject=subject, phone=phone, question=asking)  # fmt: skip


def on_phone_answer(ctx: Context, argument: str) -> Reply:
    """The payer's phone, answering `circle_phone`: `<circle>:<rail> <phone>`."""
    asked, _, phone = argument.partition(" ")
    circle_id, _, rail = asked.partition(":")
    return pay_on_rail(ctx, circle_id, rail, phone=phone.strip())


def on_button(ctx: Context, data: str) -> Reply:
    """Every `circle:<action>:<id>[:<argument>…]` button."""
    action, _, rest = data.partition(":")
    circle_id, *args = rest.split(":")
    if action == "tier":
        return circle_tiers.buy_from_wallet(ctx, circle_id)
    if action == "tierpay":
        return circle_tiers.pay_by_phone(ctx, circle_id)
    if action == "upgrade":
        return circle_tiers.seat_prompt(ctx)
    if action == "rail" and args:
        return pay_on_rail(ctx, circle_id, args[0])
    act = ACTIONS.get(action)
    seat = SEAT_ACTIONS.get(action)
    if (act is None and seat is None) or not circle_id:
        return on_stale_button(ctx, data)
    state = current(ctx, circle_id)
    if state.status == "none":
        return reply(ctx, texts.text(ctx.language, "circles.no_such"))
    head = act(ctx, state) if act is not None else seat(ctx, state, args) if seat else ""
    return card(ctx, circle_id, texts.text(ctx.language, head) if head else "")


def _join(ctx: Context, state: Circle) -> str:
    if state.status != "open":
        return "circles.not_open"
    if state.member(ctx.user_id) is not None:
        return "circles.already_member"
    if len(state.members) >= state.size:
        return "circles.full"
    seats = circle_tiers.seats_of(ctx, state.owner_id)
    if len(state.members) >= seats:  # the owner is told, once per joiner and tier
        want = circles.WantSeat(ctx.user_id, seats)
        ctx.runtime.execute(circles.circles, circles.stream_of(state.circle_id), want, ctx.trace)
        return "circles.tier_full"
    reference = deposit_reference(state.circle_id, ctx.user_id, tag_of(ctx, ":join"))
    if state.deposit == 0:  # nothing to hold: the join is decided at once
        join = circles.Join(
            ctx.user_id, state.money(0), reference, tag_of(ctx, ":seed"), ctx.runtime.clock.now()
        )
        ctx.runtime.execute(
            circles.circles, circles.stream_of(state.circle_id), join, trace_for(ctx, "join")
        )
    else:
        hold = wallet.Hold(ctx.user_id, state.money(state.deposit), DEPOSIT, reference)
        ctx.runtime.execute(
            wallet.wallets, wallet.stream_of(ctx.user_id), hold, trace_for(ctx, "hold")
        )
    return "circles.joined"


def _leave(ctx: Context, state: Circle) -> str:
    ctx.runtime.execute(
        circles.circles, circles.stream_of(state.circle_id), circles.Leave(ctx.user_id), ctx.trace
    )
    return "circles.left"


def _start(ctx: Context, state: Circle) -> str:
    start = circles.Start(ctx.user_id, tag_of(ctx, ":seed"), ctx.runtime.clock.now())
    ctx.runtime.execute(circles.circles, circles.stream_of(state.circle_id), start, ctx.trace)
    return "circles.started"


def _cancel(ctx: Context, state: Circle) -> str:
    ctx.runtime.execute(
        circles.circles, circles.stream_of(state.circle_id), circles.Cancel(ctx.user_id), ctx.trace
    )
    return "circles.cancelled"


def _pay(ctx: Context, state: Circle) -> str:
    member = state.member(ctx.user_id)
    if state.status != "running" or member is None or state.round in member.paid:
        return "circles.nothing_due"
    reference = contribution_reference(state.circle_id, state.round, ctx.user_id)
    debit = wallet.Debit(ctx.user_id, state.money(state.contribution), CONTRIBUTION, reference)
    ctx.runtime.execute(wallet.wallets, wallet.stream_of(ctx.user_id), debit, ctx.trace)
    return "circles.paid"


def _restore(ctx: Context, state: Circle) -> str:
    owed = owed_by(state, ctx.user_id)
    if state.status != "running" or owed <= 0:
        return "circles.nothing_due"
    reference = deposit_reference(state.circle_id, ctx.user_id, tag_of(ctx, ":restore"))
    hold = wallet.Hold(ctx.user_id, Money(amount=owed, currency=state.currency), RESTORE, reference)
    ctx.runtime.execute(wallet.wallets, wallet.stream_of(ctx.user_id), hold, ctx.trace)
    return "circles.restored"


def _show(ctx: Context, state: Circle) -> str:
    return ""


ACTIONS = {
    "show": _show, "join": _join, "leave": _leave, "start": _start, "cancel": _cancel,
    "pay": _pay, "restore": _restore,
}  # fmt: skip
