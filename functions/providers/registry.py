"""The rails this deployment can collect on: each one whose settings are all present."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from functions.providers.base import Rail

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime


def configured_rails(rt: Runtime) -> Mapping[str, Rail]:
    """Rails by name; a rail module is imported only when its settings are present."""
    rails: dict[str, Rail] = {}
    from functions.providers.nowpayments import NowPaymentsRail, NowPaymentsSettings
    from functions.providers.pakasir import PakasirRail, PakasirSettings

    nowpayments = NowPaymentsSettings()
    if nowpayments.configured():
        rails["nowpayments"] = NowPaymentsRail(nowpayments)

    pakasir = PakasirSettings()
    if pakasir.configured():
        rails["pakasir"] = PakasirRail(pakasir, now=rt.clock.now)
    return rails
