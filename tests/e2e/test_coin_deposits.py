"""A BTC deposit end to end on the emulator stack, through real HTTP:

/deposit btc over the Telegram webhook -> the user's address (a QR photo) -> a payment to it
on the fake chain -> watch-chain (scheduled_job) records it as seen -> two blocks -> credited
-> Pub/Sub push -> pay_coin_deposits -> credit_deposits -> the balance -> both notices, and
the ledger audit (coin part included) clean over this user's streams.
"""

from __future__ import annotations

import pytest

from infra.local.payer import Payer, addresses_in
from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually, new_user
from tests.e2e.rails import CREDITED, SUCCEEDED, credited, event_types, open_wallet

pytestmark = pytest.mark.e2e
USER = new_user()


def test_a_btc_payment_is_credited_after_two_blocks_and_the_user_is_told(
    e2e_stack: LocalStack,
) -> None:
    assert e2e_stack.run_job("update-rates").status_code == 200
    open_wallet(e2e_stack, USER)
    assert e2e_stack.telegram.send_text(USER, "/deposit btc").status == 200
    (address,) = addresses_in(e2e_stack.telegram.messages_to(USER), "btc")

    eventually(lambda: _watched(e2e_stack, address))  # the read model the job asks, pushed
    payer = Payer(e2e_stack.providers.urls)
    payer.send_coin("btc", "0.001", address)
    assert e2e_stack.run_job("watch-chain").status_code == 200
    # notify paces itself per chat and Pub/Sub backs a push off after a 429 to an earlier
    # notice: on a stack shared by the whole e2e tier the notice can take a while.
    eventually(lambda: _told(e2e_stack, "We see your payment of BTC 0.00100000"), timeout=120)
    assert credited(e2e_stack, USER, "PLN") is None  # seen, unconfirmed: nothing credited

    payer.mine("btc", 2)
    assert e2e_stack.run_job("watch-chain").status_code == 200
    assert e2e_stack.run_job("watch-chain").status_code == 200  # a second run: no second credit
    doc = eventually(lambda: credited(e2e_stack, USER, "PLN"))
    assert doc["balances"] == {"PLN": 41_234}  # floor(100,000 x 41,234,567 / 10^8)
    eventually(lambda: _told(e2e_stack, "Your deposit of PLN 412.34 was credited."), timeout=120)
    assert event_types(e2e_stack, f"wallet-{USER}").count(CREDITED) == 1
    (payment,) = [
        s
        for s in _streams(e2e_stack, "payment")
        if SUCCEEDED in event_types(e2e_stack, s) and _is_users(e2e_stack, s)
    ]
    assert event_types(e2e_stack, payment).count(SUCCEEDED) == 1
    assert _credit_rates(e2e_stack) == [41_234_567]  # the credit keeps the rate it was seen at
    assert _audit(e2e_stack, [payment]) == []  # make audit's checks, this user's streams
    payer.close()


def _mine(stack: LocalStack) -> list[str]:
    """This user's address streams (each opened for them)."""
    from events import decode
    from events.coins import CoinAddressOpened
    from functions.runtime.firestore import FirestoreEventStore, client

    store = FirestoreEventStore(client(stack.project))
    return [
        s
        for s in store.streams("coinaddress")
        if isinstance(o := decode(store.load(s)[0]), CoinAddressOpened) and o.user_id == USER
    ]


def _credit_rates(stack: LocalStack) -> list[int]:
    from events import decode
    from events.coins import OutputCredited
    from functions.runtime.firestore import FirestoreEventStore, client

    store = FirestoreEventStore(client(stack.project))
    credits = [decode(e) for s in _mine(stack) for e in store.load(s)]
    return [c.rate.minor_per_coin for c in credits if isinstance(c, OutputCredited) and c.rate]


def _audit(stack: LocalStack, payments: list[str]) -> list[object]:
    from functions.ops.ledger import audit
    from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client
    from tests.e2e.shop_http import ScopedStore

    db = client(stack.project)
    store = FirestoreEventStore(db)
    keep = {*payments, *_mine(stack), f"wallet-{USER}"}
    scoped = ScopedStore(store, lambda s: s in keep or s.startswith("coinrate-"))
    return list(audit(scoped, FirestoreReadModels(db, store)))  # type: ignore[arg-type]


def _watched(stack: LocalStack, address: str) -> bool:
    from datetime import UTC, datetime

    from functions.projections.coins import watched
    from functions.runtime.firestore import FirestoreEventStore, FirestoreReadModels, client

    db = client(stack.project)
    found = watched(FirestoreReadModels(db, FirestoreEventStore(db)), datetime.now(UTC), 100)
    return any(w.address == address for w in found)


def _told(stack: LocalStack, text: str) -> bool:
    return any(text in said for said in stack.telegram.messages_to(USER))


def _streams(stack: LocalStack, category: str) -> list[str]:
    from functions.runtime.firestore import FirestoreEventStore, client

    return FirestoreEventStore(client(stack.project)).streams(category)


def _is_users(stack: LocalStack, stream: str) -> bool:
    from events import decode
    from events.payments import PaymentRequested
    from functions.runtime.firestore import FirestoreEventStore, client

    first = decode(FirestoreEventStore(client(stack.project)).load(stream)[0])
    return isinstance(first, PaymentRequested) and first.user_id == USER and first.rail == "btc"
