"""Events of paid channels: a channel and its plans, a buyer's subscription, owner revenue.

`channel-<key>` holds one private channel or group the bot administers (its owner is the
user who made the bot an admin, seen in a `my_chat_member` update), its plans and whether
the expiry job only pretends (dry run). `subscription-<key>.<user id>` holds one buyer's
access to one channel: ACTIVE -> EXPIRING -> EXPIRED -> REMOVED, a payment extending it.
`revenue-<owner id>` is each owner's own ledger: gross, the platform fee, net.

A chat id is negative for channels and supergroups; `<key>` spells it without the minus
sign, which a stream name cannot hold (`n1001234567890` for -1001234567890).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.base import Event
from events.catalog import event
from events.money import Money

ChatKind = Literal["channel", "supergroup", "group"]


class Plan(BaseModel):
    """What a buyer can buy: `days` of access for `price` (any currency, or XTR Stars)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_id: str = Field(pattern=r"^p[0-9]{1,3}$")
    days: int = Field(ge=1, le=3660)
    price: Money


@event("channel.connected.v1")
class ChannelConnected(Event):
    """The bot is an admin of the chat; `owner_id` made it one the first time."""

    chat_id: int
    title: str = Field(max_length=256)
    kind: ChatKind
    owner_id: int
    can_invite: bool  # can_invite_users: needed to approve join requests
    can_restrict: bool  # can_restrict_members: needed to remove expired subscribers


@event("channel.join_link_set.v1")
class JoinLinkSet(Event):
    """The chat's join-request link the bot made: every request through it is checked
    against the requester's subscription, so the link may be shared freely."""

    invite_link: str = Field(max_length=256)


@event("channel.disconnected.v1")
class ChannelDisconnected(Event):
    """The bot is no longer an admin there (left, removed, demoted): stop selling it."""

    status: str = Field(max_length=32)


@event("channel.plan_set.v1")
class PlanSet(Event):
    plan: Plan
    by_user: int


@event("channel.plan_removed.v1")
class PlanRemoved(Event):
    plan_id: str
    by_user: int


@event("channel.dry_run_set.v1")
class DryRunSet(Event):
    """On: the expiry job warns and records expiry but removes nobody (it logs instead)."""

    dry_run: bool
    by_user: int


@event("channel.access_set.v1")
class AccessSet(Event):
    """How buyers get in: `request` (the default), the channel's one join-request link,
    approved only for a running subscriber; or `personal`, a link for each buyer admitting
    one member (member_limit=1), revoked once the buyer is in (or someone else was)."""

    access: Literal["request", "personal"]
    by_user: int


@event("channel.broadcast.v1")
class BroadcastBatch(Event):
    """Part of an owner's message to their running subscribers. One event per at most
    `BATCH` recipients, so one notify delivery sends it at notify's pace (5 a second) well
    inside its timeout, and a redelivery repeats at most one batch."""

    broadcast_id: str
    title: str = Field(max_length=256)
    text: str = Field(min_length=1, max_length=3500)
    recipients: list[int] = Field(max_length=50)
    by_user: int


@event("subscription.paid.v1")
class SubscriptionPaid(Event):
    """A payment bought `days` more: from the current end when there is one still running,
    else from when it was paid (`paid_at`). `ends_at` is the end after it."""

    chat_id: int
    user_id: int
    owner_id: int
    plan_id: str
    days: int = Field(ge=1)
    paid: Money
    reference: str  # the wallet debit's or the payment's: each buys time once
    via: Literal["wallet", "payment"]
    paid_at: AwareDatetime
    ends_at: AwareDatetime


@event("subscription.joined.v1")
class SubscriberJoined(Event):
    """Telegram let the subscriber in (the bot approved their join request)."""

    chat_id: int
    user_id: int


@event("subscription.link_issued.v1")
class PersonalLinkIssued(Event):
    """A link for this buyer alone (member_limit=1, named after them, dying at `expires_at`,
    the end of the time paid for when it was made)."""

    chat_id: int
    user_id: int
    invite_link: str = Field(max_length=256)
    expires_at: AwareDatetime


@event("subscription.link_revoked.v1")
class PersonalLinkRevoked(Event):
    """The buyer's link is dead: they joined through it (`joined`), or someone else did
    (`intruder`, who was removed unless a subscriber themselves; the buyer gets a new one)."""

    chat_id: int
    user_id: int
    invite_link: str = Field(max_length=256)
    why: Literal["joined", "intruder"]
    intruder_id: int | None = None


@event("subscription.warned.v1")
class ExpiryWarned(Event):
    """The subscriber was told their access ends in `days_left` days (3, then 1)."""

    chat_id: int
    user_id: int
    days_left: int
    ends_at: AwareDatetime


@event("subscription.expired.v1")
class SubscriptionExpired(Event):
    chat_id: int
    user_id: int
    ends_at: AwareDatetime


@event("subscription.removed.v1")
class SubscriberRemoved(Event):
    """Banned and unbanned (only_if_banned): out of the chat, free to buy and join again.
    `not_member`: Telegram knew them as no member (left already), which is as done."""

    chat_id: int
    user_id: int
    outcome: Literal["removed", "not_member"]


@event("revenue.earned.v1")
class RevenueEarned(Event):
    """On the owner's ledger: a buyer's payment, less the platform's fee
    (fee = floor(gross * fee_bp / 10000): the rounding favours the owner)."""

    owner_id: int
    chat_id: int
    buyer_id: int
    reference: str
    kind: Literal["subscription", "donation"]
    gross: Money
    fee_bp: int = Field(ge=0, le=10_000)
    fee: Money
    net: Money
