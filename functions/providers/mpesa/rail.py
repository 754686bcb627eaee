"""M-Pesa Daraja STK Push (Kenya, KES): prompt the customer's phone, read the callback, query.

The callback is unsigned, so it is authenticated only by a token in its path, one per
payment (functions/payments/callbacks.py, keyed by `callback_secret`), and its report is
never `verified`; the payment webhook confirms it with `query`, which asks Daraja with our
own credentials about the CheckoutRequestID we recorded. The STK push is never sent twice:
a reply that did not come back is OutcomeUnknown, settled by the callback or a query.

The OAuth token is shared by every instance through a TokenCache: minting a new one may
invalidate the old one. No message built here contains a token, password or passkey.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx

from events import Money
from functions.providers import oauth, shared
from functions.providers.base import (
    Instructions,
    OutcomeUnknown,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    Report,
    Started,
)
from functions.providers.http import json_of, reveal_setting
from functions.providers.mpesa import ENV_PREFIX, MpesaSettings, wire

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

__all__ = ["PUSH_PATH", "QUERY_PATH", "TOKEN_PATH", "MpesaRail", "MpesaSettings", "build"]

DEFAULT_PROMPT: Final = "Check your phone and enter your M-Pesa PIN to pay."
PUSH_PATH: Final = "/mpesa/stkpush/v1/processrequest"
QUERY_PATH: Final = "/mpesa/stkpushquery/v1/query"
TOKEN_PATH: Final = "/oauth/v1/generate"  # noqa: S105 - a path, not a password
SecretName = Literal["consumer_secret", "passkey", "callback_secret"]


class _StillProcessing(Exception):
    """Daraja's "being processed" answer to an STK query, carried past send()."""


class _QueryClient:
    """The client as send() sees it for the STK query.

    send() retries every 500, but the query's 500 with errorCode 500.001.1001 ("being
    processed") is Daraja's answer, not an outage: it is raised past send() at once.
    """

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def request(self, method: str, url: str, **request: Any) -> httpx.Response:
        response = self._client.request(method, url, **request)
        if response.status_code == 500:
            code, message = wire.error_of(json_of(response))
            if code == wire.STILL_PROCESSING:
                raise _StillProcessing(message or "The transaction is being processed")
        return response


class MpesaRail(oauth.TokenRail[MpesaSettings]):
    """The Rail for M-Pesa STK Push; `name` is the webhook path segment."""

    name = "mpesa"
    callback_scope: Literal["payment", "rail"] = "payment"
    signed = False  # callbacks are unsigned: confirmed by a query

    def token_name(self) -> str:
        # One token per Daraja app: the cache's document name, e.g. mpesa-174379-1a2b3c4d5e6f.
        settings = self.settings
        return oauth.account_name(
            "mpesa", settings.shortcode, settings.base_url, settings.consumer_key
        )

    # -- calls to Daraja --------------------------------------------------------------------

    def start(self, request: PaymentRequest) -> Started:
        shillings = wire.whole_shillings(request.amount)
        phone = wire.normalise_phone(request.phone)
        body = {
            **self._credentials(),
            "TransactionType": self.settings.transaction_type,
            "Amount": shillings,
            "PartyA": phone,
            "PartyB": self.settings.party_b or self.settings.shortcode,
            "PhoneNumber": phone,
            "CallBackURL": request.callback_url,
            "AccountReference": request.payment_id[: wire.ACCOUNT_REFERENCE_MAX],
            "TransactionDesc": (request.description.strip() or "Payment")[
                : wire.TRANSACTION_DESC_MAX
            ],
        }
        data = self._call(PUSH_PATH, body, creates=True)
        checkout_id = data.get("CheckoutRequestID")
        if str(data.get("ResponseCode")) != "0":
            reason = data.get("ResponseDescription")
            raise ProviderRefused(f"mpesa: push refused: {self._scrub(reason)}")
        if not isinstance(checkout_id, str) or not checkout_id:
            # Accepted, but we cannot tell which request it is: the prompt may be out.
            raise OutcomeUnknown("mpesa: push accepted without a CheckoutRequestID")
        # Daraja's CustomerMessage ("Success. Request accepted for processing") is written
        # for the merchant: the customer is told what to do.
        return Started(checkout_id, Instructions(kind="stk_prompt", text=DEFAULT_PROMPT))

    def query(self, payment_id: str, provider_ref: str | None, amount: Money) -> Report:
        if not provider_ref:
            raise ProviderRefused("mpesa: no CheckoutRequestID to query")
        body = {**self._credentials(), "CheckoutRequestID": provider_ref}
        try:
            data = self._call(QUERY_PATH, body, via=_QueryClient(self._http.client))
        except _StillProcessing as still:
            # The customer has not answered the prompt yet. No key: nothing final to dedupe.
            pending = self._scrub(str(still))
            return Report(payment_id, "pending", provider_ref, raw_status=pending, verified=True)
        return wire.query_report(payment_id, provider_ref, amount, data)

    def _credentials(self) -> dict[str, str]:
        stamp = wire.timestamp(self._now())
        shortcode = self.settings.shortcode
        password = wire.password(shortcode, self._secret("passkey"), stamp)
        return {"BusinessShortCode": shortcode, "Password": password, "Timestamp": stamp}

    def _call(
        self, path: str, body: dict[str, Any], via: Any = None, *, creates: bool = False
    ) -> dict[str, Any]:
        """POST with the shared token; on a rejected token, refresh once and retry (Daraja
        processed nothing then). `creates`: never resent once it may have been received."""
        response = oauth.with_token(
            self.token,
            lambda token: self._post(path, body, token, via, creates),
            rejected=lambda answer: wire.token_rejected(answer.status_code, json_of(answer)),
        )
        data = json_of(response)
        if response.status_code >= 400:
            code, message = wire.error_of(data)
            what = f"{code} {self._scrub(message)}".strip() or f"HTTP {response.status_code}"
            raise ProviderRefused(f"mpesa: {what}")
        if not isinstance(data, dict):
            # An unreadable answer to a push: Daraja got it and may have prompted the phone.
            problem = OutcomeUnknown if creates else ProviderUnavailable
            raise problem(f"mpesa: HTTP {response.status_code} without a JSON reply")
        return data

    def _post(
        self, path: str, body: dict[str, Any], token: str, via: Any, creates: bool
    ) -> httpx.Response:
        url = self.settings.base_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {token}"}
        return self._http.send("POST", url, via=via, creates=creates, json=body, headers=headers)

    def _mint(self) -> tuple[str, datetime]:
        url = self.settings.base_url.rstrip("/") + TOKEN_PATH
        auth = (self.settings.consumer_key, self._secret("consumer_secret"))
        params = {"grant_type": "client_credentials"}
        return oauth.mint(
            self._http, "mpesa", self._now, "GET", url, "the consumer key and secret",
            params=params, auth=auth,
        )  # fmt: skip

    def _secret(self, name: SecretName) -> str:
        return reveal_setting(self.settings, name, ENV_PREFIX)

    def _scrub(self, text: object) -> str:
        """The provider's text, short, with our credentials and token blanked out."""
        if not isinstance(text, str):
            return ""
        for secret in (
            self.settings.consumer_secret.get_secret_value(),
            self.settings.passkey.get_secret_value(),
            self.token.current() or "",
        ):
            if secret.strip():
                text = text.replace(secret.strip(), "[redacted]")
        return text[:200]

    # -- the callback -----------------------------------------------------------------------

    def callback_key(self) -> str:
        """The key of this rail's per-payment callback tokens."""
        return self._secret("callback_secret")

    def callback_path(self, payment_id: str) -> str:
        raise NotImplementedError("payment-scoped: functions/payments/callbacks.py builds it")

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        """`path` is our payment id; its callback token was checked by the payment core."""
        return wire.callback_report(path, body)

    def acknowledgement(self) -> tuple[object, int]:
        return {"ResultCode": 0, "ResultDesc": "Accepted"}, 200


def build(rt: Runtime) -> MpesaRail:
    """The adapter the registry builds (the spec in functions/providers/mpesa/ names it)."""
    settings = MpesaSettings.from_env()
    gate = shared.gate(rt, MpesaRail.name, settings)
    # One token for every instance (rt.providers()): a new one invalidates the previous.
    return MpesaRail(settings, now=rt.clock.now, token_cache=rt.providers().tokens, pacer=gate)
