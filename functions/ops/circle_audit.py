"""The ledger audit's savings-circle part (functions/ops/ledger.py runs it), per circle:
- contributions + seized deposits = the pots collected = pots paid + arrears netted;
- every money movement the circle decided is on the member's wallet exactly once, of that
  amount (the reactors' own rule, `functions.reactors.circles._moves`, says which), and no
  wallet movement names the circle without a decision behind it;
- once it ended: its movements sum to zero and none of its holds keeps anything;
- a contribution or tier paid on a rail is settled once, for a succeeded
  `circle_contribution` or `tier` payment of that member and amount: credited on their
  wallet, or (a tier) bought on their `tier-` stream under the payment's reference.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from events import Event, Money, decode
from events.circles import (
    ArrearsPaid,
    CircleEnded,
    ContributionReceived,
    ContributionReturned,
    DefaultCovered,
    PotPaid,
)
from events.payments import PaymentSucceeded
from events.tiers import TierBought
from events.wallet import WalletCredited, WalletDebited, WalletHeld, WalletReleased
from functions.domain import references, tiers, wallet
from functions.domain.circle_payments import CREDIT_REASON
from functions.reactors.circles import moves_of
from functions.runtime.ports import EventStore

Found = list[tuple[str, str]]
Movement = tuple[str, str, int]  # (wallet stream, reference, signed amount)


def circle_problems(store: EventStore) -> Found:
    moved, holds = _wallets(store)
    found: Found = rail_payment_problems(store)
    for stream in store.streams("circle"):
        circle = stream.split("-", 1)[1]
        events = [decode(e) for e in store.load(stream)]
        found += [(stream, what) for what in _sums(events)]
        expected = Counter(_expected(circle, events))
        actual = Counter(m for m in moved if _names(m[1], circle))
        for movement in (expected - actual) + (actual - expected):
            why = "decided, not on the wallet" if expected[movement] else "not decided"
            found.append((movement[0], f"{movement[1]} {movement[2]:+d}: {why}"))
        if any(isinstance(e, CircleEnded) for e in events):
            if sum(m[2] for m in actual.elements()):
                found.append((stream, "ended, but its wallet movements do not sum to zero"))
            kept = [r for r, a in holds.items() if a and f"circle-deposit:{circle}:" in r]
            found += [(stream, f"ended, but hold {r} still keeps money") for r in kept]
    return found


def rail_payment_problems(store: EventStore) -> Found:
    paid: dict[str, PaymentSucceeded] = {}
    for stream in store.streams("payment"):
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, PaymentSucceeded) and event.purpose in RAIL_PURPOSES:
                paid[references.payment(event.payment_id)] = event
    seen: Counter[str] = Counter()
    found: Found = []
    for stream, reference, amount in _settlements(store):
        seen[reference] += 1
        payment = paid.get(reference)
        if payment is None or payment.paid != amount or _owner_stream(payment, stream) != stream:
            found.append((stream, f"{reference} settles no such succeeded payment"))
    found += [(r, f"settled {n} times") for r, n in seen.items() if n > 1]
    found += [(r, "succeeded but never settled") for r in paid.keys() - seen.keys()]
    return found


RAIL_PURPOSES = frozenset({"circle_contribution", "tier"})


def _settlements(store: EventStore) -> list[tuple[str, str, Money]]:
    """(stream, payment reference, amount) of every credit or tier a rail payment made."""
    found = []
    for stream in store.streams("wallet"):
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, WalletCredited) and event.reason == CREDIT_REASON:
                found.append((stream, event.reference, event.amount))
    for stream in store.streams("tier"):
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, TierBought) and event.reference.startswith("payment:"):
                found.append((stream, event.reference, event.price))
    return found


def _owner_stream(payment: PaymentSucceeded, stream: str) -> str:
    if stream.startswith("tier-"):
        return tiers.stream_of(payment.user_id)
    return wallet.stream_of(payment.user_id)


def _names(reference: str, circle: str) -> bool:
    """Whether a wallet movement's reference is this circle's (not a tier's, say)."""
    parts = reference.removeprefix("circle-return:").split(":")
    return parts[0].startswith("circle-") and parts[0] != "circle-tier" and parts[1:2] == [circle]


def _wallets(store: EventStore) -> tuple[list[Movement], dict[str, int]]:
    moved: list[Movement] = []
    holds: dict[str, int] = defaultdict(int)
    for stream in store.streams("wallet"):
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, WalletCredited | WalletDebited):
                sign = 1 if isinstance(event, WalletCredited) else -1
                moved.append((stream, event.reference, sign * event.amount.amount))
            elif isinstance(event, WalletHeld):
                holds[event.reference] += event.amount.amount
            elif isinstance(event, WalletReleased):
                holds[event.hold_reference] -= event.amount.amount
    return moved, holds


def _expected(circle: str, events: list[Event]) -> list[Movement]:
    found: list[Movement] = []
    for event in events:
        if isinstance(event, ContributionReceived | ContributionReturned):
            found.append((wallet.stream_of(event.member_id), event.reference, -event.amount.amount))
        for user, command in moves_of(circle, event):
            if isinstance(command, wallet.Credit):
                found.append((wallet.stream_of(user), command.reference, command.amount.amount))
            elif isinstance(command, wallet.Capture):
                found.append((wallet.stream_of(user), command.reference, -command.amount.amount))
    return found


def _sums(events: list[Event]) -> list[str]:
    contributions = sum(e.amount.amount for e in events if isinstance(e, ContributionReceived))
    seized = sum(e.seized.amount for e in events if isinstance(e, DefaultCovered))
    pots = [e for e in events if isinstance(e, PotPaid)]
    collected = sum(p.collected.amount for p in pots)
    netted = sum(
        e.amount.amount for e in events if isinstance(e, ArrearsPaid) and e.source == "pot"
    )
    problems = []
    ended = any(isinstance(e, CircleEnded) for e in events)
    if ended and contributions + seized != collected:
        problems.append(f"contributions {contributions} + seized {seized} != pots {collected}")
    if sum(p.paid.amount for p in pots) + netted != collected:
        problems.append("pots paid + arrears netted != pots collected")
    return problems
