"""Pub/Sub filters push a reactor only the event types it reacts to. Safe only if it really
ignores every other type of its category: proven here against an example of every type."""

from __future__ import annotations

import pytest

from events import registered_types
from functions.contexts import REGISTRY
from functions.reactors.base import Reactor
from infra.topology import TOPOLOGY
from tests.builders import envelope
from tests.unit.test_events import EXAMPLES

pytestmark = pytest.mark.unit


def category_of(type_name: str) -> str:
    return type_name.split(".", 1)[0]


@pytest.mark.parametrize("reactor", REGISTRY.reactors, ids=lambda r: r.name)
def test_a_reactor_ignores_every_type_its_filter_leaves_out(reactor: Reactor) -> None:
    types = registered_types()
    assert reactor.reacts_to, "a reactor names what it reacts to"
    assert reactor.reacts_to <= {t for t in types if category_of(t) == reactor.category}
    left_out = [
        t for t in types if category_of(t) == reactor.category and t not in reactor.reacts_to
    ]
    for type_name in left_out:
        event = types[type_name].model_validate(EXAMPLES[type_name])
        assert reactor.react(envelope(f"{reactor.category}-x1", 3, event)) == [], type_name


def test_every_filter_fits_pubsubs_256_bytes_and_names_known_types() -> None:
    known = set(registered_types())
    for subscription in TOPOLOGY.subscriptions:
        assert len(subscription.filter.encode()) <= 256, subscription.name
        assert subscription.types <= known, subscription.name


def test_projections_and_dead_letter_drains_take_every_message() -> None:
    for subscription in TOPOLOGY.subscriptions:
        if subscription.function.startswith("project_") or subscription.function == "dead_letter":
            assert subscription.filter == "", subscription.name


def test_a_filter_is_an_or_of_exact_type_matches() -> None:
    (credit,) = [s for s in TOPOLOGY.subscriptions if s.name == "credit-deposits"]
    assert credit.filter == 'attributes.type = "payment.succeeded.v1"'
