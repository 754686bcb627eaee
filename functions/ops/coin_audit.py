"""The ledger audit's crypto part: every crypto credit traces to exactly one on-chain output,
valued at a rate the update-rates job recorded (functions/ops/ledger.py runs it).

Checks: an output (`txid:vout` of a coin) is seen on one address once; its value is
floor(amount x recorded rate / 10^8); it is credited at most once, never as dust, with the
value, amount and rate it was seen with; every succeeded payment on a coin's rail names one
credited output of its user and is worth exactly its value; every credited output's payment
succeeded.
"""

from __future__ import annotations

from collections import Counter

from events import decode
from events.coins import Coin, OutputCredited, OutputSeen, Rate, RateRecorded
from events.payments import PaymentSucceeded
from functions.domain.coinaddress import payment_id_of, value_of
from functions.reactors.coin_deposits import reference
from functions.runtime.ports import EventStore

Found = list[tuple[str, str]]  # (stream, what is wrong)


def coin_problems(store: EventStore, succeeded: dict[str, PaymentSucceeded]) -> Found:
    rates = _recorded_rates(store)
    seen: dict[str, tuple[str, OutputSeen]] = {}
    credited: dict[str, OutputCredited] = {}
    times: Counter[str] = Counter()
    found: Found = []
    for stream in store.streams("coinaddress"):
        coin: Coin = "LTC" if stream.startswith("coinaddress-ltc-") else "BTC"
        for event in (decode(e) for e in store.load(stream)):
            if isinstance(event, OutputSeen):
                key = f"{coin}:{reference(event.txid, event.vout)}"
                if key in seen:
                    found.append((stream, f"output {key} seen twice"))
                seen[key] = (stream, event)
                found += [(stream, p) for p in _priced(key, event, rates)]
            elif isinstance(event, OutputCredited):
                key = f"{coin}:{reference(event.txid, event.vout)}"
                times[key] += 1
                credited[event.payment_id] = event
                found += [(stream, p) for p in _credit(key, event, seen.get(key), coin)]
    found += [(f"output {k}", f"credited {n} times") for k, n in times.items() if n > 1]
    return found + _payments(succeeded, credited)


def _recorded_rates(store: EventStore) -> set[Rate]:
    return {
        event.rate
        for stream in store.streams("coinrate")
        for event in (decode(e) for e in store.load(stream))
        if isinstance(event, RateRecorded)
    }


def _priced(key: str, event: OutputSeen, rates: set[Rate]) -> list[str]:
    if event.rate not in rates:
        return [f"output {key} is priced at a rate never recorded"]
    if event.value != value_of(event.amount, event.rate):
        return [f"output {key} is not worth floor(amount x rate)"]
    return []


def _credit(
    key: str, event: OutputCredited, seen: tuple[str, OutputSeen] | None, coin: Coin
) -> list[str]:
    if seen is None:
        return [f"credit of {key} has no output seen"]
    output = seen[1]
    if output.dust:
        return [f"dust {key} was credited"]
    if output.value != event.value or output.user_id != event.user_id:
        return [f"credit of {key} differs from the output seen"]
    named = (event.amount, event.rate)
    if named != (None, None) and named != (output.amount, output.rate):
        return [f"credit of {key} names another amount or rate than the output seen"]
    if event.payment_id != payment_id_of(coin, event.txid, event.vout):
        return [f"credit of {key} names another payment"]
    return []


def _payments(succeeded: dict[str, PaymentSucceeded], credited: dict[str, OutputCredited]) -> Found:
    found: Found = []
    on_chain = {p for p in succeeded.values() if p.payment_id in credited or _coin_ref(p)}
    for payment in on_chain:
        output = credited.get(payment.payment_id)
        where = f"payment-{payment.payment_id}"
        if output is None:
            found.append((where, "a crypto payment succeeded without a credited output"))
        elif (payment.paid, payment.user_id) != (output.value, output.user_id):
            found.append((where, "a crypto payment differs from its output"))
        elif payment.provider_ref != reference(output.txid, output.vout):
            found.append((where, "a crypto payment names another output"))
    for payment_id in credited.keys() - succeeded.keys():
        found.append((f"payment-{payment_id}", "a credited output's payment never succeeded"))
    return found


def _coin_ref(payment: PaymentSucceeded) -> bool:
    """A payment naming an output (`<64 hex>:<n>`), wherever its rail is recorded."""
    ref = payment.provider_ref or ""
    txid, _, vout = ref.partition(":")
    return len(txid) == 64 and vout.isdigit()
