"""NOWPayments IPNs: both signature renderings, malformed bodies, statuses, exact amounts,
the value of what arrived, and the callback URL the payment core gives an invoice."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import Money
from functions.payments.callbacks import Addressed, address, callback_url
from functions.providers.base import BadCallback, Unauthorized
from functions.providers.nowpayments import ipn
from functions.providers.nowpayments.rail import NowPaymentsRail, NowPaymentsSettings
from functions.providers.nowpayments.sig import js_number, render_js, render_python
from tests.fakes.nowpayments import FakeNowPayments

pytestmark = pytest.mark.unit

API_KEY = "np-api-key-7f3c9e"
IPN_SECRET = "np-ipn-secret-b81d44"
# 15.0, 1e-7 and non-ASCII text: where Python's and JavaScript's renderings differ.
AWKWARD = (
    '{"payment_id": 5077125051, "payment_status": "finished", "order_id": "pay-1", '
    '"price_amount": 15.0, "price_currency": "usd", "pay_amount": 1e-7, '
    '"actually_paid": 1e-7, "pay_currency": "btc", "parent_payment_id": null, '
    '"order_description": "Café ☕ заказ", "fee": {"serviceFee": 15.0, "depositFee": 0}}'
).encode()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeNowPayments]:
    with FakeNowPayments(API_KEY, IPN_SECRET) as running:
        yield running


@pytest.fixture(scope="module")
def rail() -> NowPaymentsRail:
    return NowPaymentsRail(NowPaymentsSettings(api_key=API_KEY, ipn_secret=IPN_SECRET))


def doc(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = json.loads(AWKWARD)
    base.update(changes)
    return {k: v for k, v in base.items() if v != "<drop>"}


def signed(fake: FakeNowPayments, body: dict[str, Any] | bytes) -> tuple[dict[str, str], bytes]:
    """The (headers, body) of a correctly signed IPN."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return fake.sign_body(data), data


# -- signatures ------------------------------------------------------------------------------


def test_renderings_differ_as_the_reference_says() -> None:
    value = json.loads(AWKWARD)
    assert render_python(value).startswith(
        '{"actually_paid":1e-07,"fee":{"depositFee":0,"serviceFee":15.0},"order_description":'
        '"Caf\\u00e9 \\u2615 \\u0437\\u0430\\u043a\\u0430\\u0437","order_id":"pay-1"'
    )
    assert render_js(value) == (
        '{"actually_paid":1e-7,"fee":{"depositFee":0,"serviceFee":15},"order_description":'
        '"Café ☕ заказ","order_id":"pay-1","parent_payment_id":null,"pay_amount":1e-7,'
        '"pay_currency":"btc","payment_id":5077125051,"payment_status":"finished",'
        '"price_amount":15,"price_currency":"usd"}'
    )


@pytest.mark.parametrize("rendering", ["python", "js"])
def test_either_rendering_is_accepted(
    fake: FakeNowPayments, rail: NowPaymentsRail, rendering: Any
) -> None:
    headers = fake.sign_body(AWKWARD, rendering)
    report = rail.read_callback("", headers, AWKWARD)
    assert (report.status, report.verified, report.paid) == (
        "succeeded",
        True,
        Money.of_minor(1500, "USD"),
    )
    assert fake.sign_body(AWKWARD, "python") != fake.sign_body(AWKWARD, "js")


def test_signature_header_name_is_case_insensitive(
    fake: FakeNowPayments, rail: NowPaymentsRail
) -> None:
    sig = fake.sign_body(AWKWARD, "js")["x-nowpayments-sig"]
    assert rail.read_callback("", {"X-NOWPayments-Sig": sig}, AWKWARD).raw_status == "finished"
    with pytest.raises(Unauthorized, match="wrong"):
        rail.read_callback("", {"x-nowpayments-sig": sig[:-2] + "00"}, AWKWARD)
    with pytest.raises(Unauthorized, match="missing"):
        rail.read_callback("", {}, AWKWARD)


def test_tampered_amount_no_longer_matches(fake: FakeNowPayments, rail: NowPaymentsRail) -> None:
    headers = fake.sign_body(AWKWARD, "js")
    with pytest.raises(Unauthorized) as refused:
        rail.read_callback("", headers, AWKWARD.replace(b"15.0,", b"1500.0,", 1))
    assert IPN_SECRET not in str(refused.value)
    assert API_KEY not in repr(refused.value)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_rendering_matches_node() -> None:
    values = [15.0, 1e-7, 1e21, 1e-6, 123e-20, 5e-324, 0.1 + 0.2, -0.0, 2.0**70, 1.5e300]
    value = {"n": values, "s": 'é\u2028\x01"\\😀', "10": 1, "9": 2, "b": {"😀": 1, "\uffff": 2}}
    script = (
        "const s=o=>Array.isArray(o)?o.map(s):(o&&typeof o==='object')?Object.keys(o).sort()"
        ".reduce((r,k)=>(r[k]=s(o[k]),r),{}):o;process.stdout.write(JSON.stringify("
        "s(JSON.parse(require('fs').readFileSync(0,'utf8')))))"
    )
    node = subprocess.run(
        ["node", "-e", script], input=json.dumps(value), capture_output=True, text=True, check=True
    )
    assert render_js(value) == node.stdout
    assert [js_number(v) for v in (1e21, 1e-7, 123e-20, 2.0**60)] == [
        "1e+21",
        "1e-7",
        "1.23e-18",
        "1152921504606847000",
    ]


# -- malformed bodies ------------------------------------------------------------------------

MALFORMED = [
    *[doc(**{field: "<drop>"}) for field in ipn.REQUIRED],
    doc(payment_id=None),
    doc(payment_id=True),
    doc(payment_id=1.5),
    doc(order_id={"id": 1}),
    doc(payment_status="chargeback"),
    doc(payment_status=3),
    doc(price_amount="ten"),
    doc(price_amount=-1),
    doc(price_amount=True),
    doc(price_amount="10.505"),  # more decimals than USD has: rejected, never rounded
    doc(price_amount="1e2"),
    doc(price_currency="xyz"),
    doc(price_currency=""),
    doc(actually_paid="lots"),
    doc(pay_currency=7),
    doc(pay_amount="-1"),
    doc(invoice_id=True),
    doc(invoice_id=""),
    doc(invoice_id={"id": 1}),
    doc(invoice_id=1.5),
    [1, 2, 3],
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_bodies_are_bad_callbacks(
    fake: FakeNowPayments, rail: NowPaymentsRail, body: Any
) -> None:
    with pytest.raises(BadCallback):
        rail.read_callback("", *signed(fake, json.dumps(body).encode()))


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b'{"a": NaN}', b" " * (64 * 1024 + 1)])
def test_unparseable_or_huge_bodies_are_bad_callbacks(rail: NowPaymentsRail, body: bytes) -> None:
    with pytest.raises(BadCallback):
        rail.read_callback("", {"x-nowpayments-sig": "ab" * 64}, body)


# -- mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "status"), list(ipn.STATUSES.items()))
def test_every_status_is_mapped(
    fake: FakeNowPayments, rail: NowPaymentsRail, raw: str, status: str
) -> None:
    report = rail.read_callback("", *signed(fake, doc(payment_status=raw)))
    assert (report.status, report.raw_status) == (status, raw)
    partial = ":0.0000001" if raw == "partially_paid" else ""  # actually_paid 1e-7
    assert report.idempotency_key == f"nowpayments:5077125051:{raw}{partial}"
    # No invoice_id in this IPN: it names no invoice; the payment id is the money's own id.
    assert (report.payment_id, report.provider_ref, report.transfer_ref) == (
        "pay-1",
        None,
        "5077125051",
    )
    # Paid in full (actually_paid == pay_amount), but only a payment says what arrived.
    arrived = status in {"succeeded", "partially_paid"}
    assert report.paid == (Money.of_minor(1500, "USD") if arrived else None)


@pytest.mark.parametrize("invoice_id", [4522625843, "4522625843", " 4522625843 "])
def test_the_invoice_id_is_the_provider_ref_and_the_payment_id_the_transfer_ref(
    fake: FakeNowPayments, rail: NowPaymentsRail, invoice_id: object
) -> None:
    report = rail.read_callback("", *signed(fake, doc(invoice_id=invoice_id)))
    assert (report.provider_ref, report.transfer_ref) == ("4522625843", "5077125051")
    assert report.idempotency_key == "nowpayments:5077125051:finished"  # per movement of money


def test_ids_as_strings_amounts_as_strings_and_parents(
    fake: FakeNowPayments, rail: NowPaymentsRail
) -> None:
    body = doc(payment_id="77", order_id=123, price_amount="10.5", parent_payment_id="76")
    report = rail.read_callback("", *signed(fake, body))
    assert (report.transfer_ref, report.provider_ref, report.payment_id) == ("77", None, "123")
    assert report.paid == Money.of_minor(1050, "USD")
    assert report.repeat_deposit


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"actually_paid": 0.00000009}, "partially_paid"),
        ({"actually_paid": "0.0000001"}, "succeeded"),
        ({"actually_paid": 0.0000002}, "succeeded"),  # overpaid is still paid
        ({"pay_amount": "<drop>"}, "partially_paid"),  # cannot show it was paid in full
    ],
)
def test_finished_but_underpaid_is_partially_paid(
    fake: FakeNowPayments, rail: NowPaymentsRail, changes: dict[str, Any], status: str
) -> None:
    assert rail.read_callback("", *signed(fake, doc(**changes))).status == status


# -- what arrived: the share of the price that actually_paid is of pay_amount ---------------


def priced(raw: str, price: str, due: Any, paid: str, code: str = "usd") -> dict[str, Any]:
    return doc(
        payment_status=raw,
        price_amount=price,
        price_currency=code,
        pay_amount=due,
        actually_paid=paid,
    )


@pytest.mark.parametrize(
    ("body", "status", "minor"),
    [
        pytest.param(priced("partially_paid", "15.00", "0.0002", "0.0001"), "partially_paid", 750,
                     id="half-paid-is-half-the-price"),
        pytest.param(priced("finished", "15.00", "0.0002", "0.0001"), "partially_paid", 750,
                     id="finished-but-half-paid"),
        pytest.param(priced("partially_paid", "10.00", "0.0003", "0.0001"), "partially_paid", 333,
                     id="a-third-rounds-down"),
        pytest.param(priced("partially_paid", "10.00", "0.0003", "0.0002"), "partially_paid", 666,
                     id="two-thirds-rounds-down-not-to-nearest"),
        pytest.param(priced("partially_paid", "10000", "0.0003", "0.0001", "ugx"),
                     "partially_paid", 3333, id="in-the-price-currency-minor-units"),
        pytest.param(priced("partially_paid", "10.00", "0.0003", "0"), "partially_paid", 0,
                     id="nothing-arrived-is-worth-nothing"),
        pytest.param(priced("finished", "10.00", "0.0003", "0.0003"), "succeeded", 1000,
                     id="paid-exactly"),
        pytest.param(priced("finished", "10.00", "0.0003", "0.0009"), "succeeded", 1000,
                     id="overpaid-is-the-price"),
        pytest.param(priced("partially_paid", "10.00", "0.0003", "0.0004"), "partially_paid",
                     1000, id="partially-paid-status-but-enough-arrived"),
        pytest.param(priced("finished", "10.00", "<drop>", "0.0003"), "partially_paid", None,
                     id="no-pay-amount-is-unknown"),
        pytest.param(priced("finished", "10.00", None, "0.0003"), "partially_paid", None,
                     id="null-pay-amount-is-unknown"),
        pytest.param(priced("finished", "10.00", "0", "0.0003"), "partially_paid", None,
                     id="zero-pay-amount-is-unknown"),
        pytest.param(priced("partially_paid", "10.00", "<drop>", "0.0001"), "partially_paid",
                     None, id="partially-paid-without-pay-amount"),
        pytest.param(priced("confirming", "10.00", "0.0003", "0.0003"), "pending", None,
                     id="a-pending-payment-reports-no-amount"),
        pytest.param(priced("failed", "10.00", "0.0003", "0.0001"), "failed", None,
                     id="a-failed-payment-reports-no-amount"),
        pytest.param(priced("refunded", "10.00", "0.0003", "0.0003"), "refunded", None,
                     id="a-refund-reports-no-amount"),
    ],
)  # fmt: skip
def test_paid_is_the_value_of_what_arrived(
    fake: FakeNowPayments,
    rail: NowPaymentsRail,
    body: dict[str, Any],
    status: str,
    minor: int | None,
) -> None:
    report = rail.read_callback("", *signed(fake, body))
    assert report.status == status
    code = str(body["price_currency"]).upper()
    assert report.paid == (None if minor is None else Money.of_minor(minor, code))


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=1, max_value=10**12),
    st.integers(min_value=0, max_value=2 * 10**12),
    st.integers(min_value=0, max_value=18),
)
def test_the_value_never_exceeds_what_arrived_nor_the_price(
    price_minor: int, due_units: int, paid_units: int, scale: int
) -> None:
    price = Money.of_minor(price_minor, "USD")
    due, paid = Decimal(due_units).scaleb(-scale), Decimal(paid_units).scaleb(-scale)
    value = ipn.arrived_value(price, paid, due)
    assert value is not None
    assert value.currency == "USD"
    share = Fraction(price_minor) * Fraction(paid_units, due_units)  # exact, no Decimal
    assert value.amount == min(price_minor, int(share))  # floor: never more than arrived
    assert ipn.arrived_value(price, paid, None) is None


@pytest.mark.parametrize(
    ("value", "code", "minor"),
    [
        ("10.5", "USD", 1050),
        (Decimal("10.50"), "USD", 1050),
        (10, "USD", 1000),
        (Decimal("1e-7"), "BTC", 10),
        (Decimal("1.05E-5"), "BTC", 1050),
        (Decimal("0.1000000000000000000000000000001000"), "BTC", None),
        ("0", "USD", 0),
    ],
)
def test_amounts_are_exact(value: Any, code: str, minor: int | None) -> None:
    if minor is None:
        with pytest.raises(ipn.Malformed, match="decimals"):
            ipn.to_minor(ipn.amount(value, "x"), code, "x")
    else:
        assert ipn.to_minor(ipn.amount(value, "x"), code, "x") == minor


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["USD", "BTC", "UGX"]))
def test_the_decimal_string_sent_parses_back_to_the_same_money(minor: int, code: str) -> None:
    text = ipn.decimal_text(minor, code)
    assert "e" not in text.lower()
    assert ipn.to_minor(ipn.amount(text, "price_amount"), code, "price_amount") == minor


# -- the callback URL: per payment, built and checked by the payment core ---------------------


def expected_token(key: str, payment_id: str, rail: str = "nowpayments") -> str:
    """HMAC-SHA256 of "soko-callback:<rail>:<payment id>", 32 hex characters."""
    message = f"soko-callback:{rail}:{payment_id}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def test_the_callback_url_names_the_payment_and_a_token_under_the_ipn_secret(
    rail: NowPaymentsRail,
) -> None:
    assert (rail.callback_scope, rail.signed) == ("payment", True)
    assert rail.callback_key() == IPN_SECRET
    with pytest.raises(NotImplementedError):
        rail.callback_path("pay-1")
    url = callback_url("https://soko.example", rail, "pay-1")
    token = expected_token(IPN_SECRET, "pay-1")
    assert url == f"https://soko.example/payments/nowpayments/pay-1/{token}"
    assert IPN_SECRET not in url
    assert address(rail, f"pay-1/{token}") == Addressed("pay-1", "pay-1")


def test_a_tokenless_path_is_accepted_because_ipns_are_signed(
    fake: FakeNowPayments, rail: NowPaymentsRail
) -> None:
    # Invoices created before tokens call back on /payments/nowpayments/<payment id>.
    addressed = address(rail, "pay-1")
    assert addressed == Addressed("pay-1", "pay-1")
    assert address(rail, "/pay-1/") == Addressed("pay-1", "pay-1")
    headers, body = signed(fake, doc())
    assert rail.read_callback(addressed.rest, headers, body).payment_id == "pay-1"
    with pytest.raises(Unauthorized, match="missing signature"):
        rail.read_callback(addressed.rest, {}, body)  # the signature is what authenticates it
    with pytest.raises(BadCallback, match="callback URL"):
        rail.read_callback(address(rail, "pay-2").rest, headers, body)  # signed for pay-1


@pytest.mark.parametrize(
    "rest",
    [
        pytest.param(f"pay-1/{'0' * 32}", id="zeros"),
        pytest.param(f"pay-1/{expected_token(IPN_SECRET, 'pay-2')}", id="another-payments"),
        pytest.param(f"pay-1/{expected_token(IPN_SECRET, 'pay-1', 'mpesa')}", id="another-rails"),
        pytest.param(f"pay-1/{expected_token('other', 'pay-1')}", id="another-key"),
        pytest.param(f"pay-1/{expected_token(IPN_SECRET, 'pay-1')}/x", id="extra-segment"),
        pytest.param(f"pay 1/{expected_token(IPN_SECRET, 'pay 1')}", id="not-a-payment-id"),
        pytest.param("", id="no-payment"),
    ],
)
def test_a_wrong_token_is_unauthorized_even_for_a_signed_rail(
    rail: NowPaymentsRail, rest: str
) -> None:
    with pytest.raises(Unauthorized) as caught:
        address(rail, rest)
    assert IPN_SECRET not in str(caught.value)


def test_an_unconfigured_ipn_secret_accepts_nothing(fake: FakeNowPayments) -> None:
    rail = NowPaymentsRail(NowPaymentsSettings(api_key=API_KEY))
    headers, body = signed(fake, doc())
    with pytest.raises(Unauthorized):
        address(rail, f"pay-1/{expected_token('', 'pay-1')}")
    with pytest.raises(Unauthorized):
        address(rail, f"pay-1/{expected_token(IPN_SECRET, 'pay-1')}")
    tokenless = address(rail, "pay-1")  # routed, but only a verified signature is accepted
    with pytest.raises(Unauthorized, match="not configured"):
        rail.read_callback(tokenless.rest, headers, body)
