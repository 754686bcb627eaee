"""A rail described as data: what the menus, the shop, the deployment and the local stack
need to know about a way to pay, without loading the code that talks to its provider.

Every provider is a package (`functions/providers/<rail>/`) whose `__init__` holds only its
`SPEC` and its settings class, and whose submodules hold the HTTP client, the wire format,
signatures and QR codes. Why a package and not a module with lazy imports: the registry,
`/deposit` and the shop's Pay buttons import every registered spec on every webhook
instance, and a spec module that cannot import its implementation by accident is simpler
to keep light than a heavy module whose every function remembers to import late (a test
checks it: tests/unit/test_rail_specs.py). A rail whose implementation is light anyway may
keep both in one module (tests/functions/fake_rail.py does).

Stars and manual transfers are not provider rails (no adapter, no settings of their own)
but are offered by /deposit in the same shape (functions/telegram/deposits.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import SecretStr

from events import Money
from events.money import currency
from functions.domain.decider import DomainError
from functions.runtime.env_settings import EnvSettings

if TYPE_CHECKING:
    from functions.providers.base import Rail
    from functions.runtime.bootstrap import Runtime

# What the payer types after the amount: a phone to prompt (M-Pesa), a transfer reference.
PayerGives = Literal["phone", "reference"]
SETTINGS_PREFIX = "SOKO_"


class RailSettings(EnvSettings):
    """A rail's settings, read from `SOKO_<RAIL>_*`; its SecretStr fields are its secrets."""

    def configured(self) -> bool:
        """True when every value the rail needs is set (the bot offers only these rails)."""
        raise NotImplementedError


class PacedRailSettings(RailSettings):
    """A rail whose calls wait for the deployment's quota and this instance's pace.

    Our own cautious figures: payments.md documents no rate limit for these providers.
    Raise them to what the provider grants the account (`SOKO_<RAIL>_CALLS_PER_MINUTE`).
    """

    # Calls a minute from the whole deployment (functions/providers/quota.py).
    calls_per_minute: int = 600
    # Calls a second from one instance, smoothing its bursts (functions/providers/pace.py).
    calls_per_second: float = 5.0


class AmountRefused(DomainError):
    """The rail would not take this amount: told before any provider is asked. The message
    is the English fallback; the catalogue says it from the code and facts."""

    code = "rail_amount"

    def __init__(
        self, said: str, label: str, currency_code: str, minimum: int = 0, maximum: int = 0
    ) -> None:
        super().__init__(said)
        self.label = label
        self.currency_code = currency_code
        self.minimum = minimum
        self.maximum = maximum

    def facts(self) -> dict[str, str | int | Money]:
        # Whole units of the currency ("KES 1 to 250,000"), as the payer types them.
        return {
            "rail": self.label,
            "currency": self.currency_code,
            "minimum": self.minimum,
            "maximum": self.maximum,
        }


class CentsRefused(AmountRefused):
    code = "rail_whole_units"


class BelowMinimum(AmountRefused):
    code = "rail_minimum"


class OutsideRange(AmountRefused):
    code = "rail_range"


@dataclass(frozen=True)
class Limits:
    """What the rail takes, in whole units of its currency (None: no bound of ours)."""

    minimum: int | None = None
    maximum: int | None = None
    whole_units: bool = False  # M-Pesa and QRIS take no cents

    def refusal(self, label: str, amount: Money) -> AmountRefused | None:
        """Why the rail would not take this amount; None if it would."""
        code = amount.currency
        unit = 10 ** currency(code).exponent
        if self.whole_units and amount.amount % unit:
            return CentsRefused(f"{label} takes whole {code} amounts, without cents.", label, code)
        too_low = self.minimum is not None and amount.amount < self.minimum * unit
        too_high = self.maximum is not None and amount.amount > self.maximum * unit
        if not (too_low or too_high):
            return None
        least = self.minimum or 0
        if self.maximum is None:
            return BelowMinimum(f"{label} takes at least {code} {least:,}.", label, code, least)
        said = f"{label} takes {code} {least:,} to {self.maximum:,}."
        return OutsideRange(said, label, code, least, self.maximum)


# Builds a configured rail's adapter (reading its settings itself).
AdapterFactory = Callable[["Runtime"], "Rail"]


@dataclass(frozen=True)
class RailSpec:
    """One way to pay in. `name` is what the user types, the button's data, the payment's
    rail and the callback path segment (/payments/<name>/…)."""

    name: str
    label: str  # the button's label
    currencies: tuple[str, ...]  # what it collects; amounts are typed in the first
    example: str  # the typed form, shown in usage: "/deposit mpesa 1500 0712345678"
    payer_gives: PayerGives | None = None
    pays_orders: bool = False  # offered as "Pay with …" on a held order in its currency
    limits: Limits = field(default_factory=Limits)
    # A provider rail: its settings class and its adapter factory as "module:function",
    # imported only when the rail is built (the factory's module is the heavy one).
    settings: type[RailSettings] | None = None
    adapter: str | None = None
    # What the local stack runs in place of the provider, as "module:Class" (tests/fakes).
    local_fake: str | None = None
    # Options without a provider (Stars, manual transfers): how /deposit starts one, as
    # "module:function", and when this deployment offers it.
    starter: str | None = None
    offered_when: Callable[[Runtime], bool] | None = None
    # The one currency a setting chooses (manual transfers, NOWPayments' price currency),
    # instead of `currencies`, which then only say what it is by default.
    configured_currency: Callable[[Runtime], str] | None = None

    def refusal(self, amount: Money) -> AmountRefused | None:
        """Why this rail would not take the amount (a refusal the catalogue words for the
        payer); None if it would."""
        return self.limits.refusal(self.label, amount)

    def currency_in(self, rt: Runtime) -> str:
        """The currency amounts are typed in for this deployment."""
        return self.configured_currency(rt) if self.configured_currency else self.currencies[0]

    def takes(self, rt: Runtime, money_currency: str) -> bool:
        """Whether it collects in this currency (an order's, for its Pay buttons)."""
        if self.configured_currency is not None:  # the setting wins over the default
            return money_currency == self.configured_currency(rt)
        return money_currency in self.currencies

    def configured(self) -> bool:
        """A provider rail whose settings are all present in the environment."""
        return self.settings is not None and self.settings.from_env().configured()

    def setting_names(self) -> tuple[str, ...]:
        """Every environment variable its settings read: `SOKO_MPESA_SHORTCODE`, …"""
        if self.settings is None:
            return ()
        return tuple(self.settings.env_variable(name) for name in self.settings.model_fields)

    def secret_names(self) -> tuple[str, ...]:
        """Its secrets as Settings-style names (`mpesa_passkey`, mounted at
        SOKO_MPESA_PASSKEY), the way infra/topology.py names a function's secrets."""
        if self.settings is None:
            return ()
        return tuple(
            self.settings.env_variable(name).removeprefix(SETTINGS_PREFIX).lower()
            for name, info in self.settings.model_fields.items()
            if info.annotation is SecretStr
        )
