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
    ("viettel", "halotel"),  # Halotel is Viettel's brand in Tanzania
    ("yas", "tigo"),  # Tigo Tanzania's new name
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
    # Typed without a plus: dialled at home, or international without its plus
    # (256772123456); the home reading wins when both are numbers.
    readings = [text] if text.startswith("+") else [text, "+" + digits]
    number = next(
        (n for n in (_read(r, region) for r in readings) if n is not None),
        None,
    )
    if number is None:
        raise BadPhone("That is not a valid phone number.", typed)
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise BadPhone("That is not a mobile number.", typed)
    found = phonenumbers.region_code_for_number(number) or ""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164, found, operator_of(carrier.name_for_number(number, "en")))


def _read(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """A valid number from one reading of the typed text, else None."""
    if not text.startswith("+") and region is None:
        return None  # a national form with no country to dial it in
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def operator_of(carrier_name: str) -> str:
    """Our key for a carrier name of the library's ("MTN Cameroon" is "mtn")."""
    folded = carrier_name.casefold().strip()
    if folded in EXACT_NAMES:
        return EXACT_NAMES[folded]
    return next((key for name, key in OPERATOR_NAMES if name in folded), "")
