"""When the rail chosen for a phone does not answer, the payment is taken on the next rail
of its route: one intent, one live payment (the first is closed before the second starts),
one credit; a rail that keeps failing is skipped until its cool-down ends, and /rails
shows it."""

from __future__ import annotations

from itertools import count

import pytest
from flask.testing import FlaskClient

from functions.domain import payments
from functions.payments.health import COOL_DOWN
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import FixedClock
from tests.builders import settings, text_update
from tests.functions.conftest import client_for, post_update
from tests.functions.fake_rail import FakeRail

pytestmark = pytest.mark.functions
UGANDAN = "+256772123456"
ADMIN = 900001
_updates = count(8000)


@pytest.fixture
def rails(memory_runtime: Runtime) -> dict[str, FakeRail]:
    made = {"mtnmomo": FakeRail(), "flutterwave": FakeRail()}
    memory_runtime.rail_overrides = dict(made)
    memory_runtime.settings = settings(public_base_url="https://soko.test", admin_ids=[ADMIN])
    return made


@pytest.fixture
def webhook(rails: dict[str, FakeRail]) -> FlaskClient:
    client = client_for("telegram_webhook")
    post_update(client, text_update("/start", user_id=7, update_id=next(_updates)))
    return client


def deposit(webhook: FlaskClient, update_id: int | None = None) -> str:
    update = text_update(
        f"/deposit 5000 {UGANDAN}", user_id=7, update_id=update_id or next(_updates)
    )
    return str(post_update(webhook, update).get_json()["text"])


def live(rt: Runtime) -> list[tuple[str, str]]:
    """(rail, state) of every payment that was not closed at its start."""
    found = []
    for stream in rt.store.streams():  # type: ignore[attr-defined]
        if stream.startswith("payment-"):
            state = rt.pipeline.current(payments.payments, stream)
            found.append((state.rail or "", state.state))
    return sorted(found)


def test_an_unavailable_mtn_start_is_taken_on_flutterwave_once_even_when_redelivered(
    memory_runtime: Runtime, webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    rails["mtnmomo"].down = True
    update_id = next(_updates)
    answer = deposit(webhook, update_id)
    assert "Paying with Flutterwave" in answer
    assert "MTN MoMo did not answer" in answer
    assert deposit(webhook, update_id) == answer  # Telegram re-sends the update
    assert len(rails["mtnmomo"].started) == 1
    assert len(rails["flutterwave"].started) == 1
    # The MTN payment failed at its start, before the Flutterwave one began: one is live.
    assert live(memory_runtime) == [("flutterwave", "pending"), ("mtnmomo", "failed")]


def test_a_failing_rail_is_skipped_while_its_breaker_is_open_and_tried_again_after(
    memory_runtime: Runtime, webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    rails["mtnmomo"].down = True
    for _ in range(3):
        deposit(webhook)
    assert len(rails["mtnmomo"].started) == 3
    answer = deposit(webhook)  # the breaker is open: MTN is not asked
    assert len(rails["mtnmomo"].started) == 3
    assert "(MTN MoMo is not available)" in answer
    rails["mtnmomo"].down = False
    clock: FixedClock = memory_runtime.clock  # type: ignore[assignment]
    clock.advance(seconds=COOL_DOWN.total_seconds() + 1)
    assert "Paying with MTN MoMo" in deposit(webhook)  # half-open: tried, and it answers
    assert memory_runtime.health().state("mtnmomo", clock.now()) == "closed"
    assert len(rails["flutterwave"].started) == 4


def test_a_start_whose_outcome_is_unknown_is_never_failed_over(
    memory_runtime: Runtime, webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    from functions.providers.base import OutcomeUnknown

    def unknown(request: object) -> object:
        raise OutcomeUnknown("mtn: timeout after the request went out")

    rails["mtnmomo"].start = unknown  # type: ignore[method-assign, assignment]
    deposit(webhook)
    assert rails["flutterwave"].started == []  # the MTN request may be live on the phone


def test_rails_shows_each_rails_state_success_rate_and_latency_to_admins(
    memory_runtime: Runtime, webhook: FlaskClient, rails: dict[str, FakeRail]
) -> None:
    rails["mtnmomo"].down = True
    for _ in range(3):
        deposit(webhook)
    update = text_update("/rails", user_id=ADMIN, update_id=next(_updates))
    shown = str(post_update(webhook, update).get_json()["text"])
    assert "MTN MoMo (mtnmomo): skipped for now (breaker open); 0% of 3 starts answered" in shown
    assert "Flutterwave (flutterwave): working; 100% of 3 starts answered, p50" in shown
    refused = text_update("/rails", user_id=7, update_id=next(_updates))
    assert "breaker" not in str(post_update(webhook, refused).get_json()["text"])
