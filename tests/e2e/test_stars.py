"""Telegram Stars end to end on the emulator stack: the fake Telegram takes the Stars.

/deposit stars -> the webhook answers with sendInvoice -> the user pays in the fake ->
pre_checkout_query answered ok by the webhook -> successful_payment -> Firestore -> Pub/Sub
push -> credit_deposits -> project_balances shows the Stars.
"""

from __future__ import annotations

import pytest

from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually
from tests.e2e.rails import CREDITED, SUCCEEDED, credited, event_types, open_wallet

pytestmark = pytest.mark.e2e


def test_a_stars_deposit_is_credited_once_after_paying_the_invoice(
    e2e_stack: LocalStack,
) -> None:
    telegram, user = e2e_stack.telegram, 8201
    open_wallet(e2e_stack, user)
    assert telegram.send_text(user, "/deposit stars 50").status == 200
    (invoice,) = telegram.calls("sendInvoice", chat_id=user)
    assert invoice.ok, invoice.response
    payment_id = invoice.params["payload"]

    paid = telegram.pay_invoice(user, invoice.response["result"]["message_id"])
    assert paid.approved
    assert paid.paid is not None
    assert paid.paid.status == 200
    assert telegram.deliver(paid.paid.update).status == 200  # Telegram redelivers it

    doc = eventually(lambda: credited(e2e_stack, user, "XTR"))
    assert doc["balances"] == {"XTR": 50}
    assert event_types(e2e_stack, f"payment-{payment_id}").count(SUCCEEDED) == 1
    assert event_types(e2e_stack, f"wallet-{user}").count(CREDITED) == 1
