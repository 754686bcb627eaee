"""The optional IP allow-list per rail on payment_webhook: a callback from outside its
rail's networks is 403 before anything is read or written; the address is the last
X-Forwarded-For entry (the one Google's front end wrote), IPv4 or IPv6; unset, all pass."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import flask
import pytest
from flask.testing import FlaskClient

from events import Money
from functions.domain import payments
from functions.payments.allowlist import (
    BadAllowList,
    CallbackIpSettings,
    admits,
    client_address,
    networks,
)
from functions.runtime.bootstrap import Runtime
from tests.functions.conftest import client_for, everything_written
from tests.functions.fake_rail import PATH_SECRET, FakeRail, callback

pytestmark = pytest.mark.functions
URL = f"/payments/fake/{PATH_SECRET}"


@pytest.fixture
def rail(memory_runtime: Runtime) -> FakeRail:
    fake = FakeRail()
    memory_runtime.rail_overrides = {"fake": fake}
    pipeline, stream = memory_runtime.pipeline, payments.stream_of("p1")
    amount = Money(amount=50_000, currency="KES")
    pipeline.execute(payments.payments, stream,
                     payments.Request("p1", 7, "wallet_deposit", amount, "fake"))  # fmt: skip
    expires = memory_runtime.clock.now() + timedelta(minutes=10)
    pipeline.execute(payments.payments, stream, payments.MarkStarted("ref-p1", expires))
    fake.truth["p1"] = "succeeded"
    return fake


def allow(rt: Runtime, **lists: Any) -> None:
    rt.context_settings[CallbackIpSettings] = CallbackIpSettings(allowed_ips=lists)


def called_back(webhook: FlaskClient, forwarded: str | None, peer: str = "10.1.2.3") -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    response = webhook.post(URL, json=callback("p1", "succeeded"), headers=headers,
                            environ_base={"REMOTE_ADDR": peer})  # fmt: skip
    return response.status_code


def credited(rt: Runtime) -> bool:
    doc = rt.read_models.get("balances", "7")
    return bool(doc and doc["balances"].get("KES"))


@pytest.fixture
def webhook(rail: FakeRail) -> FlaskClient:
    return client_for("payment_webhook")


def test_a_callback_from_an_allowed_network_is_read_and_applied(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail
) -> None:
    allow(memory_runtime, fake=["203.0.113.0/24", "198.51.100.7/32"])
    assert called_back(webhook, "203.0.113.9") == 200
    assert credited(memory_runtime)


def test_a_callback_from_elsewhere_is_403_and_nothing_is_read_or_written(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail
) -> None:
    allow(memory_runtime, fake="203.0.113.0/24")
    before = everything_written(memory_runtime)
    # The sender wrote an allowed address first; Google's front end appended the real one.
    for forwarded in ("198.51.100.1", "203.0.113.9, 198.51.100.1", "not-an-ip", None):
        assert called_back(webhook, forwarded) == 403
    assert everything_written(memory_runtime) == before
    assert (rail.queries, credited(memory_runtime)) == (0, False)


def test_without_a_list_for_the_rail_every_sender_passes(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail
) -> None:
    allow(memory_runtime, mpesa=["196.201.214.0/24"])  # another rail's list
    assert called_back(webhook, "198.51.100.1") == 200
    assert credited(memory_runtime)


def test_unset_every_sender_passes(webhook: FlaskClient, memory_runtime: Runtime) -> None:
    assert called_back(webhook, None) == 200
    assert credited(memory_runtime)


def test_ipv6_networks_and_senders_are_matched(
    webhook: FlaskClient, memory_runtime: Runtime, rail: FakeRail
) -> None:
    allow(memory_runtime, fake=["2001:db8:1::/48"])
    assert called_back(webhook, "2001:db8:2::5") == 403
    assert called_back(webhook, None, peer="2001:db8:1::77") == 200
    assert credited(memory_runtime)


def test_a_malformed_network_fails_the_first_callback_naming_the_setting(
    memory_runtime: Runtime, rail: FakeRail
) -> None:
    allow(memory_runtime, fake=["203.0.113.0/24", "10.0.0.1/33"])
    before = everything_written(memory_runtime)
    response = client_for("payment_webhook").post(URL, json=callback("p1", "succeeded"))
    assert response.status_code == 500  # our configuration, not the sender's input
    assert everything_written(memory_runtime) == before
    settings = memory_runtime.settings_of(CallbackIpSettings)
    with pytest.raises(BadAllowList, match=r"SOKO_CALLBACK_ALLOWED_IPS: rail 'fake'.*/33"):
        networks(settings)


def test_a_setting_that_is_not_json_fails_naming_it(
    memory_runtime: Runtime, rail: FakeRail, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOKO_CALLBACK_ALLOWED_IPS", "{fake: 10.0.0.0/8")
    before = everything_written(memory_runtime)
    response = client_for("payment_webhook").post(URL, json=callback("p1", "succeeded"))
    assert response.status_code == 500
    assert everything_written(memory_runtime) == before
    with pytest.raises(BadAllowList, match="SOKO_CALLBACK_ALLOWED_IPS"):
        admits(memory_runtime, "fake", flask.Request.from_values(URL))


def test_host_bits_in_a_network_are_refused_as_a_typo() -> None:
    with pytest.raises(BadAllowList, match="host bits"):
        networks(CallbackIpSettings(allowed_ips={"mpesa": "196.201.214.5/24"}))


@pytest.mark.parametrize(
    ("forwarded", "peer", "hops", "expected"),
    [
        (["1.2.3.4"], "10.0.0.1", 0, "1.2.3.4"),
        (["6.6.6.6, 1.2.3.4"], None, 0, "1.2.3.4"),  # the first entry is the sender's own
        (["6.6.6.6", "1.2.3.4, 35.1.1.1"], None, 1, "1.2.3.4"),  # one proxy of ours after
        (["1.2.3.4"], None, 1, None),  # fewer entries than hops: nobody to trust
        ([], "2001:db8::1", 0, "2001:db8::1"),
        (["::ffff:1.2.3.4"], None, 0, "1.2.3.4"),
    ],
)  # fmt: skip
def test_the_client_address_is_the_entry_googles_front_end_wrote(
    forwarded: list[str], peer: str | None, hops: int, expected: str | None
) -> None:
    found = client_address(forwarded, peer, hops)
    assert (str(found) if found else None) == expected
