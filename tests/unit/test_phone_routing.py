"""Phones as payers type them, and the rails each country's operators are routed to."""

from __future__ import annotations

import pytest

from events.money import CURRENCIES
from functions.phones import routing
from functions.phones.numbers import BadPhone, parse_phone
from functions.providers import registry

pytestmark = pytest.mark.unit

# One mobile number per (country, operator) of the routing table, as dialled at home.
NUMBERS: dict[tuple[str, str], str] = {
    ("KE", "safaricom"): "0712345678",
    ("KE", "airtel"): "0733123456",
    ("UG", "mtn"): "0772123456",
    ("UG", "airtel"): "0752123456",
    ("TZ", "airtel"): "0682123456",
    ("TZ", "vodacom"): "0742123456",
    ("TZ", "tigo"): "0652123456",
    ("TZ", "halotel"): "0622123456",
    ("RW", "mtn"): "0788123456",
    ("RW", "airtel"): "0732123456",
    ("GH", "mtn"): "0241234567",
    ("GH", "telecel"): "0201234567",
    ("GH", "airteltigo"): "0561234567",
    ("ZM", "mtn"): "0961234567",
    ("ZM", "airtel"): "0971234567",
    ("ZM", "zamtel"): "0951234567",
    ("MW", "airtel"): "0991234567",
    ("NG", "mtn"): "08031234567",
    ("NG", "airtel"): "08021234567",
    ("CM", "mtn"): "677123456",
    ("CM", "orange"): "690123456",
    ("CI", "mtn"): "0512345678",
    ("CI", "orange"): "0712345678",
    ("CI", "moov"): "0112345678",
    ("SN", "orange"): "771234567",
}


def test_every_route_of_the_table_has_a_number_here_and_names_registered_rails() -> None:
    assert set(NUMBERS) == set(routing.ROUTES)
    names = {spec.name for spec in registry.specs()}
    for rails in routing.ROUTES.values():
        assert rails
        assert set(rails) <= names


def test_every_country_has_a_currency_in_the_currency_table() -> None:
    assert {code for code, _ in routing.COUNTRIES.values()} <= set(CURRENCIES)
    exponents = {code: CURRENCIES[code].exponent for code, _ in routing.COUNTRIES.values()}
    assert exponents == {
        "KES": 2, "UGX": 0, "TZS": 2, "RWF": 0, "GHS": 2, "ZMW": 2, "MWK": 2, "NGN": 2,
        "XAF": 0, "XOF": 0,
    }  # fmt: skip


@pytest.mark.parametrize(("where", "typed"), NUMBERS.items(), ids=lambda v: str(v))
def test_a_national_number_reads_as_its_country_and_operator_and_routes(
    where: tuple[str, str], typed: str
) -> None:
    country = where[0]
    phone = parse_phone(typed, country)
    assert (phone.region, phone.operator) == where
    found = routing.route(phone)
    assert found.rails == routing.ROUTES[where]
    assert found.currency == routing.COUNTRIES[country][0]
    # The same number in E.164 needs no country to be read.
    assert parse_phone(phone.e164) == phone


@pytest.mark.parametrize(
    "typed",
    ["+256772123456", "+256 772 123 456", "256772123456", "00256772123456", "0772-123-456",
     "(0772) 123456", "0772123456"],
)  # fmt: skip
def test_the_forms_a_ugandan_types_read_as_one_number(typed: str) -> None:
    phone = parse_phone(typed, "UG")
    assert phone.e164 == "+256772123456"
    assert (phone.international, phone.national, phone.country_code) == (
        "256772123456", "772123456", 256,
    )  # fmt: skip


def test_a_kenyan_number_typed_with_its_code_reads_in_a_ugandan_bot() -> None:
    assert parse_phone("254712345678", "UG").region == "KE"


@pytest.mark.parametrize(
    "typed", ["", "hello", "0772", "+1", "07721234567890123", "0414123456", "x" * 40]
)
def test_what_is_not_a_mobile_number_is_refused_with_the_text_typed(typed: str) -> None:
    with pytest.raises(BadPhone) as refused:
        parse_phone(typed, "UG")
    assert refused.value.code == "phone_invalid"
    assert refused.value.facts()["phone"] == typed.strip()[:32]


def test_a_national_number_without_a_country_to_dial_it_in_is_refused() -> None:
    with pytest.raises(BadPhone):
        parse_phone("0772123456")


def test_an_operator_no_rail_serves_routes_nowhere() -> None:
    phone = parse_phone("+447911123456")  # a UK mobile
    assert routing.route(phone).rails == ()
    assert routing.route(phone).currency == ""
    telkom = parse_phone("0771234567", "KE")  # Telkom Kenya: in no route
    assert routing.route(telkom).rails == ()


def test_only_configured_rails_of_a_route_are_usable_in_its_order() -> None:
    found = routing.route(parse_phone("0772123456", "UG"))
    assert routing.usable(found, {"flutterwave", "mtnmomo"}) == ("mtnmomo", "flutterwave")
    assert routing.usable(found, {"flutterwave"}) == ("flutterwave",)
    assert routing.usable(found, {"mpesa"}) == ()
