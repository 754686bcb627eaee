"""Every read model rebuilt from the store, with deliveries duplicated and shuffled, equals
the live one (DESIGN.md §5): the store is the truth, the messages are only doorbells."""

from __future__ import annotations

import random

import pytest

from functions.contexts import REGISTRY
from functions.runtime.bootstrap import Runtime
from functions.runtime.memory import MemoryReadModels
from tests.builders import settings
from tests.functions.conftest import client_for
from tests.functions.shop_helpers import ADMIN, ShopDriver, buttons

pytestmark = pytest.mark.functions


def a_day_of_trade(rt: Runtime) -> None:
    shop = ShopDriver(client_for("telegram_webhook"), rt)
    shop.register(ADMIN)
    from events.money import parse_money

    keys = shop.add_product("Key | Games | 10 PLN | kind=unique")
    rice = shop.add_product("Rice | Food | 5 PLN")
    shop.say(ADMIN, f"/stock {keys}\nK1\nK2\nK3")
    shop.say(ADMIN, f"/stock {rice} 12")
    shop.say(ADMIN, f"/discount {rice} 10")
    for buyer in (11, 12, 13):
        shop.register(buyer, parse_money("30", "PLN"))
        held = shop.tap(buyer, f"shop:b:{keys}:1")
        shop.tap(buyer, buttons(held)["Pay from wallet"])
        held = shop.tap(buyer, f"shop:b:{rice}:2")
        if buyer == 13:
            shop.tap(buyer, buttons(held)["Cancel"])


def test_every_projection_rebuilt_from_shuffled_duplicated_events_equals_the_live_one(
    memory_runtime: Runtime,
) -> None:
    memory_runtime.settings = settings(admin_ids=[ADMIN], default_currency="PLN")
    a_day_of_trade(memory_runtime)
    store = memory_runtime.store
    events = [e for stream in store.streams() for e in store.load(stream)]
    deliveries = events * 2
    random.Random(5).shuffle(deliveries)
    rebuilt = MemoryReadModels(store)
    for envelope in deliveries:
        for projection in REGISTRY.projections:
            if projection.feeds_on(envelope):
                rebuilt.apply(projection, envelope)
    for projection in REGISTRY.projections:
        live = memory_runtime.read_models.all(projection.collection)
        assert rebuilt.all(projection.collection) == live, projection.name
    for collection in ("products", "stock", "orders", "balances"):
        assert memory_runtime.read_models.all(collection), collection
