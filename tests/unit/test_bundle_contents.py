"""The deploy bundle: exactly the files that ship, and every topology entry point in main.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import bundle
from infra.topology import TOPOLOGY

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def staged(tmp_path: Path) -> Path:
    return bundle.stage(tmp_path / "bundle")


def test_the_bundle_holds_what_cloud_functions_loads_and_nothing_else(staged: Path) -> None:
    files = bundle.files(staged)
    for required in ("main.py", "functions/main.py", "events/envelope.py", "requirements.txt"):
        assert required in files
    shipped = {"main.py", "requirements.txt", "functions", "events"}
    assert {f.split("/", 1)[0] for f in files} == shipped | {"__pycache__"}
    assert not [f for f in files if f.startswith(("tests/", "infra/", ".venv/"))]
    assert not [f for f in files if any(part.startswith(".") for part in f.split("/"))]


def test_every_shipped_module_carries_its_checked_hash_bytecode_and_nothing_else(
    staged: Path,
) -> None:
    files = bundle.files(staged)
    sources = {f for f in files if f.endswith(".py")}
    tag = sys.implementation.cache_tag
    expected = {
        str(Path(f).parent / "__pycache__" / f"{Path(f).stem}.{tag}.pyc").removeprefix("./")
        for f in sources
    }
    assert {f for f in files if "__pycache__" in f} == expected
    for pyc in expected:
        header = (staged / pyc).read_bytes()[:16]
        flags = int.from_bytes(header[4:8], "little")
        assert flags == 0b11, pyc  # hash-based, checked against the source on import


def test_the_shipped_bytecode_is_what_the_bundle_imports(staged: Path) -> None:
    # `python -v` names the file each module's code object came from.
    result = subprocess.run(
        [sys.executable, "-v", "-c", "import functions.runtime.settings"],
        cwd=staged,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    pyc = staged / "functions/runtime/__pycache__" / f"settings.{sys.implementation.cache_tag}.pyc"
    assert f"code object from '{pyc}'" in result.stderr


def test_a_bundle_staged_without_bytecode_has_none(tmp_path: Path) -> None:
    bare = bundle.stage(tmp_path / "bare", bytecode=False)
    assert not [f for f in bundle.files(bare) if "__pycache__" in f or f.endswith(".pyc")]


def test_staged_sources_are_the_repository_sources(staged: Path) -> None:
    for name in bundle.files(staged):
        if not name.endswith(".pyc"):
            assert (staged / name).read_bytes() == (ROOT / name).read_bytes(), name
    source_py = {
        p.relative_to(ROOT).as_posix()
        for package in bundle.PACKAGES
        for p in (ROOT / package).rglob("*.py")
    }
    assert source_py <= set(bundle.files(staged))


def test_every_topology_entry_point_is_defined_by_the_staged_main(staged: Path) -> None:
    defined = bundle.exported_names(staged)
    entry_points = {f.entry_point for f in TOPOLOGY.functions}
    assert entry_points, "the topology declares no functions"
    made_on_lookup = entry_points - defined  # the subscribers, made by main's __getattr__
    assert "__getattr__" in defined
    assert bundle.unresolved(staged, sorted(made_on_lookup)) == []
    assert bundle.unresolved(staged, ["no_such_subscriber"]) == ["no_such_subscriber"]


def test_a_re_export_of_a_function_that_does_not_exist_is_caught(staged: Path) -> None:
    functions_main = staged / "functions" / "main.py"
    source = functions_main.read_text()
    assert "def telegram_webhook(" in source
    functions_main.write_text(source.replace("def telegram_webhook(", "def telegram_hook("))
    with pytest.raises(bundle.BundleError, match="telegram_webhook"):
        bundle.check(staged)


def test_bundled_code_importing_an_unshipped_package_is_caught(staged: Path) -> None:
    leaky = staged / "functions" / "leaky.py"
    leaky.write_text("from tests.builders import settings\n")
    with pytest.raises(bundle.BundleError, match=r"functions/leaky\.py:1 imports tests\.builders"):
        bundle.check(staged)


def test_anything_extra_at_the_top_is_caught(staged: Path) -> None:
    (staged / "notes.txt").write_text("x")
    with pytest.raises(bundle.BundleError, match=r"notes\.txt"):
        bundle.check(staged)


def test_restaging_replaces_the_previous_bundle(staged: Path) -> None:
    (staged / "functions" / "stale.py").write_text("")
    again = bundle.stage(staged)
    assert again == staged
    assert "functions/stale.py" not in bundle.files(staged)
    assert [p.name for p in staged.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("where", ["root", "parent", "package", "foreign"])
def test_staging_never_deletes_what_is_not_a_bundle(tmp_path: Path, where: str) -> None:
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "data.txt").write_text("keep me")
    out = {
        "root": ROOT,
        "parent": ROOT.parent,
        "package": ROOT / "functions" / "bundle",
        "foreign": foreign,
    }[where]
    with pytest.raises(bundle.BundleError, match="refusing"):
        bundle.stage(out)
    assert (foreign / "data.txt").read_text() == "keep me"
    assert not (ROOT / "functions" / "bundle").exists()


def test_the_command_line_prints_the_bundle_path(tmp_path: Path) -> None:
    out = tmp_path / "cli-bundle"
    done = subprocess.run(
        [sys.executable, "-m", "infra.bundle", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == str(out.resolve())
    assert (out / "main.py").is_file()
    shutil.rmtree(out)
