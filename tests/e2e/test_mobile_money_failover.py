"""Failover on the emulator stack: with MTN's fake down, a Ugandan MTN number's deposit is
taken on Flutterwave: one live payment for the intent, one credit, MTN never reached; the
rail's health is on the shared board every instance reads. (The breaker's cool-down and its
closing on MTN's recovery are tests/functions/test_rail_failover.py's, on a fake clock.)"""

from __future__ import annotations

import pytest

from functions.runtime.firestore import client
from infra.local.payer import Payer
from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually, new_user
from tests.e2e.rails import CREDITED, SUCCEEDED, credited, event_types, open_wallet

pytestmark = pytest.mark.e2e
USER = new_user()


def test_mtn_down_sends_the_payment_through_flutterwave_once_and_credits_once(
    e2e_stack: LocalStack,
) -> None:
    fakes = e2e_stack.providers
    open_wallet(e2e_stack, USER)
    fakes.mtnmomo.outage("500")
    try:
        assert e2e_stack.telegram.send_text(USER, "/deposit 5000 +256772123456").status == 200
    finally:
        fakes.mtnmomo.outage(None)
    said = e2e_stack.telegram.messages_to(USER)[-1]
    assert "Paying with Flutterwave" in said
    assert "MTN MoMo did not answer" in said
    assert fakes.mtnmomo.requests == {}  # no request to pay ever reached MTN
    (charge,) = [c for c in fakes.flutterwave.charges.values() if c.phone == "256772123456"]

    payer = Payer(fakes.urls)
    assert payer.answer_mobile_money("flutterwave", charge.tx_ref).endswith(
        "1 callback answered 200"
    )
    doc = eventually(lambda: credited(e2e_stack, USER, "UGX"))
    assert doc["balances"] == {"UGX": 5000}
    assert event_types(e2e_stack, f"payment-{charge.tx_ref}").count(SUCCEEDED) == 1
    assert event_types(e2e_stack, f"wallet-{USER}").count(CREDITED) == 1
    # The failed start is on the board every instance reads.
    board = client(e2e_stack.project).collection("rail_health").document("mtnmomo").get()
    assert board.exists
