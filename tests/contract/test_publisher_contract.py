"""Publisher contract: what is published reaches a subscriber intact."""

from __future__ import annotations

import pytest

from events import Money
from events.wallet import WalletCredited
from tests.builders import envelope
from tests.contract.conftest import Adapters

pytestmark = pytest.mark.contract


def test_published_events_arrive_intact(adapters: Adapters) -> None:
    sent = [
        envelope(
            "wallet-7",
            v,
            WalletCredited(
                user_id=7, amount=Money(amount=v, currency="KES"), reason="d", reference=f"p{v}"
            ),
        )
        for v in (1, 2, 3)
    ]
    adapters.publisher.publish(sent)
    assert sorted(adapters.received(), key=lambda e: e.version) == sent


def test_publishing_nothing_is_harmless(adapters: Adapters) -> None:
    adapters.publisher.publish([])
    assert adapters.received() == []
