"""A tier upgrade paid by M-Pesa on the emulator stack, at the console: a starter owner's
circle of 8 takes 5 members, the 6th is refused and the owner asked to upgrade; the owner
pays the essential tier by M-Pesa (the fake Daraja's prompt approved), and as soon as the
payment's verified success has reached the tier, the 6th joins."""

from __future__ import annotations

import re

import pytest

from functions.ops.circle_audit import circle_problems
from functions.runtime.firestore import FirestoreEventStore, client
from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually, new_user
from tests.e2e.rails import event_types
from tests.e2e.test_console_shop import console_for

pytestmark = pytest.mark.e2e
OWNER, LATE = new_user(), new_user()
JOINERS = [new_user() for _ in range(4)]


def test_a_join_over_the_tiers_seats_waits_for_an_mpesa_upgrade_then_goes_through(
    e2e_stack: LocalStack,
) -> None:
    telegram = e2e_stack.telegram
    owner, owner_out = console_for(e2e_stack, OWNER, "Njeri")
    owner.handle("/circles new Big family 10 weekly 8 deposit=0")  # no money needed to join
    found = re.search(r"start=circle_([a-z0-9]+)", owner_out.getvalue())
    assert found is not None, owner_out.getvalue()
    assert "Your tier seats 5 members per circle" in owner_out.getvalue()
    link = f"/start circle_{found.group(1)}"
    for user in JOINERS:
        joiner, _ = console_for(e2e_stack, user, f"J{user}")
        joiner.handle(link)
        joiner.handle("/tap Join")
    late, late_out = console_for(e2e_stack, LATE, "Otieno")
    late.handle(link)
    late.handle("/tap Join")
    assert "all the members its owner's tier seats" in late_out.getvalue()

    eventually(lambda: any("Someone wants to join" in m for m in telegram.messages_to(OWNER)),
               timeout=60)  # fmt: skip
    owner.handle("/tap Upgrade my tier")
    owner.handle("/tap Pay by phone")  # the first row: essential, 10 members
    owner.handle("0712345678")
    assert "Paying with M-Pesa from +254712345678" in owner_out.getvalue()
    owner.handle("/approve")

    def bought() -> bool:
        return "tier.bought.v1" in event_types(e2e_stack, f"tier-{OWNER}")

    eventually(bought, timeout=60)
    late.handle("/tap Join")
    assert "You joined" in late_out.getvalue()
    told = eventually(lambda: [m for m in telegram.messages_to(OWNER) if "is yours until" in m],
                      timeout=60)  # fmt: skip
    assert "Tier essential is yours" in re.sub(r"<[^>]+>", "", told[0])
    assert circle_problems(FirestoreEventStore(client(e2e_stack.project))) == []
