"""The rails this deployment can collect on: each one whose settings are all present."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from functions.providers.base import Rail
from functions.providers.token_cache import MemoryTokenCache, TokenCache, firestore_token_cache

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime


def configured_rails(rt: Runtime) -> Mapping[str, Rail]:
    """Rails by name; a rail module is imported only when its settings are present."""
    rails: dict[str, Rail] = {}
    from functions.providers.mpesa import MpesaRail, MpesaSettings
    from functions.providers.nowpayments import NowPaymentsRail, NowPaymentsSettings
    from functions.providers.pakasir import PakasirRail, PakasirSettings

    mpesa = MpesaSettings()
    if mpesa.configured():
        rails["mpesa"] = MpesaRail(mpesa, now=rt.clock.now, token_cache=_token_cache(rt))

    nowpayments = NowPaymentsSettings()
    if nowpayments.configured():
        rails["nowpayments"] = NowPaymentsRail(nowpayments)

    pakasir = PakasirSettings()
    if pakasir.configured():
        rails["pakasir"] = PakasirRail(pakasir, now=rt.clock.now)
    return rails


def _token_cache(rt: Runtime) -> TokenCache:
    """One M-Pesa token for every instance: a new token invalidates the previous one."""
    if rt.settings.backend == "firestore":
        return firestore_token_cache(rt.settings.project())
    return MemoryTokenCache()
