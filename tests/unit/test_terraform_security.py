"""checkov's static security scan of the Terraform: every finding is fixed or justified."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit
ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "infra" / "terraform" / ".checkov.yaml"
# Its own venv (`make checkov`): it pins packaging==23.2 and ships a module named `hcl2`.
CANDIDATES = (os.environ.get("CHECKOV_BIN", ""), str(ROOT / ".venv-checkov" / "bin" / "checkov"))


def checkov() -> str:
    found = next((c for c in CANDIDATES if c and Path(c).is_file()), shutil.which("checkov"))
    if found is None:
        pytest.skip("checkov is not installed: `make checkov` puts it in .venv-checkov")
    return found


def skipped_with_reasons() -> dict[str, str]:
    """Each skipped check id with the comment lines above it (its reason)."""
    reasons: dict[str, str] = {}
    comment: list[str] = []
    for line in CONFIG.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        elif match := re.fullmatch(r"- (CKV2?_[A-Z]+_\d+)", stripped):
            reasons[match[1]] = " ".join(comment)
            comment = []
        else:
            comment = []
    return reasons


def findings(scratch: Path) -> set[str]:
    """The ids checkov fails when nothing is skipped (no network: --skip-download)."""
    # A copy without .checkov.yaml, which checkov would otherwise read from the directory.
    for tf in CONFIG.parent.glob("*.tf"):
        shutil.copy(tf, scratch / tf.name)
    result = subprocess.run(
        [checkov(), "-d", str(scratch), "--framework", "terraform", "secrets",
         "-o", "json", "--compact", "--skip-download"],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-2000:]
    parsed: Any = json.loads(result.stdout)
    reports = parsed if isinstance(parsed, list) else [parsed]
    for report in reports:
        assert report.get("summary", {}).get("parsing_errors", 0) == 0, report
    return {
        check["check_id"]
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    }


def test_the_checkov_config_is_the_scan_the_tests_run() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    assert config["directory"] == ["infra/terraform"]
    assert set(config["framework"]) == {"terraform", "secrets"}
    assert config["skip-download"] is True  # the scan must not need the network
    assert set(config["skip-check"]) == set(skipped_with_reasons())


def test_every_skipped_check_has_a_reason() -> None:
    for check, reason in skipped_with_reasons().items():
        assert len(reason) >= 80, f"{check} needs a reason in {CONFIG.name}"


def test_every_finding_is_fixed_or_justified_and_no_skip_is_stale(tmp_path: Path) -> None:
    assert findings(tmp_path) == set(skipped_with_reasons())
