"""Stars and refunds as application services: called directly, no Telegram update in sight.

The Telegram adapters (functions/telegram/stars.py, refunds.py) only parse and render; these
tests hold the money rules to the services themselves and to what they store.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from events import Money
from functions.domain import payments, users, wallet
from functions.domain.decider import DomainError
from functions.ops.ledger import audit
from functions.payments import refunds, stars
from functions.payments.admins import NotAdmin
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from functions.telegram.bot_api import BotApiError
from tests.builders import settings
from tests.fakes.recording_bot import RecordingBot

pytestmark = pytest.mark.functions
USER, OTHER, ADMIN = 7, 8, 99
XTR_50 = Money(amount=50, currency="XTR")
ROOT = Path(__file__).parents[2]


@pytest.fixture
def rt(memory_runtime: Runtime) -> Runtime:
    memory_runtime.settings = settings(stars_enabled=True, admin_ids=frozenset({ADMIN}))
    memory_runtime.bot_override = RecordingBot()
    for user_id in (USER, OTHER):  # registering opens the wallet (open_wallet reactor)
        register = users.Register(user_id, user_id, f"user {user_id}", "en")
        memory_runtime.pipeline.execute(users.users, users.stream_of(user_id), register)
    return memory_runtime


def update(n: int) -> Trace:
    """The trace of inbound update `n`, as the webhook builds it."""
    return Trace(f"tg:777:{n}", f"tg-update-{n}", f"tg-user-{USER}")


def charge(payment_id: str, charge_id: str, total: int = 50, user_id: int = USER) -> stars.Charge:
    return stars.Charge(user_id, payment_id, charge_id, total, "XTR")


def types_in(rt: Runtime, stream: str) -> list[str]:
    return [e.type for e in rt.store.load(stream)]


def events_of(rt: Runtime, stream: str, type_name: str) -> list[dict[str, Any]]:
    return [dict(e.data) for e in rt.store.load(stream) if e.type == type_name]


def stars_held(rt: Runtime, user_id: int = USER) -> int:
    state = rt.pipeline.current(wallet.wallets, wallet.stream_of(user_id))
    return state.balance("XTR").amount


def everything(rt: Runtime) -> list[Any]:
    store: Any = rt.store
    return [store.load(s) for s in store.streams()] + [rt.read_models.all("payments")]


def paid_deposit(rt: Runtime, charge_id: str = "stxA1") -> str:
    payment_id = stars.start_deposit(rt, user_id=USER, amount=XTR_50, trace=update(1))
    stars.receive_payment(rt, charge(payment_id, charge_id), update(2))
    return payment_id


# -- opening and the pre-checkout gate -------------------------------------------------------


def test_a_stars_deposit_is_requested_and_started_once_per_inbound_update(rt: Runtime) -> None:
    first = stars.start_deposit(rt, user_id=USER, amount=XTR_50, trace=update(1))
    again = stars.start_deposit(rt, user_id=USER, amount=XTR_50, trace=update(1))

    assert again == first
    assert rt.store.streams("payment") == [payments.stream_of(first)]
    assert types_in(rt, payments.stream_of(first)) == [
        "payment.requested.v1",
        "payment.started.v1",
    ]
    doc = rt.read_models.get("payments", first)
    assert doc is not None
    assert (doc["state"], doc["rail"], doc["purpose"], doc["provider_ref"]) == (
        "pending",
        "stars",
        "wallet_deposit",
        first,  # the invoice payload is the provider reference
    )
    state = stars.load_payment(rt, first)
    assert state.expires_at == rt.clock.now() + stars.INVOICE_TTL


@pytest.mark.parametrize("amount", [0, 10_001])
def test_a_stars_deposit_outside_1_to_10000_is_refused_and_writes_nothing(
    rt: Runtime, amount: int
) -> None:
    before = everything(rt)
    with pytest.raises(stars.StarsAmountRefused):
        stars.start_deposit(rt, user_id=USER, amount=Money.of_minor(amount, "XTR"), trace=update(1))
    assert everything(rt) == before


def test_an_order_invoice_names_its_order(rt: Runtime) -> None:
    payment_id = stars.open_payment(
        rt, user_id=USER, purpose="order", amount=XTR_50, trace=update(1), subject="o1"
    )
    (requested,) = events_of(rt, payments.stream_of(payment_id), "payment.requested.v1")
    assert (requested["purpose"], requested["subject"]) == ("order", "o1")


@pytest.mark.parametrize(
    ("user_id", "total", "currency", "why"),
    [
        (USER, 49, "XTR", "amount does not match"),
        (OTHER, 50, "XTR", "someone else"),
        (USER, 50, "USD", "Telegram Stars"),
    ],
)
def test_the_checkout_gate_refuses_what_is_not_this_users_open_invoice_and_writes_nothing(
    rt: Runtime, user_id: int, total: int, currency: str, why: str
) -> None:
    payment_id = stars.start_deposit(rt, user_id=USER, amount=XTR_50, trace=update(1))
    before = everything(rt)
    with pytest.raises(stars.CheckoutRefused, match=why):
        stars.check_checkout(
            rt, user_id=user_id, payload=payment_id, currency=currency, total=total
        )
    assert everything(rt) == before


def test_the_checkout_gate_lets_the_open_invoice_be_paid_and_then_no_more(rt: Runtime) -> None:
    payment_id = stars.start_deposit(rt, user_id=USER, amount=XTR_50, trace=update(1))
    stars.check_checkout(rt, user_id=USER, payload=payment_id, currency="XTR", total=50)
    stars.receive_payment(rt, charge(payment_id, "stxA1"), update(2))
    with pytest.raises(stars.CheckoutRefused, match="already paid"):
        stars.check_checkout(rt, user_id=USER, payload=payment_id, currency="XTR", total=50)


# -- settling a charge -----------------------------------------------------------------------


def test_a_charge_credits_the_wallet_once_however_often_it_is_delivered(rt: Runtime) -> None:
    payment_id = stars.start_deposit(rt, user_id=USER, amount=XTR_50, trace=update(1))

    first = stars.receive_payment(rt, charge(payment_id, "stxA1"), update(2))
    repeats = [stars.receive_payment(rt, charge(payment_id, "stxA1"), update(n)) for n in (3, 4)]

    assert first == stars.PaymentReceived("credited", payment_id, XTR_50, "wallet_deposit")
    assert {r.outcome for r in repeats} == {"already"}
    credits = events_of(rt, wallet.stream_of(USER), "wallet.credited.v1")
    assert [c["reference"] for c in credits] == [f"payment:{payment_id}"]
    (succeeded,) = events_of(rt, payments.stream_of(payment_id), "payment.succeeded.v1")
    assert (succeeded["receipt"], succeeded["transfer_ref"]) == ("stxA1", "stxA1")
    assert stars_held(rt) == 50
    assert audit(rt.store, rt.read_models) == []


def test_a_charge_of_another_amount_is_held_for_an_admin_not_credited(rt: Runtime) -> None:
    payment_id = stars.start_deposit(rt, user_id=USER, amount=XTR_50, trace=update(1))
    received = stars.receive_payment(rt, charge(payment_id, "stxA1", total=49), update(2))
    assert received.outcome == "held"
    assert rt.read_models.get("payments", payment_id)["state"] == "held"  # type: ignore[index]
    assert stars_held(rt) == 0


def test_a_second_charge_for_a_paid_invoice_opens_a_held_payment_of_its_own(
    rt: Runtime,
) -> None:
    payment_id = paid_deposit(rt)
    second = stars.receive_payment(rt, charge(payment_id, "stxA2"), update(3))
    again = stars.receive_payment(rt, charge(payment_id, "stxA2"), update(4))

    assert second.outcome == "repeat"
    assert second.repeat_id is not None
    assert again.repeat_id == second.repeat_id  # a redelivery opens nothing more
    held = rt.read_models.get("payments", second.repeat_id)
    assert held is not None
    assert (held["state"], held["hold_reason"], held["repeat_of"]) == (
        "held",
        "repeat_payment",
        payment_id,
    )
    assert len(rt.store.streams("payment")) == 2
    assert stars_held(rt) == 50
    assert audit(rt.store, rt.read_models) == []


@pytest.mark.parametrize(
    "wrong",
    [
        {"user_id": OTHER},
        {"invoice_payload": "0123456789ab"},
        {"invoice_payload": "../users/7"},
        {"currency": "ZZZ"},
    ],
)
def test_a_charge_that_matches_no_stars_payment_of_the_payer_moves_nothing(
    rt: Runtime, wrong: dict[str, Any]
) -> None:
    payment_id = stars.start_deposit(rt, user_id=USER, amount=XTR_50, trace=update(1))
    paid = charge(payment_id, "stxZZ")
    before = everything(rt)
    with pytest.raises(stars.UnmatchedCharge) as unmatched:
        stars.receive_payment(rt, stars.Charge(**{**vars(paid), **wrong}), update(2))
    assert unmatched.value.charge_id == "stxZZ"
    assert everything(rt) == before


def test_telegrams_refund_message_refunds_and_debits_once(rt: Runtime) -> None:
    payment_id = paid_deposit(rt)

    first = stars.record_refunded(rt, charge(payment_id, "stxA1"), update(3))
    again = stars.record_refunded(rt, charge(payment_id, "stxA1"), update(4))

    assert (first.already, again.already) == (False, True)
    debits = events_of(rt, wallet.stream_of(USER), "wallet.debited.v1")
    assert [d["reference"] for d in debits] == [f"refund:payment:{payment_id}"]
    assert stars_held(rt) == 0
    assert audit(rt.store, rt.read_models) == []


def test_a_refund_message_for_another_charge_changes_nothing(rt: Runtime) -> None:
    payment_id = paid_deposit(rt)
    before = everything(rt)
    with pytest.raises(stars.UnmatchedCharge):
        stars.record_refunded(rt, charge(payment_id, "stxOTHER"), update(3))
    assert everything(rt) == before


# -- an admin's refund -----------------------------------------------------------------------


class RefusingBot(RecordingBot):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error

    def call(self, method: str, params: dict[str, Any]) -> Any:
        super().call(method, params)
        raise BotApiError(f"{method}: HTTP 400 Bad Request: {self.error}")


def refund(rt: Runtime, payment_id: str, n: int = 10, admin: int = ADMIN) -> refunds.Refunded:
    return refunds.refund_stars(rt, admin_id=admin, payment_id=payment_id, trace=update(n))


def test_a_refund_asks_telegram_first_then_records_and_debits_once(rt: Runtime) -> None:
    payment_id = paid_deposit(rt)
    bot: Any = rt.bot()

    refunded = refund(rt, payment_id, 10)
    with pytest.raises(refunds.RefundRefused, match="already refunded"):
        refund(rt, payment_id, 11)

    assert refunded == refunds.Refunded(payment_id, USER, XTR_50, credited=True)
    assert bot.calls == [
        ("refundStarPayment", {"user_id": USER, "telegram_payment_charge_id": "stxA1"})
    ]
    (recorded,) = events_of(rt, payments.stream_of(payment_id), "payment.refunded.v1")
    assert (recorded["admin_id"], recorded["refund_ref"]) == (ADMIN, "stxA1")
    debits = events_of(rt, wallet.stream_of(USER), "wallet.debited.v1")
    assert [(d["reference"], d["amount"]["amount"]) for d in debits] == [
        (f"refund:payment:{payment_id}", 50)
    ]
    assert audit(rt.store, rt.read_models) == []


def test_only_an_admin_refunds_and_a_refusal_asks_telegram_nothing(rt: Runtime) -> None:
    payment_id = paid_deposit(rt)
    before = everything(rt)
    with pytest.raises(NotAdmin):
        refund(rt, payment_id, admin=USER)
    assert rt.bot().calls == []  # type: ignore[attr-defined]
    assert everything(rt) == before


def test_stars_already_spent_are_not_refunded_and_telegram_is_not_asked(rt: Runtime) -> None:
    payment_id = paid_deposit(rt)
    spent = wallet.Debit(USER, Money.of_minor(30, "XTR"), "order", "order:o1")
    rt.pipeline.execute(wallet.wallets, wallet.stream_of(USER), spent)
    before = everything(rt)
    with pytest.raises(refunds.RefundRefused, match="holds XTR 20"):
        refund(rt, payment_id)
    assert rt.bot().calls == []  # type: ignore[attr-defined]
    assert everything(rt) == before


def test_a_refund_telegram_refuses_records_nothing(rt: Runtime) -> None:
    payment_id = paid_deposit(rt)
    rt.bot_override = RefusingBot("CHARGE_NOT_FOUND")
    before = everything(rt)
    with pytest.raises(refunds.TelegramRefused, match="CHARGE_NOT_FOUND"):
        refund(rt, payment_id)
    assert everything(rt) == before


def test_a_refund_telegram_already_made_is_recorded(rt: Runtime) -> None:
    payment_id = paid_deposit(rt)  # an earlier refund reached Telegram, then died
    rt.bot_override = RefusingBot(refunds.ALREADY_REFUNDED)
    refund(rt, payment_id)
    assert stars.load_payment(rt, payment_id).state == "refunded"
    assert stars_held(rt) == 0


def test_a_held_second_charge_is_given_back_rejected_and_never_debited(rt: Runtime) -> None:
    payment_id = paid_deposit(rt)
    repeat_id = stars.receive_payment(rt, charge(payment_id, "stxA2"), update(3)).repeat_id
    assert repeat_id is not None

    refunded = refund(rt, repeat_id)

    assert refunded == refunds.Refunded(repeat_id, USER, XTR_50, credited=False)
    assert ("refundStarPayment", {"user_id": USER, "telegram_payment_charge_id": "stxA2"}) in (
        rt.bot().calls  # type: ignore[attr-defined]
    )
    (failed,) = events_of(rt, payments.stream_of(repeat_id), "payment.failed.v1")
    assert failed["reason"].endswith(payments.REFUNDED_NOTE)  # what the payer's notice reads
    assert events_of(rt, wallet.stream_of(USER), "wallet.debited.v1") == []
    assert stars_held(rt) == 50
    assert audit(rt.store, rt.read_models) == []


def test_an_orders_stars_are_not_refundable_here(rt: Runtime) -> None:
    payment_id = stars.open_payment(
        rt, user_id=USER, purpose="order", amount=XTR_50, trace=update(1), subject="o1"
    )
    payment = stars.load_payment(rt, payment_id)
    settled = payments.Payment(**{**vars(payment), "state": "succeeded", "paid": XTR_50,
                                  "receipt": "stxA1"})  # fmt: skip
    with pytest.raises(refunds.RefundRefused, match="an order settles its own money"):
        refunds.check_refundable(rt, settled)


def test_service_refusals_are_domain_errors_the_route_boundary_answers() -> None:
    for refusal in (stars.StarsAmountRefused, stars.CheckoutRefused, refunds.RefundRefused):
        assert issubclass(refusal, DomainError)


# -- the adapters stay adapters --------------------------------------------------------------

ADAPTERS = ["functions/telegram/stars.py", "functions/telegram/manual.py",
            "functions/telegram/refunds.py"]  # fmt: skip
SERVICES = ["functions/payments/stars.py", "functions/payments/manual.py",
            "functions/payments/refunds.py"]  # fmt: skip


def _tree(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(), path)


@pytest.mark.parametrize("path", ADAPTERS)
def test_the_telegram_adapters_never_touch_the_pipeline(path: str) -> None:
    touches = [
        node.lineno
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Attribute) and node.attr == "pipeline"
    ]
    assert touches == [], f"{path} calls the pipeline itself at lines {touches}"


@pytest.mark.parametrize("path", SERVICES)
def test_the_services_know_no_telegram_update_or_reply(path: str) -> None:
    imported: list[str] = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
        elif isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
    # The out-of-band Bot API is a port of the Runtime (refundStarPayment goes through it).
    telegram = [
        m for m in imported if m.split(".")[0] == "telegram" or m.startswith("functions.telegram")
    ]
    assert set(telegram) <= {"functions.telegram.bot_api"}, telegram
