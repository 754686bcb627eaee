"""The `channel-<key>` aggregate: a chat the bot administers, its owner, plans and dry run.

The owner is whoever first made the bot an admin (`my_chat_member`); a later promotion by
another admin changes no owner. Owners are not the bot's admins: only a channel's owner
may set its plans or its dry run, and many owners share one bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from events import Event, Money
from events.channels import (
    AccessSet,
    BroadcastBatch,
    ChannelConnected,
    ChannelDisconnected,
    ChatKind,
    DryRunSet,
    JoinLinkSet,
    Plan,
    PlanRemoved,
    PlanSet,
)
from functions.domain.decider import Decider, DomainError

MAX_PLANS = 10
MAX_STARS = 10_000  # Telegram's most Stars for one payment
CODE_PREFIX = "ch_"


def key_of(chat_id: int) -> str:
    """The chat id as a stream name can hold it: no minus sign."""
    return f"n{-chat_id}" if chat_id < 0 else str(chat_id)


def chat_of(key: str) -> int | None:
    """The chat id a key spells, or None for anything else (user input)."""
    digits = key.removeprefix("n")
    canonical = digits.isascii() and digits.isdigit() and digits == digits.lstrip("0")
    if not canonical or len(digits) > 19:
        return None
    return -int(digits) if key.startswith("n") else int(digits)


def stream_of(chat_id: int) -> str:
    return f"channel-{key_of(chat_id)}"


def code_of(chat_id: int) -> str:
    """The deep link's payload: https://t.me/<bot>?start=ch_<key>."""
    return CODE_PREFIX + key_of(chat_id)


@dataclass(frozen=True)
class Channel:
    chat_id: int | None = None
    owner_id: int | None = None
    title: str = ""
    kind: ChatKind = "channel"
    connected: bool = False
    can_invite: bool = False
    can_restrict: bool = False
    join_link: str | None = None
    plans: dict[str, Plan] = field(default_factory=dict)
    plans_made: int = 0  # plan ids are never reused: a bought plan id stays that plan
    dry_run: bool = False
    personal_links: bool = False  # each buyer gets a one-person link (else: join requests)

    @property
    def selling(self) -> bool:
        """Whether buyers may buy: connected, able to let them in, with a plan."""
        return self.connected and self.can_invite and bool(self.plans)


@dataclass(frozen=True)
class Connect:
    chat_id: int
    title: str
    kind: ChatKind
    by_user: int
    can_invite: bool
    can_restrict: bool


@dataclass(frozen=True)
class Disconnect:
    status: str


@dataclass(frozen=True)
class SetJoinLink:
    invite_link: str


@dataclass(frozen=True)
class AddPlan:
    by_user: int
    days: int
    price: Money


@dataclass(frozen=True)
class RemovePlan:
    by_user: int
    plan_id: str


@dataclass(frozen=True)
class SetDryRun:
    by_user: int
    dry_run: bool


@dataclass(frozen=True)
class SetAccess:
    by_user: int
    personal_links: bool


@dataclass(frozen=True)
class Broadcast:
    by_user: int
    broadcast_id: str
    text: str
    recipients: tuple[int, ...]


ChannelCommand = (
    Connect | Disconnect | SetJoinLink | AddPlan | RemovePlan | SetDryRun | SetAccess | Broadcast
)
BATCH = 50  # recipients per broadcast event (events/channels.py, BroadcastBatch)
MAX_BROADCAST = 3500


class UnknownChannel(DomainError):
    code = "channel_unknown"


class NotChannelOwner(DomainError):
    code = "channel_not_owner"


class UnknownPlan(DomainError):
    code = "channel_unknown_plan"


class TooManyPlans(DomainError):
    code = "channel_too_many_plans"

    def facts(self) -> dict[str, str | int | Money]:
        return {"most": MAX_PLANS}


class BadBroadcast(DomainError):
    code = "channel_bad_broadcast"

    def facts(self) -> dict[str, str | int | Money]:
        return {"most": MAX_BROADCAST}


class BadPlan(DomainError):
    code = "channel_bad_plan"

    def facts(self) -> dict[str, str | int | Money]:
        return {"most_days": 3660, "most_stars": MAX_STARS}


def decide(state: Channel, command: ChannelCommand) -> Sequence[Event]:
    match command:
        case Connect():
            return _connect(state, command)
        case Disconnect():
            return [ChannelDisconnected(status=command.status)] if state.connected else []
        case SetJoinLink():
            if state.join_link == command.invite_link:
                return []
            return [JoinLinkSet(invite_link=command.invite_link)]
        case AddPlan():
            _owned(state, command.by_user)
            return [PlanSet(plan=_plan(state, command), by_user=command.by_user)]
        case RemovePlan():
            _owned(state, command.by_user)
            if command.plan_id not in state.plans:
                raise UnknownPlan(f"no plan {command.plan_id}")
            return [PlanRemoved(plan_id=command.plan_id, by_user=command.by_user)]
        case Broadcast():
            return _broadcast(state, command)
        case SetDryRun():
            _owned(state, command.by_user)
            if state.dry_run == command.dry_run:
                return []
            return [DryRunSet(dry_run=command.dry_run, by_user=command.by_user)]
        case SetAccess():
            _owned(state, command.by_user)
            if state.personal_links == command.personal_links:
                return []
            return [AccessSet(access="personal" if command.personal_links else "request",
                              by_user=command.by_user)]  # fmt: skip


def _connect(state: Channel, command: Connect) -> Sequence[Event]:
    rights = (command.can_invite, command.can_restrict)
    same = state.connected and state.title == command.title
    if same and (state.can_invite, state.can_restrict) == rights:
        return []
    return [
        ChannelConnected(
            chat_id=command.chat_id,
            title=command.title[:256],
            kind=command.kind,
            owner_id=state.owner_id if state.owner_id is not None else command.by_user,
            can_invite=command.can_invite,
            can_restrict=command.can_restrict,
        )
    ]


def _broadcast(state: Channel, command: Broadcast) -> Sequence[Event]:
    _owned(state, command.by_user)
    text = command.text.strip()
    if not text or len(text) > MAX_BROADCAST:
        raise BadBroadcast(f"a message is 1 to {MAX_BROADCAST} characters")
    unique = tuple(dict.fromkeys(command.recipients))
    return [
        BroadcastBatch(
            broadcast_id=command.broadcast_id, title=state.title, text=text,
            recipients=list(unique[start : start + BATCH]), by_user=command.by_user,
        )
        for start in range(0, len(unique), BATCH)
    ]  # fmt: skip


def _owned(state: Channel, user_id: int) -> None:
    if state.owner_id is None:
        raise UnknownChannel("no such channel")
    if state.owner_id != user_id:
        raise NotChannelOwner("only the channel's owner may change it")


def _plan(state: Channel, command: AddPlan) -> Plan:
    if len(state.plans) >= MAX_PLANS:
        raise TooManyPlans(f"at most {MAX_PLANS} plans")
    price = command.price
    stars_ok = price.currency != "XTR" or price.amount <= MAX_STARS
    if not 1 <= command.days <= 3660 or not price.is_positive() or not stars_ok:
        raise BadPlan("a plan is 1 to 3660 days at a positive price (at most 10000 Stars)")
    return Plan(plan_id=f"p{state.plans_made + 1}", days=command.days, price=price)


def evolve(state: Channel, event: Event) -> Channel:
    match event:
        case ChannelConnected():
            return replace(
                state, chat_id=event.chat_id, owner_id=event.owner_id, title=event.title,
                kind=event.kind, connected=True, can_invite=event.can_invite,
                can_restrict=event.can_restrict,
            )  # fmt: skip
        case ChannelDisconnected():
            return replace(state, connected=False, can_invite=False, can_restrict=False)
        case JoinLinkSet():
            return replace(state, join_link=event.invite_link)
        case PlanSet(plan=plan):
            plans = {**state.plans, plan.plan_id: plan}
            return replace(state, plans=plans, plans_made=state.plans_made + 1)
        case PlanRemoved(plan_id=plan_id):
            return replace(state, plans={k: v for k, v in state.plans.items() if k != plan_id})
        case DryRunSet(dry_run=dry_run):
            return replace(state, dry_run=dry_run)
        case AccessSet(access=access):
            return replace(state, personal_links=access == "personal")
        case _:
            return state


channels: Decider[Channel, ChannelCommand] = Decider(
    initial=Channel(), evolve=evolve, decide=decide
)
