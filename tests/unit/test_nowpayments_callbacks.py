"""NOWPayments IPNs: both signature renderings, malformed bodies, statuses, exact amounts."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import Money
from functions.providers import nowpayments_ipn as ipn
from functions.providers.base import BadCallback, Unauthorized
from functions.providers.nowpayments import NowPaymentsRail, NowPaymentsSettings
from functions.providers.nowpayments_sig import js_number, render_js, render_python
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
    assert report.idempotency_key == f"nowpayments:5077125051:{raw}"
    assert (report.payment_id, report.provider_ref) == ("pay-1", "5077125051")


def test_ids_as_strings_amounts_as_strings_and_parents(
    fake: FakeNowPayments, rail: NowPaymentsRail
) -> None:
    body = doc(payment_id="77", order_id=123, price_amount="10.5", parent_payment_id="76")
    report = rail.read_callback("", *signed(fake, body))
    assert (report.provider_ref, report.payment_id) == ("77", "123")
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


def test_the_callback_path_is_the_payment_id(fake: FakeNowPayments, rail: NowPaymentsRail) -> None:
    assert rail.callback_path("pay-1") == "pay-1"
    headers, body = signed(fake, doc())
    assert rail.read_callback("pay-1", headers, body).payment_id == "pay-1"
    assert rail.read_callback("", headers, body).payment_id == "pay-1"
    with pytest.raises(BadCallback, match="callback URL"):
        rail.read_callback("pay-2", headers, body)
