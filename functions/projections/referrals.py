"""`referrals/{user}` (who invited them, whom they invited) and `referral_earnings/{user}`
(commission on their wallet), read together as one typed view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from events import Envelope, Money, decode
from events.referrals import CommissionOwed, RefereeJoined, ReferralBound
from events.wallet import WalletCredited, WalletDebited
from functions.projections.base import Doc, Projection

if TYPE_CHECKING:
    from functions.runtime.ports import ReadModels


def project_links(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    state: Doc = dict(doc) if doc else {"referrer_id": None, "referees": {}}
    event = decode(envelope)
    if isinstance(event, ReferralBound):
        state["referrer_id"] = event.referrer_id
    elif isinstance(event, RefereeJoined):
        state["referees"] = {**state["referees"], str(event.referee_id): event.referee_name}
    return {**state, "user_id": int(envelope.aggregate_id)}


def project_earnings(doc: Mapping[str, Any] | None, envelope: Envelope) -> Doc:
    state: Doc = dict(doc) if doc else {"earned": {}, "reversed": {}, "owed": {}}
    match decode(envelope):
        case WalletCredited(reason="commission", amount=money):
            state["earned"] = _add(state["earned"], money)
        case WalletDebited(reason="commission_reversal", amount=money):
            state["reversed"] = _add(state["reversed"], money)
        case WalletDebited(reason="commission_debt", amount=money):
            state["owed"] = _add(state["owed"], money, -1)
        case CommissionOwed(owed=money):
            state["reversed"] = _add(state["reversed"], money)
            state["owed"] = _add(state["owed"], money)
    return {**state, "user_id": int(envelope.aggregate_id)}


def _add(amounts: Mapping[str, int], money: Money, sign: int = 1) -> dict[str, int]:
    return {**amounts, money.currency: amounts.get(money.currency, 0) + sign * money.amount}


referral_links = Projection("referral-links", "referrals", "referral", project_links)
referral_earnings = Projection("referral-earnings", "referral_earnings", "wallet", project_earnings)


class ReferralsView(BaseModel):
    """One user's referral programme: who invited them, whom they invited, what it earned
    (commission credited less reversals, per currency) and what they still owe back."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    referrer_id: int | None = None
    referees: tuple[str, ...] = ()  # first names, in the order they joined
    earned: tuple[Money, ...] = ()
    owed: tuple[Money, ...] = ()


def referrals_of(read_models: ReadModels, user_id: int) -> ReferralsView:
    links = read_models.get(referral_links.collection, str(user_id)) or {}
    money = read_models.get(referral_earnings.collection, str(user_id)) or {}
    earned = {
        c: a - money.get("reversed", {}).get(c, 0) for c, a in money.get("earned", {}).items()
    }
    return ReferralsView(
        user_id=user_id,
        referrer_id=links.get("referrer_id"),
        referees=tuple(links.get("referees", {}).values()),
        earned=_monies(earned),
        owed=_monies(money.get("owed", {})),
    )


def _monies(amounts: Mapping[str, int]) -> tuple[Money, ...]:
    return tuple(Money(amount=a, currency=c) for c, a in sorted(amounts.items()) if a)
