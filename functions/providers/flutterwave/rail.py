"""Flutterwave v3: a mobile-money charge (or a hosted payment link), its webhook, and the
verification that is the only thing money moves on.

The charge is sent once (`creates`): a lost reply is OutcomeUnknown, settled by verifying
our tx_ref later. The webhook comes to one URL per account (rail-scoped: a secret in its
path) and must carry the dashboard's secret hash (`verif-hash`, or `flutterwave-signature`);
even then it is a hint, and the payment webhook verifies the payment: by our tx_ref
(`verify_by_reference`) until Flutterwave's transaction id is learnt from a verification,
then by that id (`/transactions/{id}/verify`). A verification must name our tx_ref.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

from events import Money
from functions.phones.numbers import BadPhone, Phone, parse_phone
from functions.providers import shared
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
from functions.providers.flutterwave import ENV_PREFIX, FlutterwaveSettings, wire
from functions.providers.http import HttpRail, reveal_setting

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

__all__ = ["CHARGE_PATH", "LINK_PATH", "FlutterwaveRail", "FlutterwaveSettings", "build"]

CHARGE_PATH: Final = "/v3/charges"
LINK_PATH: Final = "/v3/payments"
VERIFY_PATH: Final = "/v3/transactions"
PROMPT: Final = "Check your phone and approve the mobile-money payment with your PIN."
AUTHORIZE: Final = "Open this page to confirm the mobile-money payment:"
# The country whose numbers each currency's charge takes (a national form is dialled there).
REGIONS: Final[Mapping[str, str]] = {
    "KES": "KE", "UGX": "UG", "GHS": "GH", "RWF": "RW", "ZMW": "ZM", "TZS": "TZ",
    "XAF": "CM", "XOF": "CI", "NGN": "NG",
}  # fmt: skip
SecretName = Literal["secret_key", "secret_hash", "webhook_secret"]


class FlutterwaveRail(HttpRail[FlutterwaveSettings]):
    """The Rail for Flutterwave charges; `name` is the webhook path segment."""

    name = "flutterwave"
    callback_scope: Literal["payment", "rail"] = "rail"  # one webhook URL per account
    signed = False  # its hash authenticates the sender; the money waits for a verification

    # -- calls to Flutterwave ---------------------------------------------------------------

    def start(self, request: PaymentRequest) -> Started:
        code = request.amount.currency
        if code not in REGIONS:
            raise ProviderRefused.plainly(f"Flutterwave does not collect {code} here")
        phone = self._phone(request.phone, REGIONS[code])
        body: dict[str, Any] = {
            "tx_ref": request.payment_id,
            "amount": wire.major(request.amount),
            "currency": code,
            "email": f"user{request.user_id}@{self.settings.email_domain}",
            "phone_number": phone.international if phone else "",
            "fullname": f"Soko user {request.user_id}",
        }
        kind = wire.CHARGE_TYPES.get(code)
        if kind is None:
            return self._hosted(request, body)
        if phone is None:
            raise ProviderRefused.plainly("Flutterwave needs the payer's mobile number")
        networks = wire.NETWORKS.get(kind)
        if networks is not None:
            if phone.operator not in networks:
                raise ProviderRefused.plainly("Flutterwave does not serve this operator here")
            body["network"] = networks[phone.operator]
        data = self._call("POST", CHARGE_PATH, creates=True, params={"type": kind}, json=body)
        meta = data.get("meta")
        auth = meta.get("authorization") if isinstance(meta, dict) else None
        redirect = auth.get("redirect") if isinstance(auth, dict) else None
        if isinstance(redirect, str) and redirect.startswith(("https://", "http://")):
            how = Instructions(kind="invoice_url", text=AUTHORIZE, url=redirect)
        else:
            how = Instructions(kind="stk_prompt", text=PROMPT)
        return Started(request.payment_id, how)

    def _hosted(self, request: PaymentRequest, body: dict[str, Any]) -> Started:
        """A hosted payment page: for currencies without a mobile-money charge."""
        hosted = {
            "tx_ref": body["tx_ref"],
            "amount": body["amount"],
            "currency": body["currency"],
            "redirect_url": self.settings.redirect_url or "https://t.me",
            "customer": {"email": body["email"], "phonenumber": body["phone_number"]},
        }
        data = self._call("POST", LINK_PATH, creates=True, json=hosted)
        inner = data.get("data")
        link = inner.get("link") if isinstance(inner, dict) else None
        if not isinstance(link, str) or not link.startswith(("https://", "http://")):
            raise OutcomeUnknown("flutterwave: payment link reply without a link")
        return Started(request.payment_id, Instructions(kind="invoice_url", text="", url=link))

    def query(self, payment_id: str, provider_ref: str | None, amount: Money) -> Report:
        ref = provider_ref or payment_id
        if ref == payment_id:  # our tx_ref: Flutterwave's id is not learnt yet
            path, params = f"{VERIFY_PATH}/verify_by_reference", {"tx_ref": ref}
        else:
            path, params = f"{VERIFY_PATH}/{ref}/verify", {}
        tx = wire.verified_transaction(self._call("GET", path, params=params))
        if tx.tx_ref != payment_id:
            raise ProviderUnavailable("flutterwave: the verification is about another tx_ref")
        return wire.report_of(payment_id, tx, amount, verified=True)

    def _call(
        self, method: str, path: str, *, creates: bool = False, **request: Any
    ) -> dict[str, Any]:
        url = self.settings.base_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self._secret('secret_key')}"}
        response = self._http.send(method, url, creates=creates, headers=headers, **request)
        try:
            data = response.json(parse_float=Decimal)
        except ValueError:
            data = None
        if response.status_code >= 400:
            message = data.get("message") if isinstance(data, dict) else None
            said = message[:120] if isinstance(message, str) else ""
            customer = NOT_AVAILABLE if response.status_code in (401, 403) else DECLINED
            raise ProviderRefused(f"flutterwave: HTTP {response.status_code} {said}", customer)
        if not isinstance(data, dict):
            problem = OutcomeUnknown if creates else ProviderUnavailable
            raise problem(f"flutterwave: HTTP {response.status_code} without a JSON reply")
        return data

    def _phone(self, typed: str | None, region: str) -> Phone | None:
        if not typed:
            return None
        try:
            phone = parse_phone(typed, region)
        except BadPhone:
            raise ProviderRefused.plainly(
                "that is not a mobile number Flutterwave can charge"
            ) from None
        if phone.region != region:
            raise ProviderRefused.plainly("the number is of another country than the currency")
        return phone

    def _secret(self, name: SecretName) -> str:
        return reveal_setting(self.settings, name, ENV_PREFIX)

    # -- the webhook ------------------------------------------------------------------------

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        try:
            secret, secret_hash = self._secret("webhook_secret"), self._secret("secret_hash")
        except ProviderUnavailable:
            raise Unauthorized("flutterwave webhook secrets unavailable") from None
        if not secret or not hmac.compare_digest(path.encode(), secret.encode()):
            raise Unauthorized("wrong webhook path")
        if not secret_hash or not wire.signature_ok(secret_hash, headers, body):
            raise Unauthorized("wrong or missing verif-hash")
        tx = wire.load_webhook(body)
        # A hint: the payment webhook verifies the payment before money moves.
        return wire.report_of(tx.tx_ref, tx, None, verified=False)

    def acknowledgement(self) -> tuple[object, int]:
        return {"status": "success"}, 200

    def callback_key(self) -> str:
        raise NotImplementedError("rail-scoped: the webhook path holds the account's secret")

    def callback_path(self, payment_id: str) -> str:
        # Set once in the dashboard: <public base>/payments/flutterwave/<webhook secret>.
        return self._secret("webhook_secret")


def build(rt: Runtime) -> FlutterwaveRail:
    """The adapter the registry builds (the spec in functions/providers/flutterwave/)."""
    settings = FlutterwaveSettings.from_env()
    gate = shared.gate(rt, FlutterwaveRail.name, settings)
    return FlutterwaveRail(settings, now=rt.clock.now, pacer=gate)
