"""The referral programme's reactors: bind at first registration, earn on a referee's
succeeded deposit, reverse on its refund, and move the commission on the referrer's wallet.

Only wallet deposits count (docs/architecture.md, "Referrals"): an order paid directly on a
rail is a purchase whose money can come back to the wallet (an order refund, a sold-out
return) without a refund of the payment, so a commission on it could never be reversed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from events import Envelope, decode
from events.payments import PaymentRefunded, PaymentSucceeded
from events.referrals import CommissionEarned, CommissionReversed, ReferralBound, Terms
from events.users import UserRegistered
from functions.domain import referrals
from functions.reactors.base import Reaction, Reactor

# The programme's terms and code secret, read once per instance (functions/contexts/referrals.py).
TermsSource = Callable[[], tuple[Terms, str]]


def binder(source: TermsSource) -> Callable[[Envelope], Sequence[Reaction]]:
    def react(envelope: Envelope) -> Sequence[Reaction]:
        registered = decode(envelope)
        if not isinstance(registered, UserRegistered) or not registered.referral_code:
            return []
        terms, secret = source()
        referrer = referrals.resolve(registered.referral_code, secret)
        if referrer is None or referrer == registered.user_id:
            return []  # an unknown code, or one's own: registered without a referrer
        bind = referrals.Bind(
            referee_id=registered.user_id,
            referrer_id=referrer,
            referee_name=registered.first_name,
            terms=terms,
            at=envelope.occurred_at,
        )
        return [_on(referrals.stream_of(registered.user_id), bind)]

    return react


def join(envelope: Envelope) -> Sequence[Reaction]:
    bound = decode(envelope)
    if not isinstance(bound, ReferralBound):
        return []
    add = referrals.AddReferee(bound.referrer_id, bound.referee_id, bound.referee_name)
    return [_on(referrals.stream_of(bound.referrer_id), add)]


def earn(envelope: Envelope) -> Sequence[Reaction]:
    paid = decode(envelope)
    if not isinstance(paid, PaymentSucceeded) or paid.purpose != "wallet_deposit":
        return []
    command = referrals.Earn(paid.payment_id, paid.user_id, paid.paid, envelope.occurred_at)
    return [_on(referrals.stream_of(paid.user_id), command)]


def reverse(envelope: Envelope) -> Sequence[Reaction]:
    refund = decode(envelope)
    if not isinstance(refund, PaymentRefunded) or refund.purpose != "wallet_deposit":
        return []
    if refund.payment_id is None or refund.user_id is None:
        return []  # recorded before refunds named their payment
    return [_on(referrals.stream_of(refund.user_id), referrals.Reverse(refund.payment_id))]


def move(envelope: Envelope) -> Sequence[Reaction]:
    decided = decode(envelope)
    command: referrals.PayCommission | referrals.ReclaimCommission
    if isinstance(decided, CommissionEarned):
        command = referrals.PayCommission(
            decided.referrer_id, decided.payment_id, decided.commission
        )
    elif isinstance(decided, CommissionReversed):
        command = referrals.ReclaimCommission(
            decided.referrer_id, decided.payment_id, decided.commission
        )
    else:
        return []
    stream = f"wallet-{decided.referrer_id}"
    return [Reaction(referrals.commission_wallets, stream, command)]


def _on(stream: str, command: object) -> Reaction:
    return Reaction(referrals.referrals, stream, command)


def bind_referral(source: TermsSource) -> Reactor:
    return Reactor("bind-referral", "user", binder(source), frozenset({UserRegistered.type_name}))


join_referrer = Reactor("join-referrer", "referral", join, frozenset({ReferralBound.type_name}))
earn_commission = Reactor(
    "earn-commission", "payment", earn, frozenset({PaymentSucceeded.type_name})
)
reverse_commission = Reactor(
    "reverse-commission", "payment", reverse, frozenset({PaymentRefunded.type_name})
)
move_commission = Reactor(
    "move-commission",
    "referral",
    move,
    frozenset({CommissionEarned.type_name, CommissionReversed.type_name}),
)
