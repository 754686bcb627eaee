"""Airtel Money Collections: USSD push, status enquiry, callback.

The push is sent once (`creates`): whether Airtel would refuse a second one with the same
transaction id is not documented, so a reply that did not come back is OutcomeUnknown and
an enquiry settles it. The callback comes to one URL per Airtel app (rail-scoped: an
unguessable secret in its path); with callback authentication on, its `hash` must match.
Either way it is a hint: the payment webhook asks the enquiry API about our transaction id.
`expires_in` may be a string and short ("180"): the shared token is refreshed early.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx

from events import Money
from functions.phones.numbers import BadPhone, parse_phone
from functions.providers import oauth, shared
from functions.providers.airtel import ENV_PREFIX, AirtelSettings, wire
from functions.providers.base import (
    DECLINED,
    NOT_AVAILABLE,
    Instructions,
    OutcomeUnknown,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    Report,
    Started,
    Unauthorized,
)
from functions.providers.http import json_of, reveal_setting

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

__all__ = ["ENQUIRY_PATH", "PAY_PATH", "TOKEN_PATH", "AirtelRail", "AirtelSettings", "build"]

TOKEN_PATH: Final = "/auth/oauth2/token"  # noqa: S105 - a path, not a password
PAY_PATH: Final = "/merchant/v1/payments/"
ENQUIRY_PATH: Final = "/standard/v1/payments/"
PROMPT: Final = "Check your phone and enter your Airtel Money PIN to pay."
SecretName = Literal["client_secret", "webhook_secret", "callback_hash_key"]


def _status_block(data: object) -> dict[str, Any]:
    block = data.get("status") if isinstance(data, dict) else None
    return block if isinstance(block, dict) else {}


class AirtelRail(oauth.TokenRail[AirtelSettings]):
    """The Rail for Airtel Money Collections; `name` is the webhook path segment."""

    name = "airtel"
    callback_scope: Literal["payment", "rail"] = "rail"  # one callback URL per Airtel app
    signed = False  # even a hashed callback is confirmed by an enquiry

    def token_name(self) -> str:
        return f"airtel-{self.settings.country}-{self.settings.client_id[:24]}"

    # -- calls to Airtel --------------------------------------------------------------------

    def start(self, request: PaymentRequest) -> Started:
        market = self.settings
        if request.amount.currency != market.currency:
            raise ProviderRefused.plainly(
                f"Airtel Money takes {market.currency} here, not {request.amount.currency}"
            )
        amount = wire.whole_units(request.amount)
        try:
            phone = parse_phone(request.phone or "", market.country)
        except BadPhone:
            phone = None
        if phone is None or phone.region != market.country:
            raise ProviderRefused.plainly(
                f"Airtel Money needs a mobile number of this country ({market.country})"
            )
        body = {
            "reference": request.description[:64] or "Payment",
            "subscriber": {
                "country": market.country,
                "currency": market.currency,
                "msisdn": phone.national,  # without the country code
            },
            "transaction": {
                "amount": amount,
                "country": market.country,
                "currency": market.currency,
                "id": request.payment_id,
            },
        }
        data = self._call("POST", PAY_PATH, creates=True, json=body)
        status = _status_block(data)
        if status.get("success") is not True:
            code = str(status.get("response_code") or status.get("code") or "")[:32]
            raise ProviderRefused(f"airtel: push not accepted {code}".strip())
        return Started(request.payment_id, Instructions(kind="stk_prompt", text=PROMPT))

    def query(self, payment_id: str, provider_ref: str | None, amount: Money) -> Report:
        transaction_id = provider_ref or payment_id
        data = self._call("GET", ENQUIRY_PATH + transaction_id)
        inner = data.get("data") if isinstance(data, dict) else None
        tx = inner.get("transaction") if isinstance(inner, dict) else None
        if not isinstance(tx, dict) or not isinstance(tx.get("status"), str):
            raise ProviderUnavailable("airtel: enquiry reply without data.transaction.status")
        if str(tx.get("id", transaction_id)) != transaction_id:
            raise ProviderUnavailable("airtel: the enquiry is about another transaction")
        message = tx.get("message") if isinstance(tx.get("message"), str) else ""
        money_id = tx.get("airtel_money_id")
        return wire.report_of(
            payment_id, tx["status"], str(message), money_id if isinstance(money_id, str) else None,
            amount, verified=True,
        )  # fmt: skip

    def _call(self, method: str, path: str, *, creates: bool = False, **request: Any) -> object:
        """A call with the shared token, refreshed once when rejected (401: nothing done)."""
        response = oauth.with_token(
            self.token, lambda token: self._send(method, path, token, creates, **request)
        )
        data = json_of(response)
        if response.status_code == 404:
            raise ProviderRefused(f"airtel: HTTP 404 on {path.split('/')[-2] or path}")
        if response.status_code >= 400:
            code = str(_status_block(data).get("response_code") or "")[:32]
            customer = NOT_AVAILABLE if response.status_code in (401, 403) else DECLINED
            raise ProviderRefused(f"airtel: HTTP {response.status_code} {code}".strip(), customer)
        if not isinstance(data, dict):
            problem = OutcomeUnknown if creates else ProviderUnavailable
            raise problem(f"airtel: HTTP {response.status_code} without a JSON reply")
        return data

    def _send(
        self, method: str, path: str, token: str, creates: bool, **request: Any
    ) -> httpx.Response:
        url = self.settings.base_url.rstrip("/") + path
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Country": self.settings.country,
            "X-Currency": self.settings.currency,
            "Accept": "*/*",
        }
        return self._http.send(method, url, creates=creates, headers=headers, **request)

    def _mint(self) -> tuple[str, datetime]:
        url = self.settings.base_url.rstrip("/") + TOKEN_PATH
        body = {
            "client_id": self.settings.client_id,
            "client_secret": self._secret("client_secret"),
            "grant_type": "client_credentials",
        }
        # expires_in comes as a string, often "180": the shared token is refreshed early.
        return oauth.mint(self._http, "airtel", self._now, "POST", url, "the client id", json=body)

    def _secret(self, name: SecretName) -> str:
        return reveal_setting(self.settings, name, ENV_PREFIX)

    # -- the callback -----------------------------------------------------------------------

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        try:
            secret = self._secret("webhook_secret")
        except ProviderUnavailable:
            raise Unauthorized("airtel webhook secret unavailable") from None
        if not secret or not hmac.compare_digest(path.encode(), secret.encode()):
            raise Unauthorized("wrong webhook path")
        transaction, given, raw = wire.load_callback(body)
        try:
            key = self._secret("callback_hash_key")
        except ProviderUnavailable:
            raise Unauthorized("airtel callback key unavailable") from None
        if key:
            expected = wire.callback_hashes(key, raw)
            if given is None or not any(hmac.compare_digest(given, e) for e in expected):
                raise Unauthorized("wrong or missing callback hash")
        # A hint even when hashed: the payment webhook asks the enquiry API.
        return wire.report_of(
            transaction.id, transaction.status_code, transaction.message,
            transaction.airtel_money_id, None, verified=False,
        )  # fmt: skip

    def acknowledgement(self) -> tuple[object, int]:
        return {"ok": True}, 200

    def callback_key(self) -> str:
        raise NotImplementedError("rail-scoped: the webhook path holds the app's secret")

    def callback_path(self, payment_id: str) -> str:
        # Set once in Airtel's portal: <public base>/payments/airtel/<webhook secret>.
        return self._secret("webhook_secret")


def build(rt: Runtime) -> AirtelRail:
    """The adapter the registry builds (the spec in functions/providers/airtel/ names it)."""
    settings = AirtelSettings.from_env()
    gate = shared.gate(rt, AirtelRail.name, settings)
    return AirtelRail(settings, now=rt.clock.now, token_cache=rt.providers().tokens, pacer=gate)
