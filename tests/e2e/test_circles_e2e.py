"""A savings circle on the emulator stack, at the console: three people top up with M-Pesa,
one creates a circle, two join by its invite link, all pay round 1 and the pot lands in the
first recipient's wallet, with every deposit held (not spent) and the ledger audit clean."""

from __future__ import annotations

import re

import pytest

from functions.ops.circle_audit import circle_problems
from functions.runtime.firestore import FirestoreEventStore, client
from infra.local.stack import LocalStack
from tests.e2e.conftest import eventually
from tests.e2e.rails import balances, credited
from tests.e2e.test_console_shop import console_for

pytestmark = pytest.mark.e2e
PEOPLE = {8701: "Wanjiru", 8702: "Baraka", 8703: "Chebet"}


def test_three_people_run_a_round_and_the_pot_reaches_its_recipient(e2e_stack: LocalStack) -> None:
    chats = {}
    for user, name in PEOPLE.items():
        chat, out = console_for(e2e_stack, user, name)
        chat.handle("/deposit mpesa 3000 0712345678")
        chat.handle("/approve")
        eventually(lambda u=user: credited(e2e_stack, u, "KES"), timeout=60)  # type: ignore[misc]
        chats[user] = (chat, out)
    owner, owner_out = chats[8701]
    owner.handle("/circles new Family 1000 weekly 3")
    found = re.search(r"start=circle_([a-z0-9]+)", owner_out.getvalue())
    assert found is not None, owner_out.getvalue()
    for user in (8702, 8703):
        chats[user][0].handle(f"/start circle_{found.group(1)}")
        chats[user][0].handle("/tap Join")
    assert "Round 1: the pot goes to Wanjiru" in chats[8703][1].getvalue()
    for user in PEOPLE:
        chats[user][0].handle("/circles")
        chats[user][0].handle("/tap Family")
        chats[user][0].handle("/tap Contribute")

    def paid_out() -> dict[str, object] | None:
        doc = balances(e2e_stack, 8701)
        return doc if doc and doc["balances"].get("KES") == 500_000 else None

    eventually(paid_out, timeout=60)  # 3000 - 1000 paid + 3000 pot, in minor units
    eventually(lambda: (balances(e2e_stack, 8702) or {}).get("held") == {"KES": 100_000})
    assert circle_problems(FirestoreEventStore(client(e2e_stack.project))) == []
