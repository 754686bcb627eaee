"""An in-memory rail behaving like an unsigned one (M-Pesa, Pakasir): a callback is a claim,
the status query is the truth, and the provider can be down.

It is also the example of adding a rail: this one module (its `SPEC`, its settings and its
adapter) plus one registration line, `registry.RAILS + ("tests.functions.fake_rail",)`,
which tests/functions/conftest.py adds for every functions test. /deposit, the shop's Pay
buttons, the payment webhook and `deployed_secrets()` then know it, and nothing in
functions/ names it. Its implementation is light, so spec and adapter share the module.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import SecretStr

from events import Money
from functions.providers.base import (
    BadCallback,
    Instructions,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    Report,
    Started,
    Status,
    Unauthorized,
)
from functions.providers.spec import RailSettings, RailSpec
from functions.runtime.env_settings import EnvConfig

if TYPE_CHECKING:
    from functions.runtime.bootstrap import Runtime

PATH_SECRET = "path-secret-for-tests"


class FakeRailSettings(RailSettings):
    model_config = EnvConfig(env_prefix="SOKO_FAKE_", frozen=True, extra="ignore")

    path_secret: SecretStr = SecretStr("")  # its webhook path, like Pakasir's

    def configured(self) -> bool:
        return bool(self.path_secret.get_secret_value())


SPEC = RailSpec(
    name="fake",
    label="Test rail",
    currencies=("KES",),
    example="/deposit fake 1500",
    pays_orders=True,
    settings=FakeRailSettings,
    adapter="tests.functions.fake_rail:build",
)


class FakeRail:
    name = "fake"
    callback_scope: Literal["payment", "rail"] = "rail"  # like Pakasir: one URL per account
    signed = False

    def __init__(self, path_secret: str = PATH_SECRET) -> None:
        self.path_secret = path_secret
        self.truth: dict[str, Status] = {}  # what the provider's status API says
        self.down = False
        self.refuse = ""  # a refusal message the next start answers with
        self.refusal: ProviderRefused | None = None  # or this refusal, worded by the rail
        self.queries = 0
        self.query_receipt: str | None = "R-1"  # M-Pesa's STK query returns none
        self.started: list[PaymentRequest] = []

    def start(self, request: PaymentRequest) -> Started:
        self.started.append(request)
        if self.refusal is not None:
            raise self.refusal
        if self.refuse:
            raise ProviderRefused(self.refuse)
        if self.down:
            raise ProviderUnavailable("fake: down")
        self.truth[request.payment_id] = "pending"
        return Started(f"ref-{request.payment_id}", Instructions(kind="stk_prompt", text="pay"))

    def read_callback(self, path: str, headers: Mapping[str, str], body: bytes) -> Report:
        if not hmac.compare_digest(path.encode(), self.path_secret.encode()):
            raise Unauthorized("wrong path")
        try:
            data = json.loads(body)
            payment_id, status = str(data["payment_id"]), data["status"]
        except (ValueError, KeyError, TypeError, RecursionError) as err:
            raise BadCallback("malformed callback") from err
        if status not in ("pending", "succeeded", "failed", "expired"):
            raise BadCallback("unknown status")
        receipt = data.get("receipt")
        key = f"fake:{payment_id}:{status}"
        if data.get("signed") is True:  # like NOWPayments: verified by its signature
            paid = Money(amount=data["paid"], currency="KES") if "paid" in data else None
            ref = data.get("provider_ref", f"ref-{payment_id}")  # what start recorded
            return Report(payment_id, status, ref, paid, receipt, status, key, verified=True)
        return Report(payment_id, status, receipt=receipt, idempotency_key=key)

    def query(self, payment_id: str, provider_ref: str | None, amount: Money) -> Report:
        self.queries += 1
        if self.refuse:
            raise ProviderRefused(self.refuse)
        if self.down:
            raise ProviderUnavailable("fake: down")
        status = self.truth.get(payment_id, "pending")
        paid = amount if status == "succeeded" else None
        return Report(
            payment_id, status, provider_ref, paid, self.query_receipt, status, verified=True
        )

    def acknowledgement(self) -> tuple[object, int]:
        return {"ok": True}, 200

    def callback_key(self) -> str:
        raise NotImplementedError("rail-scoped")

    def callback_path(self, payment_id: str) -> str:
        return self.path_secret


def build(rt: Runtime) -> FakeRail:
    """The adapter the registry builds when SOKO_FAKE_PATH_SECRET is set."""
    return FakeRail(FakeRailSettings.from_env().path_secret.get_secret_value())


def callback(payment_id: str, status: str) -> dict[str, Any]:
    return {"payment_id": payment_id, "status": status}
