"""A body nested too deep for the JSON parser is a sender's garbage: 400, nothing written."""

from __future__ import annotations

import pytest

from functions.runtime.bootstrap import Runtime
from tests.builders import SCHEDULER_SECRET, WEBHOOK_SECRET
from tests.functions.conftest import client_for, everything_written
from tests.functions.fake_rail import PATH_SECRET, FakeRail

pytestmark = pytest.mark.functions
DEEP = b"[" * 5_000 + b"]" * 5_000  # 10 kB, far past the parser's recursion limit


@pytest.mark.parametrize(
    ("target", "path", "headers"),
    [
        ("telegram_webhook", "/", {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}),
        ("scheduled_job", "/", {"X-Soko-Scheduler-Secret": SCHEDULER_SECRET}),
        ("payment_webhook", f"/payments/fake/{PATH_SECRET}", {}),
    ],
)
def test_a_body_nested_too_deep_is_400_and_writes_nothing(
    memory_runtime: Runtime, target: str, path: str, headers: dict[str, str]
) -> None:
    memory_runtime.rail_overrides = {"fake": FakeRail()}
    before = everything_written(memory_runtime)
    answer = client_for(target).post(
        path, data=DEEP, headers={**headers, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert everything_written(memory_runtime) == before


def test_a_deep_ipn_that_parses_but_cannot_be_re_rendered_for_its_signature_is_400() -> None:
    from functions.providers.base import BadCallback
    from functions.providers.nowpayments.rail import NowPaymentsRail, NowPaymentsSettings

    rail = NowPaymentsRail(NowPaymentsSettings(api_key="k", ipn_secret="s"))  # type: ignore[arg-type]
    body = b"[" * 900 + b"]" * 900  # json.loads takes it; rendering it back recurses twice as deep
    with pytest.raises(BadCallback):
        rail.read_callback("p1", {"x-nowpayments-sig": "ab" * 64}, body)
