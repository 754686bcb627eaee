"""A new context is one module plus one registration line: the example kudos context, added
to the list, gets its topic, functions, subscriptions, schedule, memory wiring, subscriber
entry point and notify rule without any other file changing."""

from __future__ import annotations

import base64
import json

import pytest

from events import Envelope
from functions.contexts import CONTEXTS, REGISTRY, Registry
from functions.domain import users
from functions.notifications.by_type import notices
from functions.notifications.notice import Facts
from functions.runtime import bootstrap
from functions.subscriber import serve
from infra.topology import TOPOLOGY, topology_of
from tests import builders
from tests.example import kudos

pytestmark = pytest.mark.unit
WITH_KUDOS = Registry((*CONTEXTS, kudos.CONTEXT))  # the one registration line


def test_the_example_context_is_consistent_with_the_others() -> None:
    assert WITH_KUDOS.problems() == []


def test_its_topic_functions_subscriptions_and_schedule_are_derived() -> None:
    topology = topology_of(WITH_KUDOS)
    assert "kudo-events" in topology.event_topics
    added = {f.entry_point for f in topology.functions} - {
        f.entry_point for f in TOPOLOGY.functions
    }
    assert added == {"project_kudos", "welcome_kudos"}
    by_name = {s.name: s for s in topology.subscriptions}
    assert by_name["project-kudos"].topic == "kudo-events"
    assert not by_name["project-kudos"].types
    assert by_name["welcome-kudos"].topic == "user-events"
    assert by_name["welcome-kudos"].types == {"user.registered.v1"}
    assert by_name["notify-kudos"].types == {"kudo.given.v1"}  # its rule joins notify
    assert "welcome-kudos-dead-letters" in by_name
    assert ("count-kudos", "0 * * * *") in {(s.job, s.cron) for s in topology.schedules}
    assert "kudo" in topology.function("scheduled_job").publishes  # the relay may republish it


def test_the_memory_runtime_runs_its_reactor_and_projection() -> None:
    rt = bootstrap.build(builders.settings(), WITH_KUDOS)
    register = users.Register(user_id=5, chat_id=5, first_name="Ann", language="en")
    rt.pipeline.execute(users.users, users.stream_of(5), register)
    assert rt.read_models.get("kudos", "5") is not None
    assert rt.read_models.get("kudos", "5")["received"] == 1  # type: ignore[index]
    assert rt.pipeline.current(kudos.kudos, kudos.stream_of(5)) == 1


def test_its_job_reads_its_own_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    rt = bootstrap.build(builders.settings(), WITH_KUDOS)
    for user in (5, 6):
        register = users.Register(user_id=user, chat_id=user, first_name="A", language="en")
        rt.pipeline.execute(users.users, users.stream_of(user), register)
    assert WITH_KUDOS.jobs["count-kudos"].run.resolve()(rt) == {"welcomed_only": 2}
    monkeypatch.setenv("SOKO_KUDOS_REPORT_LIMIT", "1")
    fresh = bootstrap.build(builders.settings(), WITH_KUDOS)
    assert fresh.settings_of(kudos.KudosSettings).report_limit == 1


def test_the_one_subscriber_endpoint_serves_its_function() -> None:
    rt = bootstrap.build(builders.settings(), WITH_KUDOS)
    rt.publisher.subscribers.clear()  # type: ignore[attr-defined]  # only the push delivers
    bootstrap.install(rt)
    try:
        given = rt.pipeline.execute(kudos.kudos, kudos.stream_of(7), kudos.Give(7, 8)).events[0]
        assert rt.read_models.get("kudos", "7") is None
        assert serve("project_kudos", _push(given)) == 1
        assert rt.read_models.get("kudos", "7")["received"] == 1  # type: ignore[index]
        assert serve("project_kudos", _push(given)) == 0  # a redelivery changes nothing
    finally:
        bootstrap.install(None)


def test_its_rule_is_one_of_the_notify_rules_only_when_registered() -> None:
    rt = bootstrap.build(builders.settings(), WITH_KUDOS)
    given = rt.pipeline.execute(kudos.kudos, kudos.stream_of(7), kudos.Give(7, 8)).events[0]
    assert kudos.KudoGiven.type_name in WITH_KUDOS.rules
    assert kudos.KudoGiven.type_name not in REGISTRY.rules
    assert notices(given, Facts()) == []  # the product's list does not know kudos


def _push(envelope: Envelope) -> dict[str, object]:
    data = base64.b64encode(envelope.to_json().encode()).decode()
    return {"message": {"data": data, "attributes": json.loads("{}")}}
