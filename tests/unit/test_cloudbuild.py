"""cloudbuild.yaml: valid, up to date, its steps reference what exists, and it deploys every
entry point of the topology the way the Terraform does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions.contexts import REGISTRY
from functions.telegram.routes import allowed_updates
from infra import cloudbuild_gen, deployment
from infra.topology import TOPOLOGY, Function

pytestmark = pytest.mark.unit
ROOT = Path(__file__).parents[2]
BUILD: dict[str, Any] = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
STEPS: dict[str, dict[str, Any]] = {s["id"]: s for s in BUILD["steps"]}


def text(step: dict[str, Any]) -> str:
    return " ".join(step["args"])


def test_cloudbuild_yaml_is_generated_from_the_topology() -> None:
    assert (ROOT / "cloudbuild.yaml").read_text() == cloudbuild_gen.generate(), (
        "cloudbuild.yaml is stale: run `python -m infra.cloudbuild_gen`"
    )


def test_steps_have_unique_ids_and_wait_only_for_earlier_steps() -> None:
    ids = [s["id"] for s in BUILD["steps"]]
    assert len(ids) == len(set(ids))
    for index, step in enumerate(BUILD["steps"]):
        assert set(step.get("waitFor", [])) <= set(ids[:index]), step["id"]
        assert step["name"]
        assert step["args"]


def test_steps_reference_files_and_targets_that_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for step in BUILD["steps"]:
        args = step["args"]
        if args[0] == "make":
            for target in (a for a in args[1:] if "=" not in a):
                assert re.search(rf"^{target}:", makefile, re.M), f"make {target}"
        for module in re.findall(r"-m (infra\.\w+|tests\.\w+)", text(step)):
            assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), module
        for path in re.findall(r"(?:^| )\.venv/bin/(\w+)", text(step)):
            assert path in {"pytest", "python"}  # installed by the `install` step
    assert "make" in STEPS["install"]["args"]
    assert "install" in STEPS["install"]["args"]


def test_nothing_is_deployed_before_every_check_passed() -> None:
    assert set(STEPS["bundle"]["waitFor"]) == set(cloudbuild_gen.CHECKS)
    assert "contract or e2e" in text(STEPS["emulator-tests"])
    assert "unit or functions" in text(STEPS["unit-and-functions"])
    assert "--out build/bundle" in text(STEPS["bundle"])


@pytest.mark.parametrize("fn", TOPOLOGY.functions, ids=lambda f: f.entry_point)
def test_every_entry_point_is_deployed_as_the_terraform_declares_it(fn: Function) -> None:
    step = STEPS[f"deploy-{deployment.service_name(fn)}"]
    args = step["args"]
    assert step["waitFor"] == ["bundle"]
    assert args[:3] == ["functions", "deploy", deployment.service_name(fn)]
    expected = {
        f"--entry-point={fn.entry_point}",
        "--source=build/bundle",
        f"--runtime={deployment.RUNTIME}",
        f"--memory={fn.memory_mb}Mi",
        f"--timeout={fn.timeout_s}s",
        f"--min-instances={fn.min_instances}",
        f"--max-instances={fn.max_instances}",
        f"--concurrency={fn.concurrency}",
        f"--ingress-settings={'all' if fn.trigger == 'http' else 'internal-only'}",
    }
    assert expected <= set(args)
    secrets = next((a for a in args if a.startswith("--update-secrets=")), "--update-secrets=")
    mounted = {m.split("=")[0] for m in secrets.removeprefix("--update-secrets=").split(",") if m}
    assert mounted == {f"SOKO_{s.upper()}" for s in fn.secrets}


@pytest.mark.parametrize("fn", TOPOLOGY.functions, ids=lambda f: f.entry_point)
def test_a_release_keeps_the_settings_and_rail_secrets_terraform_gave_the_function(
    fn: Function,
) -> None:
    """var.settings and the enabled rails' settings and secrets are Terraform's: a deploy
    that replaced the function's variables or secrets would drop them, and the rails with
    them, until the next `terraform apply`."""
    args = STEPS[f"deploy-{deployment.service_name(fn)}"]["args"]
    replacing = ("--set-env-vars", "--env-vars-file", "--clear-env-vars", "--remove-env-vars",
                 "--set-secrets", "--clear-secrets", "--remove-secrets")  # fmt: skip
    assert not [a for a in args if a.split("=")[0] in replacing]
    env = next(a for a in args if a.startswith("--update-env-vars="))
    updated = {pair.split("=")[0] for pair in env.removeprefix("--update-env-vars=").split(",")}
    assert updated == set(deployment.environment("p", "r"))  # only the topology's own


def test_every_deploy_step_is_an_entry_point_of_the_topology() -> None:
    deployed = {s["id"] for s in BUILD["steps"] if s["id"].startswith("deploy-")}
    assert deployed == {f"deploy-{deployment.service_name(f)}" for f in TOPOLOGY.functions}


def test_the_webhook_is_set_last_with_its_secret_and_the_updates_the_code_handles() -> None:
    step = STEPS["set-webhook"]
    script = step["args"][1]
    assert BUILD["steps"][-1] is step
    assert step["waitFor"] == ["smoke-health"]
    assert f"allowed_updates={json.dumps(list(allowed_updates(REGISTRY.routes)))}" in script
    assert "secret_token=$$WEBHOOK_SECRET" in script
    assert "bot$$BOT_TOKEN/setWebhook" in script
    available = {s["env"] for s in BUILD["availableSecrets"]["secretManager"]}
    assert set(step["secretEnv"]) == available == {"BOT_TOKEN", "WEBHOOK_SECRET"}
