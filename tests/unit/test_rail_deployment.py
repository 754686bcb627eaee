"""The rails reach the deployment from their specs alone: every rail secret has a Secret
Manager secret, the functions that use rails mount exactly the enabled rails' secrets and
get their settings, the others get none, the accessors follow the mounts, and a rail added
to the registry adds its own part with no edit in infra/.

What Terraform makes of `var.rails` and `var.settings` is evaluated by Terraform itself on
the generated variables and locals (no provider, no network) when it is installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from functions.providers import registry
from functions.providers.spec import RailSpec
from infra import deployment, terraform_gen, terraform_rails
from infra.hcl import render
from infra.topology import TOPOLOGY, Function
from tests.unit.terraform import block, load, parse

pytestmark = pytest.mark.unit
ROOT = Path(__file__).parents[2]
EXAMPLE = "tests.functions.fake_rail"
tf = load()
FUNCTIONS = tf.of_type("google_cloudfunctions2_function")
ACCESSORS = tf.of_type("google_secret_manager_secret_iam_member")
MOUNTED = "${local.mounted_rail_secrets}"


def rail_mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    """The dynamic secret blocks of a function's service_config."""
    dynamic = service.get("dynamic", [])
    return [d["secret_environment_variables"] for d in dynamic]


def rail_secrets_of(spec: RailSpec) -> dict[str, str]:
    """What a rail mounts: its variable -> its secret's Settings name."""
    return {deployment.env_var(s): s for s in spec.secret_names()}


def test_every_registered_rails_secret_has_a_secret_manager_secret() -> None:
    secrets = tf.resources[("google_secret_manager_secret", "rails")]["for_each"]
    assert set(secrets) == set(registry.deployed_secrets())
    for spec in registry.specs():
        for name in spec.secret_names():
            assert secrets[name] == {"rail": spec.name, "secret_id": deployment.secret_id(name)}
    core = {b["secret_id"] for n, b in tf.of_type("google_secret_manager_secret").items()}
    assert not core & {s["secret_id"] for s in secrets.values()}  # no id is taken twice


def test_terraform_knows_each_rails_secrets_and_settings_from_its_spec() -> None:
    for spec in registry.specs():
        secrets = tf.locals["rail_secrets"][spec.name]
        settings = tf.locals["rail_settings"][spec.name]
        assert secrets == rail_secrets_of(spec)
        assert settings == deployment.rail_settings(spec)
        # Every variable the rail reads reaches it, as a mount or as a setting, never both.
        assert set(secrets) | set(settings.values()) == set(spec.setting_names())
        assert not set(secrets) & set(settings.values())


def test_the_functions_that_start_confirm_or_reconcile_payments_use_rails() -> None:
    users = {f.entry_point for f in TOPOLOGY.functions if f.uses_rails}
    assert users == {"telegram_webhook", "payment_webhook", "scheduled_job"}


@pytest.mark.parametrize("fn", TOPOLOGY.functions, ids=lambda f: f.entry_point)
def test_only_a_function_using_rails_mounts_their_secrets_and_gets_their_settings(
    fn: Function,
) -> None:
    service = block(FUNCTIONS[fn.entry_point], "service_config")
    mounts = rail_mounts(service)
    if not fn.uses_rails:
        assert mounts == []
        assert service["environment_variables"] == "${local.environment}"
        return
    [mount] = mounts
    assert mount["for_each"] == MOUNTED
    [content] = mount["content"]
    assert content["key"] == "${secret_environment_variables.key}"
    assert content["secret"] == (
        "${google_secret_manager_secret.rails[secret_environment_variables.value].secret_id}"
    )
    assert content["version"] == "latest"
    assert "local.rail_environment" in service["environment_variables"]


def test_payments_start_with_the_url_their_callbacks_go_to() -> None:
    callbacks = "google_cloudfunctions2_function.payment_webhook.service_config[0].uri"
    for fn in TOPOLOGY.functions:
        env = block(FUNCTIONS[fn.entry_point], "service_config")["environment_variables"]
        told = f"SOKO_PUBLIC_BASE_URL = {callbacks}" in env
        assert told == (fn.uses_rails and fn.entry_point != deployment.CALLBACKS), fn.entry_point


def test_a_family_may_read_the_enabled_rails_secrets_exactly_where_they_are_mounted() -> None:
    for family, fns in deployment.families().items():
        name = terraform_rails.accessor(family)
        if not any(f.uses_rails for f in fns):
            assert name not in ACCESSORS
            continue
        reader = ACCESSORS[name]
        assert reader["for_each"] == MOUNTED  # the very map the mounts iterate
        assert reader["secret_id"] == "${google_secret_manager_secret.rails[each.value].id}"
        assert reader["member"] == f"serviceAccount:${{google_service_account.{family}.email}}"
        for fn in (f for f in fns if f.uses_rails):
            # A revision mounting a secret its account cannot read yet would fail to start.
            waits = FUNCTIONS[fn.entry_point]["depends_on"]
            assert f"${{google_secret_manager_secret_iam_member.{name}}}" in waits
    readers = {n for n, b in ACCESSORS.items() if b.get("for_each") == MOUNTED}
    assert readers == {
        terraform_rails.accessor(f.family) for f in TOPOLOGY.functions if f.uses_rails
    }


def test_a_new_rails_spec_adds_its_secret_and_settings_with_no_edit_in_infra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "RAILS", (*registry.RAILS, EXAMPLE))
    generated = parse(terraform_gen.generate())
    secrets = generated.resources[("google_secret_manager_secret", "rails")]["for_each"]
    assert secrets["fake_path_secret"] == {"rail": "fake", "secret_id": "soko-fake-path-secret"}
    mounts = generated.locals["rail_secrets"]["fake"]
    assert mounts == {"SOKO_FAKE_PATH_SECRET": "fake_path_secret"}
    assert '"fake"' in generated.variables["rails"]["validation"][0]["condition"]
    # The committed deployment is the registry's, without the test rail.
    committed = tf.resources[("google_secret_manager_secret", "rails")]["for_each"]
    assert "fake_path_secret" not in committed


def test_the_deploy_guide_names_every_rail_secret_and_how_to_add_its_version() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for name in registry.deployed_secrets():
        assert f"`{deployment.secret_id(name)}`" in guide, name
    assert "gcloud secrets versions add" in guide
    for spec in registry.specs():
        for setting in deployment.rail_settings(spec):
            assert f"`{setting}`" in guide, f"{spec.name}.{setting}"


# --- What Terraform makes of the inputs -------------------------------------------------

TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")
# No version check with HashiCorp, no colours, no prompts.
QUIET = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "NO_COLOR": "1"}
PROBE = """
variable "project_id" {
  default = "p"
}

variable "region" {
  default = "r"
}

output "deployed" {
  value = {
    mounted = local.mounted_rail_secrets
    rail    = local.rail_environment
    every   = local.environment
  }
}
"""


def terraform(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM is not None
    return subprocess.run(
        [TERRAFORM, *args, "-no-color"],
        cwd=directory, capture_output=True, text=True, timeout=120, env=QUIET,
    )  # fmt: skip


@pytest.fixture
def evaluate(tmp_path: Path) -> Any:
    """Applies the generated variables and locals (no resources) to given inputs: what
    every function, the functions using rails, and their mounts get."""

    def applied(rails: dict[str, Any], settings: dict[str, str] | None = None) -> Any:
        specs = registry.specs()
        blocks = [b for b in terraform_rails.blocks(specs) if b.type in ("variable", "locals")]
        (tmp_path / "rails.tf").write_text(render(blocks) + PROBE)
        inputs = {"rails": rails, "settings": settings or {}}
        (tmp_path / "inputs.auto.tfvars.json").write_text(json.dumps(inputs))
        if not (tmp_path / ".terraform").exists():
            init = terraform(tmp_path, "init", "-input=false", "-backend=false")
            assert init.returncode == 0, init.stderr
        done = terraform(tmp_path, "apply", "-auto-approve", "-input=false")
        if done.returncode != 0:
            return done.stderr
        shown = terraform(tmp_path, "output", "-json", "deployed")
        return json.loads(shown.stdout)

    return applied


@needs_terraform
def test_a_deployment_without_rails_mounts_no_rail_secret_and_sets_no_rail_setting(
    evaluate: Any,
) -> None:
    deployed = evaluate({})
    assert deployed["mounted"] == {}
    assert deployed["rail"] == deployed["every"]
    assert deployed["every"]["SOKO_BACKEND"] == "firestore"


@needs_terraform
def test_an_enabled_rail_brings_its_secrets_and_settings_and_no_other_rails(
    evaluate: Any,
) -> None:
    mpesa = registry.spec_named("mpesa")
    assert mpesa is not None
    deployed = evaluate({"mpesa": {"shortcode": "174379", "consumer_key": "ck"}})
    assert deployed["mounted"] == rail_secrets_of(mpesa)
    assert deployed["rail"]["SOKO_MPESA_SHORTCODE"] == "174379"
    assert deployed["rail"]["SOKO_MPESA_CONSUMER_KEY"] == "ck"
    assert "SOKO_MPESA_SHORTCODE" not in deployed["every"]  # only where rails are used

    everything = evaluate({spec.name: {} for spec in registry.specs()})
    every_secret = {v: n for spec in registry.specs() for v, n in rail_secrets_of(spec).items()}
    assert everything["mounted"] == every_secret


@needs_terraform
def test_plain_settings_reach_every_function_but_never_override_the_deployments_own(
    evaluate: Any,
) -> None:
    settings = {"SOKO_ADMIN_IDS": "[42]", "SOKO_STARS_ENABLED": "true"}
    deployed = evaluate({"pakasir": {"project": "soko"}}, settings)
    for environment in (deployed["every"], deployed["rail"]):
        assert environment["SOKO_ADMIN_IDS"] == "[42]"
        assert environment["SOKO_STARS_ENABLED"] == "true"
    assert deployed["rail"]["SOKO_PAKASIR_PROJECT"] == "soko"


@needs_terraform
@pytest.mark.parametrize(
    ("rails", "settings", "refusal"),
    [
        ({"stripe": {}}, {}, "Each rail in var.rails is one of"),
        ({"mpesa": {"passkey": "x"}}, {}, "soko-mpesa-passkey"),  # a secret as a setting
        ({"mpesa": {"shortcod": "1"}}, {}, "The settings of rails.mpesa are"),
        ({}, {"SOKO_MPESA_PASSKEY": "x"}, "mounted from Secret Manager"),
        ({}, {"SOKO_BOT_TOKEN": "x"}, "mounted from Secret Manager"),
        ({}, {"SOKO_MPESA_SHORTCODE": "1"}, "go in var.rails"),
        ({}, {"SOKO_BACKEND": "memory"}, "The deployment sets SOKO_BACKEND"),
        ({}, {"admin_ids": "[1]"}, "Each setting is a SOKO_* variable"),
    ],
)
def test_terraform_refuses_inputs_the_deployment_would_get_wrong(
    evaluate: Any, rails: dict[str, Any], settings: dict[str, str], refusal: str
) -> None:
    stderr = evaluate(rails, settings)
    assert isinstance(stderr, str), "Terraform accepted the inputs"
    assert "Invalid value for variable" in stderr
    assert refusal in " ".join(stderr.split())  # Terraform wraps long messages


@needs_terraform
def test_the_example_rail_is_enabled_by_its_spec_alone(
    evaluate: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "RAILS", (*registry.RAILS, EXAMPLE))
    deployed = evaluate({"fake": {}})
    assert deployed["mounted"] == {"SOKO_FAKE_PATH_SECRET": "fake_path_secret"}
