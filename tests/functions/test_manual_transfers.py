"""Manual transfers through the webhook: declare, admins approve or reject with a tap, once."""

from __future__ import annotations

import html
from typing import Any, cast

import pytest
from flask.testing import FlaskClient

from events import Money
from functions.domain import payments
from functions.notifications.endpoint import sender_for
from functions.notifications.sender import Pacer
from functions.ops.ledger import audit
from functions.providers.base import Report
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import MemoryPublisher
from tests.builders import button_update, settings, text_update
from tests.fakes.recording_bot import RecordingBot
from tests.functions.conftest import client_for, everything_written, post_update
from tests.functions.test_notifications import ManualClock
from tests.functions.test_project_balances import push_body

pytestmark = pytest.mark.functions
USER, ADMIN, OTHER_ADMIN = 7, 99, 98
DETAILS = "mBank PL61 1090 1014 0000 0712 1981 2874 <BLIK +48 600 100 200>"


class Bus:
    """Pushes what the memory publisher saw since last time to the `notify` entry point."""

    def __init__(self, rt: Runtime) -> None:
        self.publisher = cast(MemoryPublisher, rt.publisher)
        self.seen = 0
        self.notify = client_for("notify", "cloudevent")

    def pump(self) -> None:
        fresh = self.publisher.published[self.seen :]
        self.seen += len(fresh)
        for event in fresh:
            if event.category in {"payment", "wallet"}:
                assert self.notify.post("/", json=push_body(event)).status_code == 200


@pytest.fixture
def bot(memory_runtime: Runtime) -> RecordingBot:
    memory_runtime.settings = settings(
        admin_ids=frozenset({ADMIN, OTHER_ADMIN}), manual_transfer_details=DETAILS
    )
    recording = RecordingBot()
    memory_runtime.bot_override = recording
    clock = ManualClock()
    sender_for(memory_runtime).pacer = Pacer(clock=clock, sleep=clock.sleep)
    return recording


@pytest.fixture
def webhook(bot: RecordingBot) -> FlaskClient:
    return client_for("telegram_webhook")


@pytest.fixture
def bus(memory_runtime: Runtime, bot: RecordingBot) -> Bus:
    return Bus(memory_runtime)


def say(webhook: FlaskClient, text: str, update_id: int, user_id: int = USER) -> dict[str, Any]:
    answer: dict[str, Any] = post_update(
        webhook, text_update(text, user_id=user_id, update_id=update_id)
    ).get_json()
    return answer


def tap(webhook: FlaskClient, data: str, user_id: int, update_id: int) -> dict[str, Any]:
    answer: dict[str, Any] = post_update(
        webhook, button_update(data, user_id=user_id, update_id=update_id)
    ).get_json()
    return answer


def declare(webhook: FlaskClient, rt: Runtime, update_id: int = 2) -> str:
    say(webhook, "/start", 1)
    say(webhook, "/deposit bank 100.00 JAN-7", update_id)
    (doc,) = [d for d in rt.read_models.all("payments").values() if d["rail"] == "manual"]
    return str(doc["payment_id"])


def sent(bot: RecordingBot, chat_id: int) -> list[dict[str, Any]]:
    return [p for m, p in bot.calls if m == "sendMessage" and p["chat_id"] == chat_id]


def credits(rt: Runtime) -> list[Any]:
    return [e for e in rt.store.load(f"wallet-{USER}") if e.type == "wallet.credited.v1"]


def test_declared_approved_credited_once_and_the_user_told(
    webhook: FlaskClient, bus: Bus, bot: RecordingBot, memory_runtime: Runtime
) -> None:
    say(webhook, "/start", 1)
    answer = say(webhook, "/deposit bank 100.00 JAN-7", 2)
    assert html.escape(DETAILS) in answer["text"]
    assert "Send PLN 100.00 to:" in answer["text"]
    assert "<code>JAN-7</code>" in answer["text"]
    (doc,) = memory_runtime.read_models.all("payments").values()
    payment_id = doc["payment_id"]
    assert (doc["rail"], doc["state"], doc["provider_ref"]) == ("manual", "pending", "JAN-7")
    assert doc["needs_admin"] is True

    bus.pump()
    for admin in (ADMIN, OTHER_ADMIN):
        (notice,) = sent(bot, admin)
        assert "Wanjiru (id 7)" in notice["text"]
        assert "<code>JAN-7</code>" in notice["text"]
        buttons = notice["reply_markup"]["inline_keyboard"][0]
        assert [b["callback_data"] for b in buttons] == [
            f"adm:ok:{payment_id}",
            f"adm:no:{payment_id}",
        ]
    assert sent(bot, USER) == []

    edit = tap(webhook, f"adm:ok:{payment_id}", ADMIN, 3)
    assert edit["method"] == "editMessageText"
    assert (edit["chat_id"], edit["message_id"]) == (ADMIN, 7)
    assert edit["text"].endswith(f"{payment_id}: ✅ Approved by Amina (id {ADMIN}).")
    assert "reply_markup" not in edit  # the buttons are gone
    (spinner,) = [p for m, p in bot.calls if m == "answerCallbackQuery"]  # out of band
    assert spinner == {"callback_query_id": "cq-3", "text": f"✅ Approved by Amina (id {ADMIN})."}

    assert len(credits(memory_runtime)) == 1
    assert memory_runtime.read_models.get("balances", str(USER))["balances"] == {"PLN": 10_000}  # type: ignore[index]
    assert memory_runtime.read_models.get("payments", payment_id)["needs_admin"] is False  # type: ignore[index]
    bus.pump()
    (told,) = sent(bot, USER)
    assert told["text"] == "Your deposit of PLN 100.00 was credited."
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_a_second_tap_and_telegram_resending_the_tap_change_nothing(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    payment_id = declare(webhook, memory_runtime)
    first = tap(webhook, f"adm:ok:{payment_id}", ADMIN, 3)
    assert tap(webhook, f"adm:ok:{payment_id}", ADMIN, 3) == first  # the same update again
    again = tap(webhook, f"adm:ok:{payment_id}", ADMIN, 4)
    assert again["text"].endswith("Already approved: this tap changed nothing.")
    assert len(credits(memory_runtime)) == 1
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


def test_two_admins_tapping_settle_it_once_whatever_the_second_chose(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    payment_id = declare(webhook, memory_runtime)
    tap(webhook, f"adm:ok:{payment_id}", ADMIN, 3)
    late = tap(webhook, f"adm:no:{payment_id}", OTHER_ADMIN, 4)
    assert late["method"] == "editMessageText"
    assert late["chat_id"] == OTHER_ADMIN
    assert late["text"].endswith("Already approved: this tap changed nothing.")
    assert memory_runtime.read_models.get("payments", payment_id)["state"] == "succeeded"  # type: ignore[index]
    assert len(credits(memory_runtime)) == 1


def test_a_non_admins_tap_is_refused_and_writes_nothing(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    payment_id = declare(webhook, memory_runtime)
    before = everything_written(memory_runtime)
    answer = tap(webhook, f"adm:ok:{payment_id}", USER, 3)
    assert answer["method"] == "answerCallbackQuery"
    assert answer["show_alert"] is True
    assert answer["text"].startswith("Not allowed")
    assert everything_written(memory_runtime) == before


def test_a_rejected_transfer_credits_nothing_and_tells_the_user(
    webhook: FlaskClient, bus: Bus, bot: RecordingBot, memory_runtime: Runtime
) -> None:
    payment_id = declare(webhook, memory_runtime)
    edit = tap(webhook, f"adm:no:{payment_id}", ADMIN, 3)
    assert edit["text"].endswith(f"❌ Rejected by Amina (id {ADMIN}).")
    assert memory_runtime.read_models.get("payments", payment_id)["state"] == "failed"  # type: ignore[index]
    assert credits(memory_runtime) == []
    bus.pump()
    (told,) = sent(bot, USER)
    assert f"PLN 100.00 (ref <code>{payment_id}</code>) did not go through" in told["text"]
    assert audit(memory_runtime.store, memory_runtime.read_models) == []


@pytest.mark.parametrize(
    "text",
    [
        "/deposit bank abc JAN-7",
        "/deposit bank 100",  # no reference
        "/deposit bank 100 ab",  # too short to find in a statement
        "/deposit bank 100 <b>x</b>",
        "/deposit bank 1.001 JAN-7",  # PLN has two decimals
        "/deposit bank -5 JAN-7",
        "/deposit bank 0 JAN-7",
        "/deposit bank 100 PLN-" + "X" * 40,
    ],
)
def test_malformed_declarations_are_explained_and_record_nothing(
    webhook: FlaskClient, memory_runtime: Runtime, text: str
) -> None:
    answer = say(webhook, text, 2)
    assert "/deposit bank 100.00 REF123" in answer["text"]
    assert memory_runtime.store.streams("payment") == []


def test_telegram_resending_a_declaration_records_one_payment(
    webhook: FlaskClient, bus: Bus, bot: RecordingBot, memory_runtime: Runtime
) -> None:
    declare(webhook, memory_runtime, update_id=2)
    say(webhook, "/deposit bank 100.00 JAN-7", 2)
    assert len(memory_runtime.store.streams("payment")) == 1
    bus.pump()
    assert len(sent(bot, ADMIN)) == 1


@pytest.mark.parametrize(
    "overrides",
    [{"manual_transfer_details": None}, {"admin_ids": frozenset()}],
)
def test_without_details_or_admins_bank_transfers_are_not_offered(
    memory_runtime: Runtime, overrides: dict[str, Any]
) -> None:
    values: dict[str, Any] = {"admin_ids": frozenset({ADMIN}), "manual_transfer_details": DETAILS}
    memory_runtime.settings = settings(**{**values, **overrides})
    webhook = client_for("telegram_webhook")
    assert "bank" not in say(webhook, "/deposit", 1)["text"]
    say(webhook, "/deposit bank 100 JAN-7", 2)
    assert memory_runtime.store.streams("payment") == []


def test_the_currency_is_a_setting(memory_runtime: Runtime) -> None:
    memory_runtime.settings = settings(
        admin_ids=frozenset({ADMIN}),
        manual_transfer_details=DETAILS,
        manual_transfer_currency="EUR",
    )
    answer = say(client_for("telegram_webhook"), "/deposit bank 25.50 JAN-7", 1)
    assert "Send EUR 25.50 to:" in answer["text"]


def test_a_tap_on_an_unknown_payment_or_a_garbled_button_writes_nothing(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    before = everything_written(memory_runtime)
    assert tap(webhook, "adm:ok:nosuchpayment", ADMIN, 3)["text"] == "No such payment."
    garbled = tap(webhook, "adm:maybe:x", ADMIN, 4)
    assert garbled["method"] == "answerCallbackQuery"
    assert everything_written(memory_runtime) == before


def held_payment(rt: Runtime, payment_id: str = "h1", arrived: int | None = 6_000) -> str:
    """A payment held for paying less than asked (`arrived` None: nobody said how much)."""
    stream = payments.stream_of(payment_id)
    asked = Money(amount=10_000, currency="KES")
    request = payments.Request(payment_id, USER, "wallet_deposit", asked, "fake")
    rt.pipeline.execute(payments.payments, stream, request)
    rt.pipeline.execute(payments.payments, stream, payments.MarkStarted(f"ref-{payment_id}"))
    paid = Money(amount=arrived, currency="KES") if arrived is not None else None
    partial = Report(payment_id, "partially_paid", f"ref-{payment_id}", paid=paid, verified=True)
    rt.pipeline.execute(payments.payments, stream, payments.Apply(partial, "callback"))
    return payment_id


def test_held_lists_what_waits_for_an_admin_and_a_tap_there_keeps_the_other_buttons(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    manual = declare(webhook, memory_runtime)
    held = held_payment(memory_runtime)
    listing = say(webhook, "/held", 3, user_id=ADMIN)
    assert "held (partially paid), arrived KES 60.00" in listing["text"]
    assert "transfer, reference <code>JAN-7</code>" in listing["text"]
    rows = listing["reply_markup"]["inline_keyboard"]
    assert {row[0]["callback_data"] for row in rows} == {f"adm:ok:{manual}", f"adm:ok:{held}"}

    update = button_update(f"adm:ok:{held}", user_id=ADMIN, update_id=4)
    update["callback_query"]["message"] |= {
        "text": "Waiting…",
        "reply_markup": {"inline_keyboard": rows},
    }
    edit = post_update(webhook, update).get_json()
    assert [r[0]["callback_data"] for r in edit["reply_markup"]["inline_keyboard"]] == [
        f"adm:ok:{manual}"
    ]
    # Approving a held payment credits what arrived, not what was asked.
    (credit,) = credits(memory_runtime)
    assert credit.data["amount"] == {"amount": 6_000, "currency": "KES"}
    assert audit(memory_runtime.store, memory_runtime.read_models) == []
    remaining = say(webhook, "/held", 5, user_id=ADMIN)
    assert held not in remaining["text"]
    assert manual in remaining["text"]


def test_held_for_a_non_admin_is_refused_like_every_admin_command(webhook: FlaskClient) -> None:
    assert say(webhook, "/held", 1)["text"] == "This command is for shop admins."


def test_nothing_held(webhook: FlaskClient) -> None:
    assert say(webhook, "/held", 1, user_id=ADMIN)["text"] == "Nothing waits for an admin."


def test_money_of_unknown_value_is_approved_only_with_the_amount_an_admin_states(
    webhook: FlaskClient, memory_runtime: Runtime
) -> None:
    held = held_payment(memory_runtime, "h2", arrived=None)  # NOWPayments without pay_amount
    refused = tap(webhook, f"adm:ok:{held}", ADMIN, 1)
    assert refused["method"] == "answerCallbackQuery"
    # An alert is plain text: the placeholders read as typed, never as HTML entities.
    assert refused["text"] == f"Nothing says what arrived: send /credit {held} <amount> <currency>."
    assert credits(memory_runtime) == []  # Approve never credits the asked amount

    assert say(webhook, f"/credit {held} 45", 2)["text"] == "This command is for shop admins."
    assert say(webhook, f"/credit {held} 45 USD", 3, user_id=ADMIN)["text"] == (
        "Amount must be in KES, not USD\n"
        "Usage: /credit &lt;payment id&gt; &lt;amount&gt; &lt;currency&gt;, e.g. 12.50 USD"
    )
    assert say(webhook, f"/credit {held} 45", 4, user_id=ADMIN)["text"] == (
        f"✅ Approved KES 45.00 for {held}."
    )
    again = say(webhook, f"/credit {held} 90", 5, user_id=ADMIN)["text"]
    assert again == "Already approved: nothing changed."
    (credit,) = credits(memory_runtime)
    assert credit.data["amount"] == {"amount": 4_500, "currency": "KES"}
    assert audit(memory_runtime.store, memory_runtime.read_models) == []
