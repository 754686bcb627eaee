"""A phone number as the payer typed it, read with Google's `phonenumbers` library.

E.164 (`+256772123456`), international without the plus (`256772123456`, `00256…`) and
national forms (`0772 123 456`, with spaces, dashes or brackets) are accepted; a national
form needs the country it is dialled in (`region`), which comes from the rail or from the
number the payer gave before. Only mobile numbers are accepted: mobile money is on a phone.

The operator comes from the number's prefix (the library's carrier data, which is prefix
data: a number ported to another operator keeps its old prefix, so a payer may choose
another rail). Pure: no I/O; the library is imported here only, when a phone is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import phonenumbers
from phonenumbers import PhoneNumberType, carrier

from functions.domain.decider import DomainError

MAX_TYPED: Final = 32  # longer is not a phone number: refused before parsing
MOBILE_TYPES: Final = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# The library's carrier names, folded onto the operators the routing table names.
OPERATOR_NAMES: Final = (
    ("safaricom", "safaricom"),
    ("airtel", "airtel"),
    ("mtn", "mtn"),
    ("vodacom", "vodacom"),
    ("orange", "orange"),
    ("telecel", "telecel"),
    ("vodafone", "telecel"),  # Vodafone Ghana became Telecel
    ("tigo", "tigo"),
    ("zamtel", "zamtel"),
    ("tnm", "tnm"),
    ("moov", "moov"),
    ("glo", "glo"),
    ("9mobile", "9mobile"),
    ("halotel", "halotel"),
)

EXACT_NAMES: Final = {"at": "airteltigo"}  # AirtelTigo Ghana, too short to match inside


class BadPhone(DomainError):
    """What the payer typed is not a mobile number we can read."""

    code = "phone_invalid"

    def __init__(self, said: str, typed: str) -> None:
        super().__init__(said)
        self.typed = typed[:MAX_TYPED]

    def facts(self) -> dict[str, str | int]:  # type: ignore[override]
        return {"phone": self.typed}


@dataclass(frozen=True)
class Phone:
    """A valid mobile number: `e164` is how it is stored and remembered."""

    e164: str  # +256772123456
    region: str  # ISO 3166 alpha-2: UG
    operator: str  # our operator key ("mtn", "airtel", "safaricom"), "" when unknown

    @property
    def international(self) -> str:
        """Digits with the country code, no plus: MTN's and Flutterwave's MSISDN."""
        return self.e164.removeprefix("+")

    @property
    def national(self) -> str:
        """Digits without the country code or a trunk zero: Airtel's msisdn."""
        number = phonenumbers.parse(self.e164)
        return str(number.national_number)

    @property
    def country_code(self) -> int:
        return int(phonenumbers.parse(self.e164).country_code or 0)


def parse_phone(typed: str, region: str | None = None) -> Phone:
    """The mobile number typed (national forms dialled in `region`); BadPhone otherwise."""
    text = (typed or "").strip()
    if not text or len(text) > MAX_TYPED:
        raise BadPhone("That is not a phone number.", text)
    digits = "".join(c for c in text if c.isdigit())
    if text.startswith("00"):
        text = "+" + digits[2:]
    elif not text.startswith("+") and region is None:
        text = "+" + digits  # no country to dial in: only an international number reads
    elif not text.startswith("+") and region and _has_country_code(digits, region):
        text = "+" + digits  # 256772123456 typed without its plus
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise BadPhone("That is not a phone number.", typed) from None
    if not phonenumbers.is_valid_number(number):
        raise BadPhone("That is not a valid phone number.", typed)
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise BadPhone("That is not a mobile number.", typed)
    found = phonenumbers.region_code_for_number(number) or ""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164, found, operator_of(carrier.name_for_number(number, "en")))


def _has_country_code(digits: str, region: str) -> bool:
    """Whether digits typed without a plus already start with the region's country code."""
    if not digits.startswith(str(phonenumbers.country_code_for_region(region))):
        return False
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(f"+{digits}")))
    except phonenumbers.NumberParseException:
        return False


def operator_of(carrier_name: str) -> str:
    """Our key for a carrier name of the library's ("MTN Cameroon" is "mtn")."""
    folded = carrier_name.casefold().strip()
    if folded in EXACT_NAMES:
        return EXACT_NAMES[folded]
    return next((key for name, key in OPERATOR_NAMES if name in folded), "")
