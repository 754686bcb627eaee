"""Manual transfers and admin decisions as application services, called without Telegram."""

from __future__ import annotations

from typing import Any

import pytest

from events import Money
from functions.domain import payments, users, wallet
from functions.domain.reports import Report
from functions.ops.ledger import audit
from functions.payments import manual
from functions.payments.admins import NotAdmin
from functions.runtime.bootstrap import Runtime
from functions.runtime.pipeline import Trace
from tests.builders import settings

pytestmark = pytest.mark.functions
USER, ADMIN, OTHER_ADMIN = 7, 99, 98
DETAILS = "mBank PL61 1090 1014 0000 0712 1981 2874"
PLN_100 = Money(amount=10_000, currency="PLN")


@pytest.fixture
def rt(memory_runtime: Runtime) -> Runtime:
    memory_runtime.settings = settings(
        admin_ids=frozenset({ADMIN, OTHER_ADMIN}), manual_transfer_details=DETAILS
    )
    register = users.Register(USER, USER, "Wanjiru", "en")
    memory_runtime.pipeline.execute(users.users, users.stream_of(USER), register)
    return memory_runtime


def update(n: int) -> Trace:
    return Trace(f"tg:777:{n}", f"tg-update-{n}", f"tg-user-{USER}")


def declare(rt: Runtime, n: int = 1, reference: str = "JAN-7") -> manual.Declared:
    return manual.declare_transfer(
        rt, user_id=USER, amount=PLN_100, reference=reference, trace=update(n)
    )


def credits(rt: Runtime) -> list[dict[str, Any]]:
    return [
        dict(e.data)
        for e in rt.store.load(wallet.stream_of(USER))
        if e.type.endswith("credited.v1")
    ]


def everything(rt: Runtime) -> list[Any]:
    store: Any = rt.store
    return [store.load(s) for s in store.streams()] + [rt.read_models.all("payments")]


def test_a_declared_transfer_waits_for_an_admin_under_its_reference_once_per_update(
    rt: Runtime,
) -> None:
    declared = declare(rt, 1)
    again = declare(rt, 1)  # Telegram re-sending the same update

    assert again == declared
    assert (declared.amount, declared.reference, declared.pay_to) == (PLN_100, "JAN-7", DETAILS)
    assert rt.store.streams("payment") == [payments.stream_of(declared.payment_id)]
    doc = rt.read_models.get("payments", declared.payment_id)
    assert doc is not None
    assert (doc["rail"], doc["state"], doc["provider_ref"], doc["needs_admin"]) == (
        "manual",
        "pending",
        "JAN-7",
        True,
    )
    assert credits(rt) == []


@pytest.mark.parametrize("reference", ["", "ab", "<b>x</b>", "X" * 36, "-JAN"])
def test_a_reference_nobody_could_find_in_a_statement_is_refused_and_writes_nothing(
    rt: Runtime, reference: str
) -> None:
    before = everything(rt)
    with pytest.raises(manual.BadReference):
        declare(rt, reference=reference)
    assert everything(rt) == before


def decide(rt: Runtime, payment_id: str, approve: bool, n: int, admin: int = ADMIN) -> Any:
    return manual.decide(
        rt, admin_id=admin, payment_id=payment_id, approve=approve, trace=update(n)
    )


def test_an_approval_credits_the_declared_amount_once_whoever_decides_next(rt: Runtime) -> None:
    payment_id = declare(rt).payment_id

    approved = decide(rt, payment_id, True, 2)
    redelivered = decide(rt, payment_id, True, 2)
    late_reject = decide(rt, payment_id, False, 3, admin=OTHER_ADMIN)

    assert approved == manual.Decided(payment_id, True, changed=True, state="succeeded")
    assert redelivered.changed  # the very same tap again: the same answer
    assert late_reject == manual.Decided(payment_id, False, changed=False, state="succeeded")
    assert [c["reference"] for c in credits(rt)] == [f"payment:{payment_id}"]
    assert credits(rt)[0]["amount"] == {"amount": 10_000, "currency": "PLN"}
    assert rt.read_models.get("payments", payment_id)["needs_admin"] is False  # type: ignore[index]
    assert audit(rt.store, rt.read_models) == []


def test_a_rejection_credits_nothing(rt: Runtime) -> None:
    payment_id = declare(rt).payment_id
    rejected = decide(rt, payment_id, False, 2)
    assert (rejected.changed, rejected.state) == (True, "failed")
    (failed,) = [
        e for e in rt.store.load(payments.stream_of(payment_id)) if e.type == "payment.failed.v1"
    ]
    assert failed.data["reason"] == f"rejected by admin {ADMIN}"
    assert credits(rt) == []


def test_only_an_admin_decides_and_a_refused_decision_writes_nothing(rt: Runtime) -> None:
    payment_id = declare(rt).payment_id
    before = everything(rt)
    with pytest.raises(NotAdmin):
        decide(rt, payment_id, True, 2, admin=USER)
    with pytest.raises(NotAdmin):
        manual.credit(rt, admin_id=USER, payment_id=payment_id, paid=PLN_100, trace=update(3))
    with pytest.raises(payments.UnknownPayment):
        decide(rt, "nosuchpayment", True, 4)
    assert everything(rt) == before


def held_without_value(rt: Runtime, payment_id: str = "h2") -> str:
    """Money arrived and nobody said how much (NOWPayments without pay_amount)."""
    stream = payments.stream_of(payment_id)
    asked = Money(amount=10_000, currency="KES")
    request = payments.Request(payment_id, USER, "wallet_deposit", asked, "fake")
    rt.pipeline.execute(payments.payments, stream, request)
    rt.pipeline.execute(payments.payments, stream, payments.MarkStarted(f"ref-{payment_id}"))
    partial = Report(payment_id, "partially_paid", f"ref-{payment_id}", paid=None, verified=True)
    rt.pipeline.execute(payments.payments, stream, payments.Apply(partial, "callback"))
    return payment_id


def test_money_of_unknown_value_is_credited_only_at_the_amount_an_admin_states(
    rt: Runtime,
) -> None:
    held = held_without_value(rt)
    with pytest.raises(payments.AmountNeeded):
        decide(rt, held, True, 1)  # approving must not credit the asked amount
    with pytest.raises(manual.WrongCurrency):
        manual.credit(rt, admin_id=ADMIN, payment_id=held, paid=Money.of_minor(4_500, "USD"),
                      trace=update(2))  # fmt: skip
    assert manual.payment_currency(rt, held) == "KES"

    stated = Money.of_minor(4_500, "KES")
    first = manual.credit(rt, admin_id=ADMIN, payment_id=held, paid=stated, trace=update(3))
    again = manual.credit(rt, admin_id=ADMIN, payment_id=held, paid=stated, trace=update(4))

    assert first == manual.Decided(held, True, changed=True, state="succeeded", paid=stated)
    assert (again.changed, again.state) == (False, "succeeded")
    (credit,) = credits(rt)
    assert credit["amount"] == {"amount": 4_500, "currency": "KES"}
    assert audit(rt.store, rt.read_models) == []


def test_credit_of_an_unknown_payment_is_refused(rt: Runtime) -> None:
    with pytest.raises(payments.UnknownPayment):
        manual.payment_currency(rt, "0123456789ab")
    with pytest.raises(payments.UnknownPayment):
        manual.credit(rt, admin_id=ADMIN, payment_id="../x", paid=PLN_100, trace=update(1))
