"""The payer's side of the local stack: approve an M-Pesa prompt, scan a QRIS code, pay a
crypto invoice, by calling the fake providers' control APIs (`/_fake/...`) over HTTP.

A payment is found by its reference: the bot tells the user "... (ref <payment id>)", and
every rail carries that id to its provider (M-Pesa's AccountReference, Pakasir's and
NOWPayments' order_id). So "the latest prompt of this user" is the newest still-open
payment at the fake whose reference the user's chat shows. Secrets never pass through here:
answers are reported as HTTP statuses, never as the callback URLs that hold them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx

__all__ = ["ADDRESS", "REF", "Payer", "PayerError", "addresses_in", "refs_in"]

REF = re.compile(r"\(ref ([A-Za-z0-9_-]{1,64})\)")
MPESA_ACCOUNT_REFERENCE_MAX = 12  # Daraja keeps 12 characters of AccountReference
MPESA_CANCELLED = 1032
# The mobile-money fakes that share one control API (tests/fakes/mobile_money.py).
MOBILE_MONEY = {"mtnmomo": "MTN MoMo", "airtel": "Airtel Money", "flutterwave": "Flutterwave"}


# A deposit address the bot showed (bech32: bc1… for BTC, ltc1… for LTC).
ADDRESS = re.compile(r"\b(bc1|ltc1)[02-9ac-hj-np-z]{20,90}\b")


def addresses_in(texts: Iterable[str], coin: str) -> list[str]:
    """The coin's addresses the bot showed, oldest first."""
    prefix = "bc1" if coin == "btc" else "ltc1"
    return [m.group(0) for t in texts for m in ADDRESS.finditer(t) if m.group(1) == prefix]


class PayerError(Exception):
    """What the person at the console should be told instead of a result."""


def refs_in(texts: Iterable[str]) -> list[str]:
    """Payment references the bot mentioned, oldest first, each once (at its latest place)."""
    found: list[str] = []
    for text in texts:
        for ref in REF.findall(text):
            if ref in found:
                found.remove(ref)
            found.append(ref)
    return found


class Payer:
    """Acts as the customer on the fakes at `urls` (rail -> root URL of the fake)."""

    def __init__(self, urls: Mapping[str, str], timeout: float = 30.0) -> None:
        self.urls = {rail: url.rstrip("/") for rail, url in urls.items()}
        # Loopback only: never through a proxy from the environment.
        self._http = httpx.Client(trust_env=False, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    # -- M-Pesa -----------------------------------------------------------------------------

    def answer_mpesa(self, refs: Sequence[str], approve: bool = True) -> str:
        """Enter the PIN on (or cancel) the newest waiting STK prompt; Daraja calls back."""
        pending = self._call("mpesa", "GET", "pending")["requests"]
        wanted = {ref[:MPESA_ACCOUNT_REFERENCE_MAX]: ref for ref in refs}
        request = _newest(pending, refs, lambda r: wanted.get(str(r["account_reference"])))
        if request is None:
            raise PayerError("no M-Pesa prompt is waiting on this user's phone")
        checkout = {"checkout_id": request["checkout_id"]}
        if approve:
            self._call("mpesa", "POST", "pay", checkout)
        else:
            self._call("mpesa", "POST", "fail", {**checkout, "result_code": MPESA_CANCELLED})
        results = self._call("mpesa", "POST", "fire_callback", checkout)["results"]
        done = "paid" if approve else "cancelled"
        return (
            f"M-Pesa: {done} KES {request['amount']} on {request['phone']} "
            f"(ref {wanted[request['account_reference']]}); {_statuses('callback', results)}"
        )

    def answer_prompt(self, refs: Sequence[str], approve: bool = True) -> str:
        """Answer the newest payment prompt on this user's phone, whichever mobile-money
        rail sent it (M-Pesa, MTN MoMo): the one whose reference the chat mentioned last."""
        waiting: list[tuple[str, str]] = []  # (rail, our payment id)
        if "mpesa" in self.urls:
            wanted = {ref[:MPESA_ACCOUNT_REFERENCE_MAX]: ref for ref in refs}
            for r in self._call("mpesa", "GET", "pending")["requests"]:
                if (ref := wanted.get(str(r["account_reference"]))) is not None:
                    waiting.append(("mpesa", ref))
        for rail in MOBILE_MONEY:
            if rail in self.urls:
                listed = self._call(rail, "GET", "pending")["requests"]
                waiting += [(rail, str(r["externalId"])) for r in listed]
        newest = _newest(waiting, refs, lambda w: w[1])
        if newest is None:
            raise PayerError("no payment prompt is waiting on this user's phone")
        if newest[0] == "mpesa":
            return self.answer_mpesa(refs, approve)
        return self.answer_mobile_money(newest[0], newest[1], approve)

    def answer_mobile_money(self, rail: str, ref: str, approve: bool = True) -> str:
        """Approve (or reject) the prompt of payment `ref`; the provider calls back."""
        found = {"external_id": ref}
        answer = self._call(rail, "POST", "pay" if approve else "fail", found)["request"]
        results = self._call(rail, "POST", "callback", found)["answered"]
        done = "paid" if approve else "declined"
        return (
            f"{MOBILE_MONEY[rail]}: {done} {answer['currency']} {answer['amount']} "
            f"(ref {ref}); {_statuses('callback', results)}"
        )

    # -- Pakasir ----------------------------------------------------------------------------

    def pay_qris(self, refs: Sequence[str]) -> str:
        """Scan the newest unpaid QRIS code and pay it; Pakasir sends its webhook."""
        orders = self._call("pakasir", "GET", "pending_orders")
        order = _newest(orders, refs, lambda o: str(o["order_id"]))
        if order is None:
            raise PayerError("no unpaid QRIS code for this user")
        answer = self._call("pakasir", "POST", "pay", {"order_id": order["order_id"]})
        codes = [
            d["status"] if d["status"] is not None else d["error"] for d in answer["deliveries"]
        ]
        return (
            f"QRIS: paid IDR {order['total_payment']:,} (ref {order['order_id']}); "
            f"{_statuses('webhook', codes)}"
        )

    # -- NOWPayments ------------------------------------------------------------------------

    def pay_invoice(self, refs: Sequence[str]) -> str:
        """Pay the newest unpaid crypto invoice in full; NOWPayments sends a signed IPN for
        every status on the way (waiting, confirming, confirmed, sending, finished)."""
        invoices = self._call("nowpayments", "GET", "invoices")
        paid = {str(p["invoice_id"]) for p in self._call("nowpayments", "GET", "payments")}
        unpaid = [i for i in invoices if str(i["id"]) not in paid]
        invoice = _newest(unpaid, refs, lambda i: str(i["order_id"]))
        if invoice is None:
            raise PayerError("no unpaid crypto invoice for this user")
        answer = self._call("nowpayments", "POST", "pay", {"invoice": invoice["id"]})
        codes = [c["http_status"] for c in answer["callbacks"]]
        price = f"{invoice['price_amount']} {str(invoice['price_currency']).upper()}"
        return f"Crypto: paid {price} (ref {invoice['order_id']}); {_statuses('IPN', codes)}"

    # -- plumbing ---------------------------------------------------------------------------

    # -- crypto: a wallet that sends to the user's own address, and the miners -----------------

    def send_coin(self, coin: str, amount: str, address: str) -> str:
        """Broadcast a transaction paying `amount` (in coins: 0.001) to `address`."""
        from events.money import MoneyError, parse_money

        try:
            sats = parse_money(amount, coin.upper()).amount
        except MoneyError as err:
            raise PayerError(str(err)) from None
        txid = self._call(f"esplora-{coin}", "POST", "send", {"outputs": [[address, sats]]})["txid"]
        return f"{coin.upper()}: sent {sats:,} to {address} in {txid[:16]}… (in the mempool)"

    def mine(self, coin: str, blocks: int) -> str:
        tip = self._call(f"esplora-{coin}", "POST", "mine", {"blocks": blocks})["tip"]
        return f"{coin.upper()}: mined {blocks} block(s), tip {tip:,}"

    def _call(self, rail: str, verb: str, route: str, body: Mapping[str, Any] | None = None) -> Any:
        url = self.urls.get(rail)
        if url is None:
            raise PayerError(f"no fake {rail} in this stack")
        try:
            response = self._http.request(verb, f"{url}/_fake/{route}", json=body)
        except httpx.HTTPError as err:
            raise PayerError(f"the fake {rail} did not answer: {type(err).__name__}") from None
        if response.status_code != 200:
            raise PayerError(f"the fake {rail} refused: {_description(response)}")
        return response.json()


def _newest(items: Sequence[Any], refs: Sequence[str], ref_of: Callable[[Any], str | None]) -> Any:
    """The item whose reference the chat mentioned last; None when the chat mentions none."""
    rank = {ref: n for n, ref in enumerate(refs)}
    ranked = [(rank[ref], n, item) for n, item in enumerate(items) if (ref := ref_of(item)) in rank]
    return max(ranked, key=lambda r: (r[0], r[1]))[2] if ranked else None


def _statuses(what: str, results: Sequence[object]) -> str:
    if not results:
        return f"no {what} was sent"
    shown = ", ".join(str(r) for r in results)
    return f"{len(results)} {what}{'s' if len(results) > 1 else ''} answered {shown}"


def _description(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(data, dict):
        return str(data.get("description") or data.get("message") or response.status_code)
    return f"HTTP {response.status_code}"
