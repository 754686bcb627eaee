"""Each non-dust output to a deposit address is a payment of its own, on the coin's rail
(`btc`, `ltc`): opened pending when the output is seen, succeeded when it is credited,
failed when it is dropped. The wallet is then credited by `credit_deposit`, as for every
rail, so the wallet's once-per-reference rule and the ledger audit hold for crypto too.

Every reaction opens the payment first (a no-op when it is open), so a credit delivered
before the sighting still credits, and a drop delivered after the credit changes nothing
(the payment refuses `failed` once succeeded).
"""

from __future__ import annotations

from collections.abc import Sequence

from events import Envelope, Money, decode
from events.coins import OutputCredited, OutputDropped, OutputSeen
from functions.domain import payments
from functions.domain.coinaddress import payment_id_of
from functions.domain.reports import Report
from functions.reactors.base import Reaction, Reactor


def rail_of(envelope: Envelope) -> str:
    """`btc` for `coinaddress-btc-<account>-<index>`: the payment's rail."""
    return envelope.aggregate_id.split("-", 1)[0]


def reference(txid: str, vout: int) -> str:
    """The output's id: the payment's provider reference and transfer reference."""
    return f"{txid}:{vout}"


def react(envelope: Envelope) -> Sequence[Reaction]:
    event = decode(envelope)
    rail = rail_of(envelope)
    match event:
        case OutputSeen(dust=False):
            return _opened(rail, event.txid, event.vout, event.user_id, event.value)
        case OutputCredited():
            opened = _opened(rail, event.txid, event.vout, event.user_id, event.value)
            said = f"{event.confirmations} confirmations"
            return [*opened, _report(opened[0].stream, event, "succeeded", event.value, said)]
        case OutputDropped():
            opened = _opened(rail, event.txid, event.vout, event.user_id, event.value)
            return [*opened, _report(opened[0].stream, event, "failed", None, event.reason)]
    return []


def _opened(rail: str, txid: str, vout: int, user_id: int, value: Money) -> list[Reaction]:
    payment_id = payment_id_of("BTC" if rail == "btc" else "LTC", txid, vout)
    stream = payments.stream_of(payment_id)
    request = payments.Request(payment_id, user_id, "wallet_deposit", value, rail)
    started = payments.MarkStarted(provider_ref=reference(txid, vout))
    return [
        Reaction(payments.payments, stream, request),
        Reaction(payments.payments, stream, started),
    ]


def _report(
    stream: str,
    event: OutputCredited | OutputDropped,
    status: str,
    paid: Money | None,
    said: str,
) -> Reaction:
    ref = reference(event.txid, event.vout)
    report = Report(
        event.payment_id,
        "succeeded" if status == "succeeded" else "failed",
        provider_ref=ref,
        paid=paid,
        receipt=event.txid,
        raw_status=said,
        verified=True,  # our own reading of the chain, as a status query is
        transfer_ref=ref,
    )
    return Reaction(payments.payments, stream, payments.Apply(report, "query"))


coin_deposits = Reactor(
    name="coin-deposits",
    category="coinaddress",
    react=react,
    reacts_to=frozenset({OutputSeen.type_name, OutputCredited.type_name, OutputDropped.type_name}),
)
