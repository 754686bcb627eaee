"""Which rails collect from a phone: for each country and operator, the rails that serve it
in order of preference, as data. Soko offers the first one this deployment has configured
and says why; the payer may choose another.

Why these orders: an operator's own collection API (M-Pesa for Safaricom, MTN MoMo for MTN,
Airtel Money for Airtel) costs least and prompts the phone directly; Flutterwave aggregates
mobile money in most of these countries and is the fallback when the operator's own rail is
missing or down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from functions.phones.numbers import Phone

# Each country's currency (ISO 4217, exponents in events/money.py) and name.
COUNTRIES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "KE": ("KES", "Kenya"),
        "UG": ("UGX", "Uganda"),
        "TZ": ("TZS", "Tanzania"),
        "RW": ("RWF", "Rwanda"),
        "GH": ("GHS", "Ghana"),
        "ZM": ("ZMW", "Zambia"),
        "MW": ("MWK", "Malawi"),
        "NG": ("NGN", "Nigeria"),
        "CM": ("XAF", "Cameroon"),
        "CI": ("XOF", "Côte d'Ivoire"),
        "SN": ("XOF", "Senegal"),
    }
)
# (country, operator) -> rails, best first. An operator missing here has no rail.
ROUTES: Final[Mapping[tuple[str, str], tuple[str, ...]]] = MappingProxyType(
    {
        ("KE", "safaricom"): ("mpesa", "flutterwave"),
        ("KE", "airtel"): ("airtel", "flutterwave"),
        ("UG", "mtn"): ("mtnmomo", "flutterwave"),
        ("UG", "airtel"): ("airtel", "flutterwave"),
        ("TZ", "airtel"): ("airtel", "flutterwave"),
        ("TZ", "vodacom"): ("flutterwave",),
        ("TZ", "tigo"): ("flutterwave",),
        ("TZ", "halotel"): ("flutterwave",),
        ("RW", "mtn"): ("mtnmomo", "flutterwave"),
        ("RW", "airtel"): ("airtel", "flutterwave"),
        ("GH", "mtn"): ("mtnmomo", "flutterwave"),
        ("GH", "telecel"): ("flutterwave",),
        ("GH", "airteltigo"): ("flutterwave",),
        ("ZM", "mtn"): ("mtnmomo", "flutterwave"),
        ("ZM", "airtel"): ("airtel", "flutterwave"),
        ("ZM", "zamtel"): ("flutterwave",),
        ("MW", "airtel"): ("airtel",),
        ("NG", "mtn"): ("flutterwave",),
        ("NG", "airtel"): ("airtel", "flutterwave"),
        ("CM", "mtn"): ("mtnmomo", "flutterwave"),
        ("CM", "orange"): ("flutterwave",),
        ("CI", "mtn"): ("mtnmomo", "flutterwave"),
        ("CI", "orange"): ("flutterwave",),
        ("CI", "moov"): ("flutterwave",),
        ("SN", "orange"): ("flutterwave",),
    }
)


@dataclass(frozen=True)
class Route:
    """Where a phone's money can come from."""

    phone: Phone
    currency: str  # the country's; "" for a country outside the table
    rails: tuple[str, ...]  # every rail serving its operator, best first

    @property
    def country(self) -> str:
        return COUNTRIES.get(self.phone.region, ("", self.phone.region))[1]


def route(phone: Phone) -> Route:
    """The phone's country currency and the rails serving its operator (maybe none)."""
    code = COUNTRIES.get(phone.region, ("", ""))[0]
    return Route(phone, code, ROUTES.get((phone.region, phone.operator), ()))


def usable(found: Route, configured: frozenset[str] | set[str]) -> tuple[str, ...]:
    """The rails of the route this deployment can collect on, best first."""
    return tuple(rail for rail in found.rails if rail in configured)
