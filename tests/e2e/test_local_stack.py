"""The local stack (`make dev`): built from the topology, wired, chattable, and leaves nothing.

One stack serves the module; the stop and failure tests and `make dev` itself start their own,
so that they hold whatever order or worker the tests run in. The module's stack runs with a
fresh HOME and a few SOKO_* settings, as a developer's exports reach it through `make dev`.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.local.console import Console, InProcessBackend
from infra.local.emulators import list_subscriptions, list_topics, port_is_free
from infra.local.stack import (
    LOCAL_ADMIN_ID,
    LOCAL_DEFAULTS,
    ROOT,
    TELEGRAM_WEBHOOK,
    LocalStack,
    LocalStackError,
    live_group_members,
)
from infra.topology import TOPOLOGY, Function, Topology
from tests.e2e.conftest import eventually
from tests.e2e.console_process import run_console

pytestmark = pytest.mark.e2e

HTTP = httpx.Client(trust_env=False, timeout=30.0)
SETTINGS = {
    "SOKO_RESERVATION_MINUTES": "7",
    "SOKO_MANUAL_TRANSFER_DETAILS": "Override Test Bank\nIBAN XX00 TEST 0000",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HOME the module's stack runs with (the functions get HOME passed through)."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Iterator[LocalStack]:
    logs = tmp_path_factory.mktemp("stack") / "logs"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        with LocalStack(log_dir=logs, settings=SETTINGS) as running:
            yield running


def subscription(stack: LocalStack, name: str) -> dict[str, Any]:
    url = f"http://{stack.pubsub_host}/v1/projects/{stack.project}/subscriptions/{name}"
    response = HTTP.get(url)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def assert_nothing_left(stack: LocalStack) -> None:
    assert stack.pgids, "the stack recorded no process groups"
    left = {name: live_group_members(pgid) for name, pgid in stack.pgids.items()}
    assert not any(left.values()), left
    busy = [name for name, port in stack.ports.items() if not port_is_free(port)]
    assert busy == []


# -- built from the topology ---------------------------------------------------------------


def test_every_topology_function_is_served_on_its_own_port(stack: LocalStack) -> None:
    assert set(stack.urls) == {f.entry_point for f in TOPOLOGY.functions}
    assert len({url for url in stack.urls.values()}) == len(TOPOLOGY.functions)
    for function in TOPOLOGY.functions:
        # functions-framework answers /robots.txt itself: 404 (HTTP) or 405 (CloudEvent).
        answer = HTTP.get(f"{stack.urls[function.entry_point]}/robots.txt")
        assert answer.status_code in (404, 405), function.entry_point


def test_every_topic_exists_on_the_emulator(stack: LocalStack) -> None:
    assert set(list_topics(stack.pubsub_host, stack.project)) == set(TOPOLOGY.topics)


def test_every_subscription_pushes_to_its_function_with_its_dead_letter_policy(
    stack: LocalStack,
) -> None:
    assert set(list_subscriptions(stack.pubsub_host, stack.project)) == {
        s.name for s in TOPOLOGY.subscriptions
    }
    for declared in TOPOLOGY.subscriptions:
        actual = subscription(stack, declared.name)
        project = f"projects/{stack.project}"
        assert actual["topic"] == f"{project}/topics/{declared.topic}"
        assert actual["pushConfig"]["pushEndpoint"].startswith(stack.urls[declared.function])
        if declared.dead_letter_topic is None:  # drains of dead-letter topics have none
            assert "deadLetterPolicy" not in actual
        else:
            assert actual["deadLetterPolicy"] == {
                "deadLetterTopic": f"{project}/topics/{declared.dead_letter_topic}",
                "maxDeliveryAttempts": declared.max_delivery_attempts,
            }
        assert actual.get("enableMessageOrdering", False) == declared.ordered
        assert actual["ackDeadlineSeconds"] == declared.ack_deadline_s


def test_the_fake_telegrams_webhook_is_the_served_webhook_function(stack: LocalStack) -> None:
    assert stack.telegram.webhook_info()["url"] == stack.urls[TELEGRAM_WEBHOOK]


def test_functions_run_on_the_emulators_with_the_fake_telegram(stack: LocalStack) -> None:
    env = stack.env
    assert env["SOKO_BACKEND"] == "firestore"
    assert env["SOKO_GCP_PROJECT"] == stack.project == "demo-soko"
    assert env["FIRESTORE_EMULATOR_HOST"] == stack.firestore_host
    assert env["PUBSUB_EMULATOR_HOST"] == stack.pubsub_host
    assert env["SOKO_TELEGRAM_API_BASE"] == stack.telegram.base_url


# -- secrets -----------------------------------------------------------------------------


def test_secrets_are_random_per_run_shaped_right_and_never_shown(stack: LocalStack) -> None:
    secrets = stack.secrets
    assert re.fullmatch(r"\d{10}:[A-Za-z0-9_-]{35}", secrets.bot_token)
    assert stack.telegram.token == secrets.bot_token
    assert stack.env["SOKO_WEBHOOK_SECRET"] == secrets.webhook_secret
    assert stack.env["SOKO_SCHEDULER_SECRET"] == secrets.scheduler_secret
    assert LocalStack(log_dir=ROOT / ".dev" / "unused").secrets.bot_token != secrets.bot_token
    values = (secrets.bot_token, secrets.webhook_secret, secrets.scheduler_secret)
    assert not any(v in repr(secrets) or v in repr(stack) for v in values)
    stack.run_job("relay")  # some traffic, so the logs have something to leak
    logs = "".join(p.read_text(errors="replace") for p in stack.log_dir.glob("*.log"))
    assert not any(v in logs for v in values)


def test_unauthenticated_calls_are_refused(stack: LocalStack) -> None:
    assert HTTP.post(stack.urls["scheduled_job"], json={"job": "relay"}).status_code == 401
    assert HTTP.post(stack.urls[TELEGRAM_WEBHOOK], json={"update_id": 1}).status_code == 401


# -- scheduler and logs ------------------------------------------------------------------


def test_run_job_posts_to_scheduled_job_with_the_secret(stack: LocalStack) -> None:
    response = stack.run_job("relay")
    assert response.status_code == 200, response.text
    assert response.json()["job"] == "relay"


def test_warm_up_runs_the_jobs_and_touches_the_webhook(stack: LocalStack) -> None:
    stack.warm_up()  # what `make dev` does in the background so the first reply is quick


def test_logs_are_per_process_and_merged_with_prefixes(stack: LocalStack) -> None:
    names = {"stack", "firestore", "pubsub", *stack.urls}
    assert {p.stem for p in stack.log_dir.glob("*.log")} == names | {"all"}
    stack._merger.drain()  # the merger thread runs every 0.2 s; do not wait for it
    prefixes = {line.split(" | ", 1)[0].strip() for line in stack._merger.path.open()}
    assert {"stack", "firestore", "pubsub", *stack.urls} <= prefixes  # every function's too


def test_every_functions_log_has_its_gunicorn_serving_it(stack: LocalStack) -> None:
    for name, url in stack.urls.items():
        log = (stack.log_dir / f"{name}.log").read_text()
        assert f"Listening at: {url}" in log, (name, log)


def test_each_gunicorn_has_its_own_control_socket_and_none_fails(
    stack: LocalStack, home: Path
) -> None:
    # gunicorn 25.1+ serves a control socket, by default ~/.gunicorn/gunicorn.ctl: shared by
    # every function, they raced for it ("Control server error: File exists").
    sockets = {}
    for name in stack.urls:
        log = (stack.log_dir / f"{name}.log").read_text()
        assert "Control server error" not in log, (name, log)
        found = set(re.findall(r"Control socket listening at (\S+)", log))  # again per fork
        assert len(found) == 1, (name, log)
        sockets[name] = Path(found.pop())
    assert len(set(sockets.values())) == len(sockets)
    assert all(path.parent.name == name for name, path in sockets.items())
    assert all(path.is_socket() for path in sockets.values())
    assert not (home / ".gunicorn").exists()


def test_a_functions_json_log_lines_reach_its_log_and_the_merged_log(stack: LocalStack) -> None:
    # An undecodable push: the projection logs it as a JSON ERROR line and drops it (200).
    marker = uuid.uuid4().hex
    url = f"{stack.urls['project_balances']}/projects/{stack.project}/topics/wallet-events"
    data = base64.b64encode(f"not an envelope {marker}".encode()).decode()
    push = {"message": {"data": data, "messageId": marker}, "subscription": "projects/p/x"}
    assert HTTP.post(url, json=push).status_code == 200

    def logged() -> dict[str, Any] | None:
        log = (stack.log_dir / "project_balances.log").read_text()
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        return next((e for e in lines if "dropping poison message" in e["message"]), None)

    entry = eventually(logged, timeout=10)
    assert entry["severity"] == "ERROR"
    assert entry["logger"] == "functions.subscriber"
    stack._merger.drain()
    merged = stack._merger.path.read_text()
    assert re.search(r"^project_balances +\| \{.*dropping poison message", merged, re.M)


# -- settings ------------------------------------------------------------------------------


def test_given_settings_override_the_defaults_but_not_the_stacks_own(stack: LocalStack) -> None:
    env = stack.env
    assert env["SOKO_RESERVATION_MINUTES"] == "7"
    assert env["SOKO_MANUAL_TRANSFER_DETAILS"] == SETTINGS["SOKO_MANUAL_TRANSFER_DETAILS"]
    assert env["SOKO_ADMIN_IDS"] == LOCAL_DEFAULTS["SOKO_ADMIN_IDS"]  # defaults stay
    assert env["SOKO_BOT_TOKEN"] == stack.secrets.bot_token


def test_the_functions_run_with_the_given_settings(stack: LocalStack) -> None:
    tag = uuid.uuid4().hex[:6]
    out = io.StringIO()
    # Paced as a person types (the default): this stack keeps Telegram's flood limits.
    chat = Console(InProcessBackend(stack.telegram), out=out, users={6161: "Ola"}, user_id=6161)
    chat.run(iter(["/start", "/deposit bank 100 REF123", f"/as {LOCAL_ADMIN_ID} Admin"]))
    assert "Override Test Bank\n    IBAN XX00 TEST 0000" in out.getvalue(), out.getvalue()
    chat.run(iter([f"/addproduct Kite {tag} | Kites{tag} | 300 KES | kind=unique"]))
    product = re.findall(r"Listed .+? as (\w+) ", out.getvalue())[-1]
    chat.run(iter([f"/multi /stock {product}", f"K-{tag}-1", f"K-{tag}-2", "/end", "/as 6161"]))
    assert "Added 2 units" in out.getvalue(), out.getvalue()

    def shop_lists_it() -> bool:
        chat.run(iter(["/shop"]))
        return f"Kites{tag}" in out.getvalue().rsplit("bot> ", 1)[-1]

    eventually(shop_lists_it, timeout=60)
    chat.run(iter([f"/tap Kites{tag}", f"/tap Kite {tag}", "/tap Buy"]))
    assert "Held for you for 7 minutes." in out.getvalue(), out.getvalue()


# -- the console ---------------------------------------------------------------------------


def test_console_piped_start_and_balance(stack: LocalStack) -> None:
    user = 4242
    run = run_console(
        *("--fake-url", stack.telegram.url, "--user", str(user), "--name", "Achieng"),
        stdin="/start\n/balance\n/quit\n",
    )
    replies = stack.telegram.messages_to(user)
    assert len(replies) == 2, (replies, run.stdout)
    assert replies[0].startswith("Welcome to Soko, Achieng!")
    assert "KES 0.00" in replies[1]
    assert all(call.ok for call in stack.telegram.calls(chat_id=user))
    assert "bot> Welcome to Soko, Achieng!" in run.stdout
    assert "KES 0.00" in run.stdout


def test_console_shows_later_messages_to_any_of_its_users(stack: LocalStack) -> None:
    out = io.StringIO()
    console = Console(InProcessBackend(stack.telegram), out=out, pace=0.0)
    console.handle("/as 5151 Baraka")
    console.handle("/as 5252 Zawadi")
    # A notification, sent later by some function, as any bot code sends it.
    sent = HTTP.post(
        f"{stack.telegram.base_url}{stack.secrets.bot_token}/sendMessage",
        json={"chat_id": 5151, "text": "Payment of <b>KES 50</b> received", "parse_mode": "HTML"},
    )
    assert sent.json()["ok"] is True
    console.handle("/wait 0.1")
    console.handle("/users")
    shown = out.getvalue()
    assert "bot → Baraka (5151)> Payment of KES 50 received" in shown
    assert "* 5252 Zawadi" in shown


# -- stopping ----------------------------------------------------------------------------


def test_stop_leaves_no_process_and_no_port(tmp_path: Path) -> None:
    stack = LocalStack(log_dir=tmp_path / "logs", run_schedules=False).start()
    try:
        stack.telegram.send_text(7, "/start")  # warm: gunicorn threads, client connections
        assert set(stack.pgids) == {*stack.urls, "firestore", "pubsub"}
        assert all(live_group_members(pgid) for pgid in stack.pgids.values())
    finally:
        stack.stop()
    assert_nothing_left(stack)
    assert stack._runtime_dir is not None
    assert not stack._runtime_dir.exists()  # the control sockets' directories are removed
    stack.stop()  # idempotent


def test_a_function_that_cannot_start_stops_everything(tmp_path: Path) -> None:
    broken = Topology(
        functions=(Function("no_such_entry_point", "http"),),
        subscriptions=(),
        schedules=(),
        event_topics=(),
    )
    stack = LocalStack(broken, log_dir=tmp_path / "logs")
    with pytest.raises(LocalStackError, match="no_such_entry_point exited"):
        stack.start()
    assert_nothing_left(stack)


# -- make dev ------------------------------------------------------------------------------


def test_make_dev_takes_exported_settings_and_ignores_the_stacks_own(tmp_path: Path) -> None:
    env = {
        # tests/conftest.py exports a referrals key for the tests: not the user's to ignore.
        **{k: v for k, v in os.environ.items() if k != "SOKO_REFERRALS_SECRET"},
        "SOKO_MANUAL_TRANSFER_DETAILS": "Exported Test Bank",
        "SOKO_BOT_TOKEN": "123456789:exported-token-that-must-not-be-used-aaaa",
    }
    run = subprocess.run(
        [sys.executable, "-m", "infra.local.dev", "--log-dir", str(tmp_path / "logs")],
        input="/start\n/deposit bank 100 REF123\n/quit\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Ignoring SOKO_BOT_TOKEN from your environment" in run.stdout
    assert "Settings from your environment: SOKO_MANUAL_TRANSFER_DETAILS" in run.stdout
    assert "Send PLN 100.00 to:\n    Exported Test Bank" in run.stdout, run.stdout
    assert "gone when the stack stops" in run.stdout
    assert "exported-token" not in run.stdout
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log"))
    assert "exported-token" not in logs
    assert "Control server error" not in logs
