"""The mobile-money rails' wire rules, as pure functions: reference ids, amounts, hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from decimal import Decimal

import pytest

from events import Money
from functions.providers.airtel import wire as airtel
from functions.providers.base import BadCallback, ProviderRefused
from functions.providers.flutterwave import wire as flutterwave
from functions.providers.mtnmomo import wire as mtn

pytestmark = pytest.mark.unit


def test_mtns_reference_id_is_a_uuid4_fixed_per_payment_and_distinct_between_payments() -> None:
    first = mtn.reference_id("0123456789ab")
    assert uuid.UUID(first).version == 4
    assert mtn.reference_id("0123456789ab") == first
    assert mtn.reference_id("0123456789ac") != first


@pytest.mark.parametrize(
    ("money", "text"),
    [(Money(amount=5000, currency="UGX"), "5000"), (Money(amount=1505, currency="EUR"), "15.05"),
     (Money(amount=100, currency="GHS"), "1.00")],
)  # fmt: skip
def test_mtn_amounts_are_decimal_strings_and_read_back_exactly(money: Money, text: str) -> None:
    assert mtn.amount_text(money) == text
    assert mtn.money_of(text, money.currency) == money


@pytest.mark.parametrize("value", ["1.5", "abc", "-3", "0", True, None, "1e400"])
def test_an_mtn_amount_that_is_not_a_whole_minor_amount_reads_as_nothing(value: object) -> None:
    assert mtn.money_of(value, "UGX") is None


def test_mtn_failures_nobody_answered_in_time_are_expiries() -> None:
    assert mtn.status_of("FAILED", "COULD_NOT_PERFORM_TRANSACTION") == "expired"
    assert mtn.status_of("FAILED", "NOT_ENOUGH_FUNDS") == "failed"
    assert mtn.status_of("SUCCESSFUL", "") == "succeeded"
    assert mtn.status_of("WHATEVER", "") is None
    assert mtn.reason_of({"code": "PAYER_NOT_FOUND", "message": "x"}) == "PAYER_NOT_FOUND"


def test_airtel_accepts_the_hash_of_either_serialisation_of_the_transaction() -> None:
    transaction = {"id": "p1", "message": "ok", "status_code": "TS"}
    for form in (json.dumps(transaction), json.dumps(transaction, separators=(",", ":"))):
        mac = hmac.new(b"key", form.encode(), hashlib.sha256).digest()
        assert base64.b64encode(mac).decode() in airtel.callback_hashes("key", transaction)
    assert airtel.sign("key", transaction) in airtel.callback_hashes("key", transaction)
    assert airtel.sign("other", transaction) not in airtel.callback_hashes("key", transaction)


def test_airtel_takes_whole_units_and_its_statuses_map_ta_and_tip_to_pending() -> None:
    assert airtel.whole_units(Money(amount=5000, currency="ZMW")) == 50
    with pytest.raises(ProviderRefused):
        airtel.whole_units(Money(amount=5050, currency="ZMW"))
    assert {code: airtel.STATUSES[code] for code in ("TA", "TIP")} == {
        "TA": "pending",
        "TIP": "pending",
    }
    with pytest.raises(BadCallback):
        airtel.load_callback(b'{"transaction": {"id": "p1", "status_code": "XX"}}')


def test_flutterwaves_signature_is_the_hash_verbatim_or_an_hmac_of_the_raw_body() -> None:
    body = b'{"event": "charge.completed"}'
    mac = base64.b64encode(hmac.new(b"h4sh", body, hashlib.sha256).digest()).decode()
    assert flutterwave.signature_ok("h4sh", {"verif-hash": "h4sh"}, body)
    assert flutterwave.signature_ok("h4sh", {"Flutterwave-Signature": mac}, body)
    assert flutterwave.signature_ok("h4sh", {"flutterwave-signature": "h4sh"}, body)
    assert not flutterwave.signature_ok("h4sh", {"verif-hash": "h4sh2"}, body)
    assert not flutterwave.signature_ok("h4sh", {"flutterwave-signature": mac}, body + b" ")
    assert not flutterwave.signature_ok("h4sh", {}, body)


def test_flutterwave_amounts_are_exact_decimals_and_whole_units_are_sent_as_numbers() -> None:
    assert flutterwave.amount_of(Decimal("1500.50"), "KES") == Money(amount=150_050, currency="KES")
    assert flutterwave.amount_of(Decimal("1500.505"), "KES") is None
    assert flutterwave.amount_of(5000, "UGX") == Money(amount=5000, currency="UGX")
    assert flutterwave.major(Money(amount=150_000, currency="KES")) == 1500
    assert flutterwave.major(Money(amount=150_050, currency="KES")) == "1500.50"
