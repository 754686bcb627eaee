"""The topology, the code and the Terraform agree: what main.py serves is what gets deployed."""

from __future__ import annotations

import ast
import base64
import json
from pathlib import Path

import pytest

from functions.contexts import CATEGORIES, CONTEXTS, REGISTRY
from functions.jobs import JOBS
from functions.runtime.settings import Settings
from functions.runtime.topics import topic_of_category
from infra import deployment, terraform_gen, terraform_rails
from infra.topology import STORED, TOPOLOGY, Function, Subscription
from tests.unit.terraform import block, load

pytestmark = pytest.mark.unit
MAIN = Path(__file__).parents[2] / "functions" / "main.py"
tf = load()
FUNCTIONS = tf.of_type("google_cloudfunctions2_function")
SUBSCRIPTIONS = tf.of_type("google_pubsub_subscription")
TOPICS = {body["name"]: name for name, body in tf.of_type("google_pubsub_topic").items()}
INVOKERS = tf.of_type("google_cloud_run_v2_service_iam_member")
# Every variable Settings or a context's settings read: a mounted secret must be one of them.
SETTING_VARIABLES = {f"SOKO_{name.upper()}" for name in Settings.model_fields} | {
    kind.env_variable(name)
    for context in CONTEXTS
    for kind in context.settings
    for name in kind.model_fields
}


def entry_points_in_main() -> set[str]:
    """The HTTP functions written out in functions/main.py, and the subscribers it makes."""
    tree = ast.parse(MAIN.read_text())
    written = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(ast.unparse(d).startswith("functions_framework.") for d in node.decorator_list)
    }
    return written | {s.entry_point for s in REGISTRY.subscribers}


def invokers_of(entry_point: str) -> set[str]:
    service = f"${{google_cloudfunctions2_function.{entry_point}.name}}"
    return {b["member"] for b in INVOKERS.values() if b["name"] == service}


def test_generated_terraform_is_up_to_date() -> None:
    assert terraform_gen.OUT.read_text() == terraform_gen.generate(), (
        "infra/terraform/generated.tf is stale: run `python -m infra.terraform_gen`"
    )


def test_every_entry_point_in_main_is_in_the_topology_and_deployed() -> None:
    deployed = {block(body, "build_config")["entry_point"] for body in FUNCTIONS.values()}
    assert entry_points_in_main() == {f.entry_point for f in TOPOLOGY.functions} == deployed


@pytest.mark.parametrize("fn", TOPOLOGY.functions, ids=lambda f: f.entry_point)
def test_each_function_runs_as_the_topology_says(fn: Function) -> None:
    service = block(FUNCTIONS[fn.entry_point], "service_config")
    assert service["available_memory"] == f"{fn.memory_mb}Mi"
    assert service["timeout_seconds"] == fn.timeout_s
    assert service["min_instance_count"] == fn.min_instances
    assert service["max_instance_count"] == fn.max_instances
    assert service["max_instance_request_concurrency"] == fn.concurrency
    assert service["service_account_email"] == f"${{google_service_account.{fn.family}.email}}"
    assert tf.exists(service["service_account_email"])
    # Only HTTP functions face the internet; pushes and scheduler calls are internal traffic.
    expected_ingress = "ALLOW_ALL" if fn.trigger == "http" else "ALLOW_INTERNAL_ONLY"
    assert service["ingress_settings"] == expected_ingress
    assert ("allUsers" in invokers_of(fn.entry_point)) == fn.public


def test_every_mounted_secret_exists_and_is_a_setting_readable_by_its_function_only() -> None:
    secrets = tf.of_type("google_secret_manager_secret")
    accessors = tf.of_type("google_secret_manager_secret_iam_member")
    for fn in TOPOLOGY.functions:
        service = block(FUNCTIONS[fn.entry_point], "service_config")
        mounts = service.get("secret_environment_variables", [])
        assert {m["key"] for m in mounts} == {f"SOKO_{s.upper()}" for s in fn.secrets}
        for mount in mounts:
            name = mount["secret"].removeprefix("${google_secret_manager_secret.").split(".")[0]
            assert name in secrets
            assert f"SOKO_{name.upper()}" in SETTING_VARIABLES
            assert secrets[name]["secret_id"] == deployment.SECRET_IDS[name]
            assert f"{fn.family}_{name}" in accessors
    # The rails' readers follow the rails' mounts: tests/unit/test_rail_deployment.py.
    rail_readers = {terraform_rails.accessor(f.family) for f in TOPOLOGY.functions}
    for name in set(accessors) - rail_readers:
        family, _, secret = name.partition("_")
        if family == "deployer":
            continue
        users = [f for f in TOPOLOGY.functions if f.family == family]
        assert any(secret in f.secrets for f in users), f"{name} grants a secret no one mounts"


@pytest.mark.parametrize("sub", TOPOLOGY.subscriptions, ids=lambda s: s.name)
def test_every_subscription_pushes_an_existing_topic_to_an_existing_function(
    sub: Subscription,
) -> None:
    body = SUBSCRIPTIONS[deployment.tf_name(sub.name)]
    assert body["topic"] == f"${{google_pubsub_topic.{TOPICS[sub.topic]}.id}}"
    push = block(body, "push_config")
    assert tf.exists(push["push_endpoint"])
    assert f".{sub.function}." in push["push_endpoint"]
    assert push["push_endpoint"].endswith(f"/topics/{sub.topic}")  # names the CloudEvent source
    assert sub.function in FUNCTIONS
    assert "serviceAccount:${google_service_account.pusher.email}" in invokers_of(sub.function)
    assert body["enable_message_ordering"] == sub.ordered
    assert block(body, "expiration_policy")["ttl"] == ""
    assert block(body, "retry_policy")["maximum_backoff"] == "600s"
    # A typo here would drop events silently. python-hcl2 keeps the HCL escapes (\").
    assert body.get("filter", "").replace('\\"', '"') == sub.filter


@pytest.mark.parametrize("sub", TOPOLOGY.subscriptions, ids=lambda s: s.name)
def test_every_dead_letter_topic_exists_and_is_drained_into_dead_letter(
    sub: Subscription,
) -> None:
    body = SUBSCRIPTIONS[deployment.tf_name(sub.name)]
    if sub.dead_letter_topic is None:
        assert "dead_letter_policy" not in body
        assert sub.function == "dead_letter"
        return
    policy = block(body, "dead_letter_policy")
    assert policy["dead_letter_topic"] == (
        f"${{google_pubsub_topic.{TOPICS[sub.dead_letter_topic]}.id}}"
    )
    assert 5 <= policy["max_delivery_attempts"] == sub.max_delivery_attempts <= 100
    drains = [s for s in TOPOLOGY.subscriptions if s.topic == sub.dead_letter_topic]
    assert [s.function for s in drains] == ["dead_letter"]


def test_every_topic_the_code_publishes_to_exists() -> None:
    assert {topic_of_category(c) for c in CATEGORIES} <= set(TOPICS)
    assert set(TOPICS) == set(TOPOLOGY.topics)


def test_each_family_publishes_only_where_its_functions_do_and_the_relay_everywhere() -> None:
    granted = tf.of_type("google_pubsub_topic_iam_member")
    for fn in TOPOLOGY.functions:
        for category in fn.publishes:
            assert f"{fn.family}_publishes_{category}_events" in granted
    publishers = {n.split("_publishes_")[0] for n in granted if "_publishes_" in n}
    assert publishers == {f.family for f in TOPOLOGY.functions if f.publishes}
    assert set(STORED) <= set(TOPOLOGY.function("scheduled_job").publishes)


def test_every_scheduled_job_exists_in_code_and_carries_oidc_and_the_secret() -> None:
    jobs = tf.of_type("google_cloud_scheduler_job")
    assert {s.job for s in TOPOLOGY.schedules} == {
        json.loads(base64.b64decode(block(j, "http_target")["body"]))["job"] for j in jobs.values()
    }
    assert {s.job for s in TOPOLOGY.schedules} <= set(JOBS)
    for job in jobs.values():
        target = block(job, "http_target")
        assert deployment.SCHEDULER_SECRET_HEADER in target["headers"]
        oidc = block(target, "oidc_token")
        assert oidc["service_account_email"] == "${google_service_account.scheduler.email}"
        assert tf.exists(target["uri"])


def test_the_relay_query_has_its_collection_group_indexes() -> None:
    index = tf.resources[("google_firestore_index", "unpublished_events")]
    assert (index["collection"], index["query_scope"]) == ("events", "COLLECTION_GROUP")
    assert [f["field_path"] for f in index["fields"]] == ["published", "occurred_at"]
    published = block(tf.resources[("google_firestore_field", "events_published")], "index_config")
    assert "COLLECTION_GROUP" in {i["query_scope"] for i in published["indexes"]}


def test_each_leaderboard_query_has_its_composite_index() -> None:
    from functions.projections.loyalty import COLLECTION
    from functions.telegram.leaderboard import BOARDS

    indexes = [
        b for b in tf.of_type("google_firestore_index").values() if b["collection"] == COLLECTION
    ]
    shapes = [[(f["field_path"], f["order"]) for f in index["fields"]] for index in indexes]
    for board in BOARDS:
        equal = [(name, "ASCENDING") for name in board.where]
        assert [*equal, (board.field, "DESCENDING")] in shapes, board


def test_outputs_give_the_webhook_and_every_function_url() -> None:
    assert {"webhook_url", "callback_base_url", "function_urls"} <= set(tf.outputs)
    assert set(tf.outputs["function_urls"]["value"]) == {f.entry_point for f in TOPOLOGY.functions}
    assert "source_archive" in tf.variables


def test_the_deployer_may_deploy_every_function_and_read_what_set_webhook_needs() -> None:
    deployer = "serviceAccount:${google_service_account.deployer.email}"
    acts_as = {
        b["service_account_id"]
        for b in tf.of_type("google_service_account_iam_member").values()
        if b["member"] == deployer
    }
    accounts = {f.family for f in TOPOLOGY.functions} | {"builder"}
    assert acts_as == {f"${{google_service_account.{a}.name}}" for a in accounts}
    reads = tf.resources[("google_secret_manager_secret_iam_member", "deployer_reads")]
    assert set(reads["for_each"]) == {"bot_token", "webhook_secret"}
