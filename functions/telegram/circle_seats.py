"""The circle card's seat and owner buttons: remind the unpaid now, remove a member before
the start, ask to leave a running circle, offer to take over a seat, and the owner's
approval or refusal of that offer (functions/domain/circle_seats.py has the rules).

Each returns the catalogue key of the line shown above the card it redraws.
"""

from __future__ import annotations

from collections.abc import Callable

from functions.domain import circles, wallet
from functions.domain.circle_state import Circle
from functions.reactors.circles import REPLACE, deposit_reference
from functions.telegram.chat import Context
from functions.telegram.circle_cards import tag_of, trace_for

SeatAction = Callable[[Context, Circle, list[str]], str]


def _decide(ctx: Context, state: Circle, command: circles.CircleCommand) -> None:
    ctx.runtime.execute(circles.circles, circles.stream_of(state.circle_id), command, ctx.trace)


def _member_id(args: list[str]) -> int | None:
    return int(args[0]) if args and args[0].isdigit() else None


def remind(ctx: Context, state: Circle, args: list[str]) -> str:
    _decide(ctx, state, circles.RemindNow(ctx.user_id, ctx.runtime.clock.now()))
    return "circles.reminded_now"


def remove(ctx: Context, state: Circle, args: list[str]) -> str:
    member = _member_id(args)
    if member is None:
        return ""
    _decide(ctx, state, circles.Remove(ctx.user_id, member))
    return "circles.removed"


def ask_to_leave(ctx: Context, state: Circle, args: list[str]) -> str:
    _decide(ctx, state, circles.RequestLeave(ctx.user_id))
    return "circles.leave_requested"


def offer(ctx: Context, state: Circle, args: list[str]) -> str:
    """Hold the circle's deposit to take over a leaving member's seat (the circle records
    the offer from the hold; a zero deposit is offered at once)."""
    if state.status != "running" or not state.leaving:
        return "circles.no_seat"
    if state.member(ctx.user_id) is not None or state.offer_of(ctx.user_id) is not None:
        return "circles.already_member"
    reference = deposit_reference(state.circle_id, ctx.user_id, tag_of(ctx, ":offer"))
    if state.deposit == 0:
        _decide(ctx, state, circles.Offer(ctx.user_id, state.money(0), reference))
        return "circles.offered"
    hold = wallet.Hold(ctx.user_id, state.money(state.deposit), REPLACE, reference)
    ctx.runtime.execute(wallet.wallets, wallet.stream_of(ctx.user_id), hold, trace_for(ctx, "hold"))
    return "circles.offered"


def approve(ctx: Context, state: Circle, args: list[str]) -> str:
    leaver, newcomer = _member_id(args), _member_id(args[1:])
    if leaver is None or newcomer is None:
        return ""
    _decide(ctx, state, circles.Approve(ctx.user_id, leaver, newcomer))
    return "circles.replaced"


def decline(ctx: Context, state: Circle, args: list[str]) -> str:
    newcomer = _member_id(args) or ctx.user_id  # no id: the newcomer withdraws their own
    _decide(ctx, state, circles.Decline(ctx.user_id, newcomer))
    return "circles.offer_declined"


SEAT_ACTIONS: dict[str, SeatAction] = {
    "remind": remind, "remove": remove, "quit": ask_to_leave, "offer": offer,
    "swap": approve, "decline": decline,
}  # fmt: skip
