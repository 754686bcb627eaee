"""MTN MoMo Collections: request to pay, its status, its callback.

The request to pay carries our X-Reference-Id (wire.reference_id: fixed per payment), so it
may be resent after a 5xx or a timeout: MTN answers a repeat with 409, which means it has
the request. If every attempt failed, the status of that reference says whether MTN has it
(200: started; 404: it never arrived, the payment did not start); when even that cannot be
asked, the start is OutcomeUnknown and a status query settles it later.

The callback (PUT or POST to the URL we gave in X-Callback-Url) names no reference id: it
is bound to its payment by the token in its path (functions/payments/callbacks.py) and its
`externalId`, which must be that payment's id. It is never `verified`: the payment webhook
confirms it by asking the status of the reference we recorded. The token is shared by every
instance (TokenCache) and never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx

from events import Money
from functions.phones.numbers import BadPhone, parse_phone
from functions.providers import oauth, shared
from functions.providers.base import (
    DECLINED,
    NOT_AVAILABLE,
    BadCallback,
    Instructions,
    OutcomeUnknown,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    Report,
    Started,
)
from functions.providers.http import json_of, reveal_setting
from functions.providers.mtnmomo import ENV_PREFIX, MtnMomoSettings, wire
from functions.providers.pace import OverPace

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

__all__ = ["PAY_PATH", "TOKEN_PATH", "MtnMomoRail", "MtnMomoSettings", "build"]

PAY_PATH: Final = "/collection/v1_0/requesttopay"
TOKEN_PATH: Final = "/collection/token/"  # noqa: S105 - a path, not a password
PROMPT: Final = "Check your phone and approve the MTN MoMo payment with your PIN."
# MTN's refusals the payer can act on, in words for them; others are DECLINED.
PAYER_WORDS: Final[Mapping[str, str]] = {
    "PAYER_NOT_FOUND": "this number has no MTN MoMo account. Check it or choose another way.",
    "NOT_ENOUGH_FUNDS": "there is not enough money on this MTN MoMo account.",
    "PAYER_LIMIT_REACHED": "this MTN MoMo account has reached its limit. Try a smaller amount.",
}
SecretName = Literal["subscription_key", "api_key", "callback_secret"]


class MtnMomoRail(oauth.TokenRail[MtnMomoSettings]):
    """The Rail for MTN MoMo Collections; `name` is the webhook path segment."""

    name = "mtnmomo"
    callback_scope: Literal["payment", "rail"] = "payment"
    signed = False  # callbacks are unsigned: confirmed by a status query

    def token_name(self) -> str:
        settings = self.settings
        return oauth.account_name(
            "mtnmomo", settings.target_environment, settings.base_url, settings.api_user
        )

    # -- calls to MTN -----------------------------------------------------------------------

    def start(self, request: PaymentRequest) -> Started:
        if request.amount.currency != self.settings.currency:
            raise ProviderRefused.plainly(
                f"MTN MoMo takes {self.settings.currency} here, not {request.amount.currency}"
            )
        try:
            phone = parse_phone(request.phone or "", self.settings.country)
        except BadPhone:
            raise ProviderRefused.plainly(
                "MTN MoMo needs a mobile number like 0772123456 or +256772123456"
            ) from None
        reference = wire.reference_id(request.payment_id)
        body = {
            "amount": wire.amount_text(request.amount),
            "currency": request.amount.currency,
            "externalId": request.payment_id,
            "payer": {"partyIdType": "MSISDN", "partyId": phone.international},
            "payerMessage": request.description[:160],
            "payeeNote": request.payment_id,
        }
        headers = {"X-Reference-Id": reference, "X-Callback-Url": request.callback_url}
        self.token.get()  # no token: nothing was sent, the start is simply unavailable
        try:
            response = self._call("POST", PAY_PATH, headers, json=body)
        except OverPace:
            raise  # never sent: simply unavailable
        except ProviderUnavailable as err:
            self._settle_unanswered(reference, err)
        else:
            if response.status_code not in (202, 409):  # 409: it has this reference already
                self._refused(response)
        return Started(reference, Instructions(kind="stk_prompt", text=PROMPT))

    def _settle_unanswered(self, reference: str, err: ProviderUnavailable) -> None:
        """Every attempt failed: MTN may have one of them. Its status says; else unknown."""
        try:
            response = self._call("GET", f"{PAY_PATH}/{reference}", {})
        except ProviderUnavailable:
            raise OutcomeUnknown(f"mtnmomo: {err}; its status cannot be asked") from None
        if response.status_code == 404:
            raise ProviderUnavailable(f"mtnmomo: {err}; MTN has no such request") from None
        if response.status_code != 200:
            raise OutcomeUnknown(f"mtnmomo: {err}; status HTTP {response.status_code}")

    def query(self, payment_id: str, provider_ref: str | None, amount: Money) -> Report:
        reference = provider_ref or wire.reference_id(payment_id)
        response = self._call("GET", f"{PAY_PATH}/{reference}", {})
        if response.status_code == 404:
            raise ProviderRefused(f"mtnmomo: no request to pay {reference}")
        if response.status_code != 200:
            self._refused(response)
        body = wire.parse_status(json_of(response), callback=False)
        if body.externalId != payment_id:
            raise ProviderUnavailable("mtnmomo: the status is about another externalId")
        return wire.report_of(payment_id, reference, amount, body, verified=True)

    def _call(
        self, method: str, path: str, headers: Mapping[str, str], **request: Any
    ) -> httpx.Response:
        """One call with the shared token; a rejected token is refreshed once (MTN did
        nothing with a 401). 5xx and timeouts are retried: every call here may repeat."""
        return oauth.with_token(
            self.token, lambda token: self._send(method, path, token, headers, **request)
        )

    def _send(
        self, method: str, path: str, token: str, headers: Mapping[str, str], **request: Any
    ) -> httpx.Response:
        url = self.settings.base_url.rstrip("/") + path
        sent = {
            "Authorization": f"Bearer {token}",
            "X-Target-Environment": self.settings.target_environment,
            "Ocp-Apim-Subscription-Key": self._secret("subscription_key"),
            **headers,
        }
        return self._http.send(method, url, headers=sent, **request)

    def _refused(self, response: httpx.Response) -> None:
        data = json_of(response)
        code = wire.reason_of(data)
        message = data.get("message") if isinstance(data, dict) else None
        said = f"{code} {message[:120] if isinstance(message, str) else ''}".strip()
        customer = NOT_AVAILABLE if response.status_code in (401, 403) else DECLINED
        customer = PAYER_WORDS.get(code, customer)
        raise ProviderRefused(f"mtnmomo: HTTP {response.status_code} {said}".strip(), customer)

    def _mint(self) -> tuple[str, datetime]:
        url = self.settings.base_url.rstrip("/") + TOKEN_PATH
        auth = (self.settings.api_user, self._secret("api_key"))
        headers = {"Ocp-Apim-Subscription-Key": self._secret("subscription_key")}
        return oauth.mint(
            self._http, "mtnmomo", self._now, "POST", url, "the API user",
            auth=auth, headers=headers,
        )  # fmt: skip

    def _secret(self, name: SecretName) -> str:
        return reveal_setting(self.settings, name, ENV_PREFIX)

    # -- the callback -----------------------------------------------------------------------

    def callback_key(self) -> str:
        return self._secret("callback_secret")

    def callback_path(self, payment_id: str) -> str:
        raise NotImplementedError("payment-scoped: functions/payments/callbacks.py builds it")

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        """`path` is our payment id (its token checked); the body must say the same id."""
        callback = wire.load_callback(body)
        if callback.externalId != path:
            raise BadCallback("externalId is not the payment its URL names")
        if wire.status_of(callback.status, wire.reason_of(callback.reason)) is None:
            raise BadCallback(f"unknown status {callback.status[:32]!r}")
        amount = wire.money_of(callback.amount, callback.currency)
        asked = amount or Money.zero(self.settings.currency)
        # A hint: it names no reference, so the webhook asks about the one we recorded.
        return wire.report_of(path, None, asked, callback, verified=False)

    def acknowledgement(self) -> tuple[object, int]:
        return {"ok": True}, 200


def build(rt: Runtime) -> MtnMomoRail:
    """The adapter the registry builds (the spec in functions/providers/mtnmomo/ names it)."""
    settings = MtnMomoSettings.from_env()
    gate = shared.gate(rt, MtnMomoRail.name, settings)
    return MtnMomoRail(settings, now=rt.clock.now, token_cache=rt.providers().tokens, pacer=gate)
