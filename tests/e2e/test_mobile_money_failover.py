"""Failover on the emulator stack: with MTN's fake down, a Ugandan MTN number's deposit is
taken on Flutterwave: one live payment for the intent, one credit, MTN never reached; the
rail's health is on the shared board every instance reads. When MTN keeps failing its
breaker opens (MTN is not even asked), and once MTN answers again and the cool-down has
passed on the stack's clock, the next payment goes to MTN, credits, and closes the breaker.

MTN "down" here is every call answering 500 before our side holds an MTN token, so each
start fails at the token, provably before a request to pay was sent: unavailable, failed
over. (With a token in hand, a request to pay answered 500 may have been done, and is an
unknown outcome that is never failed over: tests/functions/test_rail_failover.py.)
"""

from __future__ import annotations

import pytest

from functions.payments.health import COOL_DOWN, MIN_FAILURES
from functions.runtime.firestore import client
from infra.local.payer import Payer
from infra.local.stack import LOCAL_ADMIN_ID, LocalStack
from tests.e2e.conftest import eventually, new_user
from tests.e2e.rails import CREDITED, SUCCEEDED, credited, event_types, open_wallet

pytestmark = pytest.mark.e2e
USER = new_user()
UGANDAN = "+256772123456"


def _said(stack: LocalStack, user_id: int, text: str) -> str:
    assert stack.telegram.send_text(user_id, text).status == 200
    return stack.telegram.messages_to(user_id)[-1]


def test_mtn_down_sends_the_payment_through_flutterwave_once_and_credits_once(
    e2e_stack: LocalStack,
) -> None:
    fakes = e2e_stack.providers
    open_wallet(e2e_stack, USER)
    fakes.mtnmomo.outage("500")
    try:
        said = _said(e2e_stack, USER, f"/deposit 5000 {UGANDAN}")
    finally:
        fakes.mtnmomo.outage(None)
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


def test_mtns_breaker_opens_while_it_fails_and_closes_when_it_answers_after_the_cool_down(
    e2e_stack: LocalStack,
) -> None:
    fakes, user = e2e_stack.providers, new_user()
    open_wallet(e2e_stack, user)
    fakes.mtnmomo.outage("500")
    try:
        # Each failure fails over; once MIN_FAILURES are on the board (the test above left
        # one) the breaker opens, and the next payer is sent on without asking MTN.
        for _ in range(MIN_FAILURES + 1):
            asked = len(fakes.mtnmomo.hits)
            said = _said(e2e_stack, user, f"/deposit 100 {UGANDAN}")
            if "(MTN MoMo is not available)" in said:
                break
            assert "MTN MoMo did not answer" in said
        else:
            pytest.fail(f"MTN's breaker did not open after {MIN_FAILURES} failures")
        assert len(fakes.mtnmomo.hits) == asked  # skipped: MTN was not called at all
        assert "skipped for now (breaker open)" in _said(e2e_stack, LOCAL_ADMIN_ID, "/rails")
    finally:
        fakes.mtnmomo.outage(None)

    # MTN is back; the cool-down passes on the stack's clock (every function reads it).
    e2e_stack.clock.advance(COOL_DOWN.total_seconds() + 5)
    try:
        said = _said(e2e_stack, user, f"/deposit 7000 {UGANDAN}")
        assert "Paying with MTN MoMo" in said  # half-open: MTN is tried, and it answers
        (request,) = [r for r in fakes.mtnmomo.requests.values() if r.amount == "7000"]
        payer = Payer(fakes.urls)
        assert payer.answer_mobile_money("mtnmomo", request.external_id).endswith(
            "1 callback answered 200"
        )
        doc = eventually(lambda: credited(e2e_stack, user, "UGX"), timeout=60)
        assert doc["balances"] == {"UGX": 7000}  # the Flutterwave prompts were never paid
        rails = _said(e2e_stack, LOCAL_ADMIN_ID, "/rails")
        assert "MTN MoMo (mtnmomo): working" in rails
        assert "Paying with MTN MoMo" in _said(e2e_stack, user, f"/deposit 100 {UGANDAN}")
    finally:
        e2e_stack.clock.advance(-(COOL_DOWN.total_seconds() + 5))  # other tests: real time
    assert event_types(e2e_stack, f"payment-{request.external_id}").count(SUCCEEDED) == 1
