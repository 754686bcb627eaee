"""Telegram Stars deposits through the webhook: invoice, pre-checkout, payment, admin refund."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from events import Money
from functions.domain import payments, wallet
from functions.ops.ledger import audit
from functions.runtime.bootstrap import Runtime
from functions.telegram.bot_api import BotApiError
from tests.builders import (
    SCHEDULER_SECRET,
    button_update,
    pre_checkout_update,
    settings,
    text_update,
)
from tests.fakes.recording_bot import RecordingBot
from tests.functions.conftest import client_for, post_update

pytestmark = pytest.mark.functions
USER, OTHER, ADMIN = 7, 8, 99


@pytest.fixture
def bot(memory_runtime: Runtime) -> RecordingBot:
    memory_runtime.settings = settings(stars_enabled=True, admin_ids=frozenset({ADMIN}))
    memory_runtime.bot_override = recording = RecordingBot()
    return recording


@pytest.fixture
def webhook(bot: RecordingBot) -> FlaskClient:
    return client_for("telegram_webhook")


class Updates:
    """Distinct update ids, as Telegram numbers its updates."""

    def __init__(self) -> None:
        self.next_id = 1000

    def new(self) -> int:
        self.next_id += 1
        return self.next_id


@pytest.fixture
def ids() -> Updates:
    return Updates()


def send(webhook: FlaskClient, update: dict[str, Any]) -> Any:
    response = post_update(webhook, update)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def say(webhook: FlaskClient, ids: Updates, text: str, user_id: int = USER) -> Any:
    return send(webhook, text_update(text, user_id=user_id, update_id=ids.new()))


def paid_update(
    payload: str,
    total: int,
    charge: str,
    *,
    update_id: int,
    user_id: int = USER,
    kind: str = "successful_payment",
    currency: str = "XTR",
) -> dict[str, Any]:
    """A service message saying Telegram took (or gave back) Stars for an invoice of ours."""
    update = text_update("x", user_id=user_id, update_id=update_id)
    message = update["message"]
    for field in ("text", "entities"):
        message.pop(field)
    message[kind] = {
        "currency": currency,
        "total_amount": total,
        "invoice_payload": payload,
        "telegram_payment_charge_id": charge,
        "provider_payment_charge_id": f"{user_id}_{charge}",
    }
    return update


def invoice_for(webhook: FlaskClient, ids: Updates, stars: int = 50, user_id: int = USER) -> str:
    """Start a Stars deposit; the invoice's payload (our payment id)."""
    answer = say(webhook, ids, f"/deposit stars {stars}", user_id)
    assert answer["method"] == "sendInvoice"
    return str(answer["payload"])


def pay(webhook: FlaskClient, ids: Updates, payload: str, charge: str, stars: int = 50) -> Any:
    checkout = send(webhook, pre_checkout_update(payload, stars, user_id=USER, update_id=ids.new()))
    assert checkout["ok"] is True
    return send(webhook, paid_update(payload, stars, charge, update_id=ids.new()))


def written(rt: Runtime) -> list[Any]:
    store: Any = rt.store
    streams = [store.load(s) for s in store.streams()]
    return [streams, rt.read_models.all("payments"), rt.read_models.all("balances")]


def events_of(rt: Runtime, stream: str, type_name: str) -> list[dict[str, Any]]:
    return [dict(e.data) for e in rt.store.load(stream) if e.type == type_name]


def balance(rt: Runtime, user_id: int = USER) -> dict[str, int]:
    doc = rt.read_models.get("balances", str(user_id))
    return {c: a for c, a in (doc or {}).get("balances", {}).items() if a}


# -- starting a deposit ---------------------------------------------------------------------


def test_deposit_answers_with_an_xtr_invoice_whose_payload_is_the_pending_payment(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    answer = say(webhook, ids, "/deposit stars 50")
    assert answer["method"] == "sendInvoice"
    assert answer["chat_id"] == USER
    assert (answer["currency"], answer["provider_token"]) == ("XTR", "")
    assert answer["prices"] == [{"label": "50 Stars", "amount": 50}]
    doc = memory_runtime.read_models.get("payments", answer["payload"])
    assert doc is not None
    assert (doc["state"], doc["rail"], doc["user_id"]) == ("pending", "stars", USER)
    assert doc["amount"] == {"amount": 50, "currency": "XTR"}
    assert doc["provider_ref"] == answer["payload"]


def test_a_redelivered_deposit_update_resends_the_same_invoice(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    first = send(webhook, text_update("/deposit stars 50", user_id=USER, update_id=5))
    again = send(webhook, text_update("/deposit stars 50", user_id=USER, update_id=5))
    assert again["payload"] == first["payload"]
    assert memory_runtime.store.streams("payment") == [f"payment-{first['payload']}"]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0", "positive"), ("10001", "1 to 10,000 Stars"), ("1.5", "decimal"), ("x", "number")],
)
def test_amounts_outside_whole_stars_1_to_10000_start_nothing(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime, amount: str, expected: str
) -> None:
    answer = say(webhook, ids, f"/deposit stars {amount}")
    assert answer["method"] == "sendMessage"
    assert expected in answer["text"]
    assert memory_runtime.store.streams("payment") == []


def test_stars_are_not_offered_unless_enabled(memory_runtime: Runtime, ids: Updates) -> None:
    webhook = client_for("telegram_webhook")  # default settings: stars_enabled is False
    answer = say(webhook, ids, "/deposit stars 50")
    assert answer["text"] == "Deposits are not available right now."
    assert memory_runtime.store.streams("payment") == []


# -- paying -----------------------------------------------------------------------------------


def test_a_paid_invoice_credits_the_wallet_once_however_often_telegram_repeats_it(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    say(webhook, ids, "/start")
    payload = invoice_for(webhook, ids)

    first = pay(webhook, ids, payload, "stxA1")
    repeats = [
        send(webhook, paid_update(payload, 50, "stxA1", update_id=ids.new())) for _ in range(5)
    ]

    assert first["text"] == f"Payment received: XTR 50 goes to your wallet (ref {payload})."
    assert {r["text"] for r in repeats} == {"This payment was already received."}
    assert balance(memory_runtime) == {"XTR": 50}
    credits = events_of(memory_runtime, f"wallet-{USER}", "wallet.credited.v1")
    assert [c["reference"] for c in credits] == [f"payment:{payload}"]
    (succeeded,) = events_of(memory_runtime, f"payment-{payload}", "payment.succeeded.v1")
    # Bound by the invoice payload (our id); the charge is the money's own id.
    assert (succeeded["receipt"], succeeded["transfer_ref"]) == ("stxA1", "stxA1")
    assert succeeded["provider_ref"] == payload
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_a_paid_invoice_cannot_be_paid_again(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    payload = invoice_for(webhook, ids)
    pay(webhook, ids, payload, "stxA1")
    again = send(webhook, pre_checkout_update(payload, 50, user_id=USER, update_id=ids.new()))
    assert again["ok"] is False
    assert "already paid" in again["error_message"]


def refused_checkout(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime, **change: Any
) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """A pre-checkout query for a fresh invoice with `change` applied to the query."""
    payload = invoice_for(webhook, ids)
    update = pre_checkout_update(payload, 50, user_id=USER, update_id=ids.new())
    query = update["pre_checkout_query"]
    query.update(change)
    if "from_id" in change:
        query["from"]["id"] = query.pop("from_id")
    before = written(memory_runtime)
    answer = send(webhook, update)
    return answer, before, written(memory_runtime)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"total_amount": 49}, "amount does not match"),
        ({"total_amount": 5000}, "amount does not match"),
        ({"invoice_payload": "0123456789ab"}, "not valid"),
        ({"invoice_payload": "../../users/7"}, "not valid"),
        ({"invoice_payload": ""}, "not valid"),
        ({"from_id": OTHER}, "someone else"),
        ({"currency": "USD"}, "Telegram Stars"),
    ],
)
def test_pre_checkout_refuses_what_is_not_an_open_stars_payment_of_this_user_and_writes_nothing(
    webhook: FlaskClient,
    ids: Updates,
    memory_runtime: Runtime,
    change: dict[str, Any],
    expected: str,
) -> None:
    answer, before, after = refused_checkout(webhook, ids, memory_runtime, **change)
    assert answer["method"] == "answerPreCheckoutQuery"
    assert answer["ok"] is False
    assert expected in answer["error_message"]
    assert after == before


def test_pre_checkout_for_a_deposit_on_another_rail_is_refused(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    command = payments.Request(
        "abcdefabcdef", USER, "wallet_deposit", Money.of_minor(50, "XTR"), "x1"
    )
    memory_runtime.pipeline.execute(payments.payments, "payment-abcdefabcdef", command)
    answer = send(webhook, pre_checkout_update("abcdefabcdef", 50, user_id=USER, update_id=1))
    assert answer["ok"] is False


@pytest.mark.parametrize(
    "paid",
    [
        {"total_amount": "50"},
        {"total_amount": True},
        {"total_amount": 0},
        {"telegram_payment_charge_id": ""},
        {"telegram_payment_charge_id": 12345},
        {"invoice_payload": None},
        {"currency": 1},
    ],
)
def test_a_malformed_successful_payment_is_400_and_writes_nothing(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime, paid: dict[str, Any]
) -> None:
    payload = invoice_for(webhook, ids)
    update = paid_update(payload, 50, "stxA1", update_id=ids.new())
    update["message"]["successful_payment"].update(paid)
    before = written(memory_runtime)
    assert post_update(webhook, update).status_code == 400
    assert written(memory_runtime) == before


def test_a_successful_payment_that_is_not_an_object_is_400(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    update = paid_update("0123456789ab", 50, "stxA1", update_id=ids.new())
    update["message"]["successful_payment"] = "paid"
    assert post_update(webhook, update).status_code == 400
    assert memory_runtime.store.streams() == []


def test_a_successful_payment_for_an_unknown_invoice_credits_nothing_and_says_so(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    answer = send(webhook, paid_update("0123456789ab", 50, "stxZZ", update_id=ids.new()))
    assert "nothing was added to your wallet" in answer["text"]
    assert "stxZZ" in answer["text"]  # what an admin needs to find the charge
    assert memory_runtime.store.streams() == []


def test_a_successful_payment_for_another_users_invoice_credits_nothing(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    payload = invoice_for(webhook, ids)
    before = written(memory_runtime)
    update = paid_update(payload, 50, "stxB1", update_id=ids.new(), user_id=OTHER)
    assert "nothing was added" in send(webhook, update)["text"]
    assert written(memory_runtime) == before


def test_a_successful_payment_in_an_unknown_currency_credits_nothing(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    payload = invoice_for(webhook, ids)
    before = written(memory_runtime)
    update = paid_update(payload, 50, "stxA1", update_id=ids.new(), currency="ZZZ")
    assert "nothing was added" in send(webhook, update)["text"]
    assert written(memory_runtime) == before


def test_a_payment_of_another_amount_is_held_for_an_admin_not_credited(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    payload = invoice_for(webhook, ids)
    answer = send(webhook, paid_update(payload, 49, "stxA1", update_id=ids.new()))
    assert "an admin checks it" in answer["text"]
    assert memory_runtime.read_models.get("payments", payload)["state"] == "held"  # type: ignore[index]
    assert balance(memory_runtime) == {}


# -- jobs ------------------------------------------------------------------------------------


def test_payment_jobs_skip_stars_and_expire_an_unpaid_invoice_after_a_day(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    payload = invoice_for(webhook, ids)
    jobs = client_for("scheduled_job")
    headers = {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}
    clock: Any = memory_runtime.clock
    clock.advance(hours=1)

    reconciled = jobs.post("/", json={"job": "reconcile-payments"}, headers=headers)
    early = jobs.post("/", json={"job": "expire-payments"}, headers=headers).get_json()
    clock.advance(hours=24)
    late = jobs.post("/", json={"job": "expire-payments"}, headers=headers).get_json()
    checkout = send(webhook, pre_checkout_update(payload, 50, user_id=USER, update_id=ids.new()))

    assert reconciled.status_code == 200
    assert reconciled.get_json()["settled"] == 0
    assert (early["expired"], late["expired"]) == (0, 1)
    assert memory_runtime.read_models.get("payments", payload)["state"] == "expired"  # type: ignore[index]
    assert checkout["ok"] is False


# -- refunds ---------------------------------------------------------------------------------


def paid_deposit(webhook: FlaskClient, ids: Updates, charge: str = "stxA1") -> str:
    payload = invoice_for(webhook, ids)
    pay(webhook, ids, payload, charge)
    return payload


def test_an_admin_refund_calls_telegram_and_debits_the_wallet_once(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime, bot: RecordingBot
) -> None:
    payload = paid_deposit(webhook, ids)

    first = say(webhook, ids, f"/refund {payload}", ADMIN)
    second = say(webhook, ids, f"/refund {payload}", ADMIN)

    assert first["text"] == f"Refunded XTR 50 to user {USER} ({payload})."
    assert "already refunded" in second["text"]
    assert bot.calls == [
        ("refundStarPayment", {"user_id": USER, "telegram_payment_charge_id": "stxA1"})
    ]
    debits = events_of(memory_runtime, f"wallet-{USER}", "wallet.debited.v1")
    assert [(d["reference"], d["amount"]["amount"]) for d in debits] == [
        (f"refund:payment:{payload}", 50)
    ]
    (refund,) = events_of(memory_runtime, f"payment-{payload}", "payment.refunded.v1")
    assert (refund["admin_id"], refund["refund_ref"]) == (ADMIN, "stxA1")
    assert memory_runtime.read_models.get("payments", payload)["state"] == "refunded"  # type: ignore[index]
    assert balance(memory_runtime) == {}
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_a_non_admin_cannot_refund_and_nothing_is_written(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime, bot: RecordingBot
) -> None:
    payload = paid_deposit(webhook, ids)
    before = written(memory_runtime)
    answer = say(webhook, ids, f"/refund {payload}", USER)
    assert answer["text"] == "This command is for shop admins."
    assert bot.calls == []
    assert written(memory_runtime) == before


def test_a_refund_of_stars_already_spent_is_refused_without_calling_telegram(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime, bot: RecordingBot
) -> None:
    payload = paid_deposit(webhook, ids)
    spent = wallet.Debit(USER, Money.of_minor(30, "XTR"), "order", "order:o1")
    memory_runtime.pipeline.execute(wallet.wallets, f"wallet-{USER}", spent)
    before = written(memory_runtime)

    answer = say(webhook, ids, f"/refund {payload}", ADMIN)

    assert answer["text"].startswith(f"Not refunded: user {USER} holds XTR 20")
    assert bot.calls == []
    assert written(memory_runtime) == before


@pytest.mark.parametrize(
    ("argument", "expected"),
    [("", "Usage"), ("not/an/id", "Usage"), ("0123456789ab", "No such payment")],
)
def test_refund_of_nothing_explains_and_writes_nothing(
    webhook: FlaskClient,
    ids: Updates,
    memory_runtime: Runtime,
    bot: RecordingBot,
    argument: str,
    expected: str,
) -> None:
    answer = say(webhook, ids, f"/refund {argument}", ADMIN)
    assert expected in answer["text"]
    assert bot.calls == []
    assert memory_runtime.store.streams() == []


def test_an_unpaid_invoice_cannot_be_refunded(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime, bot: RecordingBot
) -> None:
    payload = invoice_for(webhook, ids)
    answer = say(webhook, ids, f"/refund {payload}", ADMIN)
    assert "only a paid one can be refunded" in answer["text"]
    assert bot.calls == []


class RefusingBot(RecordingBot):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error

    def call(self, method: str, params: dict[str, Any]) -> Any:
        super().call(method, params)
        raise BotApiError(f"{method}: HTTP 400 Bad Request: {self.error}")


def test_a_refund_telegram_refuses_records_nothing(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    payload = paid_deposit(webhook, ids)
    memory_runtime.bot_override = RefusingBot("CHARGE_NOT_FOUND")
    before = written(memory_runtime)
    answer = say(webhook, ids, f"/refund {payload}", ADMIN)
    assert "Telegram did not refund" in answer["text"]
    assert written(memory_runtime) == before


def test_a_refund_telegram_already_made_is_recorded(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    # An earlier /refund reached Telegram but died before recording it.
    payload = paid_deposit(webhook, ids)
    memory_runtime.bot_override = RefusingBot("CHARGE_ALREADY_REFUNDED")
    say(webhook, ids, f"/refund {payload}", ADMIN)
    assert memory_runtime.read_models.get("payments", payload)["state"] == "refunded"  # type: ignore[index]
    assert balance(memory_runtime) == {}


def test_telegrams_refunded_payment_message_refunds_and_debits_once(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime, bot: RecordingBot
) -> None:
    payload = paid_deposit(webhook, ids)
    for _ in range(3):
        update = paid_update(payload, 50, "stxA1", update_id=ids.new(), kind="refunded_payment")
        answer = send(webhook, update)
    after_admin = say(webhook, ids, f"/refund {payload}", ADMIN)

    assert "was refunded" in answer["text"]
    assert "already refunded" in after_admin["text"]
    assert bot.calls == []
    debits = events_of(memory_runtime, f"wallet-{USER}", "wallet.debited.v1")
    assert len(debits) == 1
    assert len(events_of(memory_runtime, f"payment-{payload}", "payment.refunded.v1")) == 1
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_a_refunded_payment_message_for_another_charge_changes_nothing(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    payload = paid_deposit(webhook, ids)
    before = written(memory_runtime)
    update = paid_update(payload, 50, "stxOTHER", update_id=ids.new(), kind="refunded_payment")
    assert "no deposit for" in send(webhook, update)["text"]
    assert written(memory_runtime) == before


# -- a second charge for one invoice -------------------------------------------------------


def twice_paid(webhook: FlaskClient, ids: Updates) -> tuple[str, Any, Any]:
    """Both pre-checkouts answered ok before either payment arrived, then two charges."""
    payload = invoice_for(webhook, ids)
    for _ in range(2):
        checkout = pre_checkout_update(payload, 50, user_id=USER, update_id=ids.new())
        assert send(webhook, checkout)["ok"] is True
    first = send(webhook, paid_update(payload, 50, "stxA1", update_id=ids.new()))
    second = send(webhook, paid_update(payload, 50, "stxA2", update_id=ids.new()))
    return payload, first, second


def repeat_of(rt: Runtime, payload: str) -> dict[str, Any]:
    (doc,) = [d for d in rt.read_models.all("payments").values() if d.get("repeat_of") == payload]
    return doc


def test_a_second_charge_for_one_invoice_is_recorded_and_held_for_an_admin(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    payload, first, second = twice_paid(webhook, ids)

    assert first["text"] == f"Payment received: XTR 50 goes to your wallet (ref {payload})."
    held = repeat_of(memory_runtime, payload)
    assert held["state"] == "held"
    assert held["hold_reason"] == "repeat_payment"
    assert (held["user_id"], held["arrived"], held["transfer_ref"]) == (
        USER,
        {"amount": 50, "currency": "XTR"},
        "stxA2",
    )
    assert held["payment_id"] in second["text"]
    assert "second payment" in second["text"]
    assert balance(memory_runtime) == {"XTR": 50}  # the second charge is not credited yet
    # Telegram re-sending the second charge opens nothing more.
    send(webhook, paid_update(payload, 50, "stxA2", update_id=ids.new()))
    assert len(memory_runtime.read_models.all("payments")) == 2
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_an_admin_credits_a_held_second_charge_once(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime
) -> None:
    payload, _, _ = twice_paid(webhook, ids)
    repeat_id = repeat_of(memory_runtime, payload)["payment_id"]
    for _ in range(2):  # a second tap changes nothing
        tap = button_update(f"adm:ok:{repeat_id}", user_id=ADMIN, update_id=ids.new())
        assert post_update(webhook, tap).status_code == 200
    assert balance(memory_runtime) == {"XTR": 100}
    credits = events_of(memory_runtime, f"wallet-{USER}", "wallet.credited.v1")
    assert sorted(c["reference"] for c in credits) == sorted(
        [f"payment:{payload}", f"payment:{repeat_id}"]
    )
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_an_admin_refunds_a_held_second_charge_without_touching_the_wallet(
    webhook: FlaskClient, ids: Updates, memory_runtime: Runtime, bot: RecordingBot
) -> None:
    payload, _, _ = twice_paid(webhook, ids)
    repeat_id = repeat_of(memory_runtime, payload)["payment_id"]

    answer = say(webhook, ids, f"/refund {repeat_id}", ADMIN)

    assert "never credited" in answer["text"]
    assert ("refundStarPayment", {"user_id": USER, "telegram_payment_charge_id": "stxA2"}) in (
        bot.calls
    )
    assert memory_runtime.read_models.get("payments", repeat_id)["state"] == "failed"  # type: ignore[index]
    assert balance(memory_runtime) == {"XTR": 50}
    assert events_of(memory_runtime, f"wallet-{USER}", "wallet.debited.v1") == []
    assert audit(memory_runtime.store, memory_runtime.read_models) == []
