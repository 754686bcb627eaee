"""The coin pool hands out the next index to a new user and the same one to a known user."""

from __future__ import annotations

import pytest

from events.coins import AddressHandedOut
from functions.domain.coinpool import HandOut, pools
from tests.unit.scenario import given, when

pytestmark = pytest.mark.unit


def handed(user: int, index: int) -> AddressHandedOut:
    return AddressHandedOut(coin="BTC", account="acct", index=index, user_id=user)


def test_a_new_user_gets_the_next_index() -> None:
    assert when(pools, [handed(1, 0), handed(2, 1)], HandOut("BTC", "acct", 3)) == [handed(3, 2)]


def test_a_known_user_gets_nothing_new() -> None:
    assert when(pools, [handed(1, 0), handed(2, 1)], HandOut("BTC", "acct", 1)) == []
    assert given(pools, handed(1, 0), handed(2, 1)).index_of(2) == 1
