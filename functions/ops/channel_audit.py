"""The ledger audit's paid-channels part (functions/ops/ledger.py runs it).

Every subscription's time traces to money: each `subscription.paid.v1` names one wallet
debit `subscription:<nonce>:<purchase>` or one succeeded payment of purpose `subscription`,
of the same buyer and amount, buying the days its purchase names, and no money buys time
twice; every such debit or payment bought time. Every owner's revenue line traces to one
subscription payment of theirs: gross = what was paid, fee = floor(gross x fee_bp / 10000),
net = gross - fee, counted once; so does every donation (a debit `donation:<nonce>:<gift>`
or a succeeded payment of purpose `donation`), counted once.
"""

from __future__ import annotations

from collections import Counter

from events import Money, decode
from events.channels import RevenueEarned, SubscriptionPaid
from events.payments import PaymentSucceeded
from events.wallet import WalletDebited
from functions.domain import references, revenue, subscriptions
from functions.domain.subscriptions import Purchase
from functions.runtime.ports import EventStore

Found = list[tuple[str, str]]  # (stream, what is wrong)


def channel_problems(store: EventStore) -> Found:
    money = _money_for_time(store)
    paid, found = _time(store, money)
    found += [(f"money {ref}", "bought no subscription time") for ref in money.keys() - paid.keys()]
    owed = {ref: (p.owner_id, p.paid) for ref, p in paid.items()}
    return found + _revenue(store, owed | _donations(store))


def _donations(store: EventStore) -> dict[str, tuple[int, Money]]:
    """Every donation's money by reference: (the owner it is for, how much)."""
    found: dict[str, tuple[int, Money]] = {}
    for stream in store.streams("wallet"):
        for event in (decode(e) for e in store.load(stream)):
            gift = revenue.gift_in(event.reference) if isinstance(event, WalletDebited) else None
            if isinstance(event, WalletDebited) and gift is not None:
                found[event.reference] = (gift.owner_id, event.amount)
    for stream in store.streams("payment"):
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, PaymentSucceeded) and event.purpose == "donation":
                given = revenue.Gift.read(event.subject or "")
                if given is not None:
                    found[references.payment(event.payment_id)] = (given.owner_id, event.paid)
    return found


def _money_for_time(store: EventStore) -> dict[str, tuple[int, str, Purchase]]:
    """Every wallet debit and succeeded payment meant to buy subscription time, by the
    reference a subscription payment names: (buyer, "<currency> <amount>", purchase)."""
    found: dict[str, tuple[int, str, Purchase]] = {}
    for stream in store.streams("wallet"):
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, WalletDebited):
                purchase = subscriptions.purchase_in(event.reference)
                if purchase is not None:
                    found[event.reference] = (event.user_id, _amount(event.amount), purchase)
    for stream in store.streams("payment"):
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, PaymentSucceeded) and event.purpose == "subscription":
                purchase = Purchase.read(event.subject or "")
                if purchase is not None:
                    ref = references.payment(event.payment_id)
                    found[ref] = (event.user_id, _amount(event.paid), purchase)
    return found


def _amount(money: Money) -> str:
    return f"{money.currency} {money.amount}"


def _time(
    store: EventStore, money: dict[str, tuple[int, str, Purchase]]
) -> tuple[dict[str, SubscriptionPaid], Found]:
    paid: dict[str, SubscriptionPaid] = {}
    used: Counter[str] = Counter()
    found: Found = []
    for stream in store.streams("subscription"):
        for event in (decode(e) for e in store.load(stream)):
            if not isinstance(event, SubscriptionPaid):
                continue
            used[event.reference] += 1
            paid[event.reference] = event
            source = money.get(event.reference)
            if source is None:
                found.append((stream, f"time bought by {event.reference}, which moved no money"))
                continue
            buyer, amount, purchase = source
            bought = Purchase(event.chat_id, event.owner_id, event.plan_id, event.days)
            if (buyer, amount, purchase) != (event.user_id, _amount(event.paid), bought):
                found.append((stream, f"{event.reference} bought other time than it paid for"))
    found += [(f"money {r}", f"bought time {n} times") for r, n in used.items() if n > 1]
    return paid, found


def _revenue(store: EventStore, owed: dict[str, tuple[int, Money]]) -> Found:
    """Each revenue line against the money it counts (a subscription payment or a
    donation): that owner, that gross, the fee rounded down, once; none left uncounted."""
    found: Found = []
    counted: Counter[str] = Counter()
    for stream in store.streams("revenue"):
        for event in (decode(e) for e in store.load(stream)):
            if not isinstance(event, RevenueEarned):
                continue
            counted[event.reference] += 1
            source = owed.get(event.reference)
            fee = event.gross.percent_of(event.fee_bp)
            if source != (event.owner_id, event.gross):
                found.append((stream, f"revenue {event.reference} matches no payment of theirs"))
            elif event.fee != fee or event.net != event.gross - fee:
                found.append((stream, f"revenue {event.reference}: fee or net miscounted"))
    found += [(f"revenue {r}", f"counted {n} times") for r, n in counted.items() if n > 1]
    found += [
        (f"money {ref}", "paid, but its owner's revenue never counted it")
        for ref in owed.keys() - counted.keys()
    ]
    return found
