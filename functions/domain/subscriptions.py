"""The `subscription-<channel key>.<user id>` aggregate: one buyer's access to one channel.

    ACTIVE ─(3 days left: warned)─► EXPIRING ─(end)─► EXPIRED ─(banned+unbanned)─► REMOVED
       ▲                                                                             │
       └──────────────── a payment (renewal, or buying again after removal) ◄────────┘

The end is folded from every payment sorted by when it was paid: each buys its days from
the end of the coverage before it, or from its own time when that coverage had run out. A
renewal therefore extends from the current end, not from now, and duplicated or reordered
payment events give the same end (each reference counts once).

What was bought travels with the money as a `Purchase` (channel, owner, plan, days), fixed
when the buyer chose it, so the reactor that turns a payment into time is a pure rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from events import Event, Money
from events.channels import (
    ExpiryWarned,
    PersonalLinkIssued,
    PersonalLinkRevoked,
    SubscriberJoined,
    SubscriberRemoved,
    SubscriptionExpired,
    SubscriptionPaid,
)
from functions.domain import channels
from functions.domain.decider import Decider

Status = Literal["none", "active", "expiring", "expired", "removed"]
LIVE: frozenset[Status] = frozenset({"active", "expiring"})
WARNINGS = (3, 1)  # days before the end the subscriber is told
WALLET_PREFIX = "subscription:"  # a wallet debit's reference: subscription:<nonce>:<purchase>


def stream_of(chat_id: int, user_id: int) -> str:
    return f"subscription-{channels.key_of(chat_id)}.{user_id}"


@dataclass(frozen=True)
class Purchase:
    """What a payment buys, spelled into its subject or wallet reference."""

    chat_id: int
    owner_id: int
    plan_id: str
    days: int

    def spelled(self) -> str:
        return f"{channels.key_of(self.chat_id)}~{self.owner_id}~{self.plan_id}~{self.days}"

    @classmethod
    def read(cls, text: str) -> Purchase | None:
        """The purchase a subject spells, or None for anything else."""
        parts = text.split("~")
        if len(parts) != 4 or not parts[1].isdigit() or not parts[3].isdigit():
            return None
        chat_id = channels.chat_of(parts[0])
        if chat_id is None or not 1 <= int(parts[3]) <= 3660:
            return None
        return cls(chat_id, int(parts[1]), parts[2], int(parts[3]))


def wallet_reference(nonce: str, purchase: Purchase) -> str:
    return f"{WALLET_PREFIX}{nonce}:{purchase.spelled()}"


def purchase_in(reference: str) -> Purchase | None:
    """The purchase a wallet debit's reference names, if it is a subscription's."""
    if not reference.startswith(WALLET_PREFIX):
        return None
    return Purchase.read(reference.removeprefix(WALLET_PREFIX).partition(":")[2])


@dataclass(frozen=True, order=True)
class Bought:
    """One payment's time: `days` from `paid_at` or from the coverage before it."""

    paid_at: datetime
    days: int
    reference: str


@dataclass(frozen=True)
class Subscription:
    chat_id: int | None = None
    user_id: int | None = None
    status: Status = "none"
    payments: tuple[Bought, ...] = ()  # in the order they were recorded
    plan_id: str | None = None
    warned: frozenset[int] = frozenset()  # days_left told about the current end
    joined: bool = False
    link: str | None = None  # the buyer's one-person link while it may still admit someone
    link_expires_at: datetime | None = None
    links_issued: int = 0

    @property
    def ends_at(self) -> datetime | None:
        return coverage_end(self.payments)

    def entitled(self, now: datetime) -> bool:
        """Whether the subscriber may be in the chat now."""
        end = self.ends_at
        return self.status in LIVE and end is not None and now < end

    def live_link(self, now: datetime) -> str | None:
        """The buyer's one-person link, unless it has died of its own expiry."""
        alive = self.link_expires_at is not None and now < self.link_expires_at
        return self.link if alive else None


def coverage_end(payments: Sequence[Bought]) -> datetime | None:
    """The end of the time bought, folding payments in the order they were paid."""
    end: datetime | None = None
    for bought in sorted(payments):
        start = end if end is not None and end > bought.paid_at else bought.paid_at
        end = start + timedelta(days=bought.days)
    return end


@dataclass(frozen=True)
class Pay:
    user_id: int
    purchase: Purchase
    paid: Money
    reference: str
    via: Literal["wallet", "payment"]
    at: datetime


@dataclass(frozen=True)
class Join:
    pass


@dataclass(frozen=True)
class IssueLink:
    invite_link: str
    expires_at: datetime
    at: datetime


@dataclass(frozen=True)
class RevokeLink:
    invite_link: str
    why: Literal["joined", "intruder"]
    intruder_id: int | None = None


@dataclass(frozen=True)
class Warn:
    days_left: int
    at: datetime


@dataclass(frozen=True)
class Expire:
    at: datetime


@dataclass(frozen=True)
class Remove:
    outcome: Literal["removed", "not_member"]
    at: datetime


SubscriptionCommand = Pay | Join | IssueLink | RevokeLink | Warn | Expire | Remove


def decide(state: Subscription, command: SubscriptionCommand) -> Sequence[Event]:
    match command:
        case Pay():
            return _pay(state, command)
        case Join():
            if state.status not in LIVE or state.joined or state.chat_id is None:
                return []
            return [SubscriberJoined(chat_id=state.chat_id, user_id=_user(state))]
        case IssueLink():
            # One live link per buyer, and only while they may be in.
            if state.live_link(command.at) is not None or not state.entitled(command.at):
                return []
            assert state.chat_id is not None
            return [PersonalLinkIssued(chat_id=state.chat_id, user_id=_user(state),
                                       invite_link=command.invite_link,
                                       expires_at=command.expires_at)]  # fmt: skip
        case RevokeLink():
            if state.link != command.invite_link or state.chat_id is None:
                return []
            return [PersonalLinkRevoked(chat_id=state.chat_id, user_id=_user(state),
                                        invite_link=command.invite_link, why=command.why,
                                        intruder_id=command.intruder_id)]  # fmt: skip
        case Warn():
            return _warn(state, command)
        case Expire():
            end = state.ends_at
            if state.status not in LIVE or end is None or command.at < end or state.chat_id is None:
                return []
            return [SubscriptionExpired(chat_id=state.chat_id, user_id=_user(state), ends_at=end)]
        case Remove():
            # Re-checked here, right before it is recorded: a renewal since makes it a no-op.
            if state.status != "expired" or state.chat_id is None or state.entitled(command.at):
                return []
            return [
                SubscriberRemoved(
                    chat_id=state.chat_id, user_id=_user(state), outcome=command.outcome
                )
            ]


def _user(state: Subscription) -> int:
    assert state.user_id is not None
    return state.user_id


def _pay(state: Subscription, command: Pay) -> Sequence[Event]:
    if any(b.reference == command.reference for b in state.payments):
        return []
    bought = Bought(command.at, command.purchase.days, command.reference)
    end = coverage_end((*state.payments, bought))
    assert end is not None
    return [
        SubscriptionPaid(
            chat_id=command.purchase.chat_id, user_id=command.user_id,
            owner_id=command.purchase.owner_id, plan_id=command.purchase.plan_id,
            days=command.purchase.days, paid=command.paid, reference=command.reference,
            via=command.via, paid_at=command.at, ends_at=end,
        )
    ]  # fmt: skip


def _warn(state: Subscription, command: Warn) -> Sequence[Event]:
    end = state.ends_at
    if state.status not in LIVE or end is None or state.chat_id is None:
        return []
    due = end - timedelta(days=command.days_left) <= command.at < end
    # A later warning makes an earlier one pointless (1 day left: no "3 days" after it).
    told = any(days <= command.days_left for days in state.warned)
    if not due or told:
        return []
    return [
        ExpiryWarned(
            chat_id=state.chat_id, user_id=_user(state), days_left=command.days_left, ends_at=end
        )
    ]


def evolve(state: Subscription, event: Event) -> Subscription:
    match event:
        case SubscriptionPaid():
            payments = (*state.payments, Bought(event.paid_at, event.days, event.reference))
            renewed = state.status in LIVE
            return replace(
                state, chat_id=event.chat_id, user_id=event.user_id, status="active",
                payments=payments, plan_id=event.plan_id, warned=frozenset(),
                joined=state.joined and renewed,
            )  # fmt: skip
        case SubscriberJoined():
            return replace(state, joined=True)
        case PersonalLinkIssued():
            return replace(state, link=event.invite_link, link_expires_at=event.expires_at,
                           links_issued=state.links_issued + 1)  # fmt: skip
        case PersonalLinkRevoked():
            return replace(state, link=None, link_expires_at=None)
        case ExpiryWarned(days_left=days):
            return replace(state, status="expiring", warned=state.warned | {days})
        case SubscriptionExpired():
            return replace(state, status="expired")
        case SubscriberRemoved():
            return replace(state, status="removed", joined=False, link=None, link_expires_at=None)
        case _:
            return state


def next_due(state: Subscription) -> datetime | None:
    """When the expiry job next has something to do for this subscription (None: nothing)."""
    end = state.ends_at
    if end is None or state.status in ("none", "removed"):
        return None
    if state.status == "expired":
        return end  # removal is due (or failed last time and is retried)
    for days in WARNINGS:
        if not any(told <= days for told in state.warned):
            return end - timedelta(days=days)
    return end


subscriptions: Decider[Subscription, SubscriptionCommand] = Decider(
    initial=Subscription(), evolve=evolve, decide=decide
)
