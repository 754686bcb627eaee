"""Stage the Cloud Functions source bundle: ``python -m infra.bundle [--out build/bundle]``.

Cloud Functions load ``main.py`` from the root of the uploaded source and put only that
directory on ``sys.path``, so the bundle is exactly: the root ``main.py`` (re-exporting the
entry points), ``functions/``, ``events/`` and ``requirements.txt``. Nothing else ships: no
tests, no infra, no virtual environment, no bytecode of the working tree.

Staged by the runtime's Python (``infra.deployment.RUNTIME``), the bundle also carries the
bytecode of what it ships, compiled fresh in checked-hash mode: an instance that has to
compile our modules spends ~25-55 ms more on every cold start (``python -m
tests.bench.cold_start`` measured both), and a checked-hash ``.pyc`` is used exactly while
its source's hash matches, whatever the upload and the build do to file times. Staged by
another Python, it carries none (that interpreter's bytecode would not be read). `gcloud
functions deploy --source` uploads ``__pycache__``: its default ignore list for functions is
``.gcloudignore``, ``.git``, ``.gitignore`` and ``node_modules`` (the SDK's
command_lib/functions/source_util.py).

After staging, ``check`` verifies without importing anything (``ast`` only) that

- every entry point of ``infra.topology.TOPOLOGY`` is bound in the staged ``main.py``, and a
  name re-exported from a bundled module (``from functions.main import x``) is really
  defined there;
- no bundled module imports a repository package that is not shipped (``tests``, ``infra``),
  which would deploy fine and then fail on the first request that reaches the import.
"""

from __future__ import annotations

import argparse
import ast
import compileall
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from infra.deployment import RUNTIME
from infra.topology import TOPOLOGY, Topology

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "bundle"
FILES: tuple[str, ...] = ("main.py", "requirements.txt")
PACKAGES: tuple[str, ...] = ("functions", "events")
BUNDLED: tuple[str, ...] = FILES + PACKAGES
# Never copied out of a bundled package: bytecode, tool caches, editor and OS leftovers.
_IGNORED_NAMES = frozenset({"__pycache__", ".DS_Store"})
_IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", "~")
_MAX_REEXPORT_DEPTH = 10
# The interpreter of the functions' runtime ("python311" -> (3, 11)).
_VERSION = RUNTIME.removeprefix("python")
RUNTIME_PYTHON = (int(_VERSION[0]), int(_VERSION[1:]))


class BundleError(RuntimeError):
    """The bundle cannot be staged or would not serve its entry points."""


def stage(
    out: str | os.PathLike[str] = DEFAULT_OUT,
    root: str | os.PathLike[str] = ROOT,
    *,
    verify: bool = True,
    bytecode: bool = True,
) -> Path:
    """Stage a fresh bundle at ``out`` (replacing a previous bundle there) and ``check`` it.

    The bundle is assembled in a sibling temporary directory and moved into place, so a
    failed staging never leaves a half-copied bundle behind. ``verify=False`` skips the
    check (to look at a bundle that is known to be broken). With ``bytecode`` (and the
    runtime's Python running this), every shipped module gets its checked-hash ``.pyc``.
    Returns the bundle's path.
    """
    src = Path(root).resolve()
    dest = Path(out).resolve()
    _refuse_dangerous_destination(src, dest)
    for name in BUNDLED:
        if not (src / name).exists():
            raise BundleError(f"{src / name} is missing; cannot stage the bundle")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a bundle is ordinary source
        for name in FILES:
            shutil.copy2(src / name, tmp / name)
        for name in PACKAGES:
            shutil.copytree(src / name, tmp / name, ignore=_ignore)
        if bytecode and sys.version_info[:2] == RUNTIME_PYTHON:
            _compile(tmp)
        if verify:
            check(tmp, source_root=src)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def files(bundle: str | os.PathLike[str]) -> list[str]:
    """Every file in the bundle, as sorted POSIX paths relative to its root."""
    base = Path(bundle)
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


def check(
    bundle: str | os.PathLike[str],
    topology: Topology = TOPOLOGY,
    *,
    source_root: str | os.PathLike[str] = ROOT,
) -> None:
    """Raise BundleError unless the bundle holds only what ships and serves every entry point.

    ``source_root`` is the repository the bundle was staged from: its packages that are not
    shipped must not be imported by bundled code.
    """
    base = Path(bundle)
    problems: list[str] = []
    for name in BUNDLED:
        if not (base / name).exists():
            problems.append(f"missing {name}")
    extra = sorted({p.split("/", 1)[0] for p in files(base)} - set(BUNDLED) - {"__pycache__"})
    if extra:
        problems.append(f"not part of a bundle: {', '.join(extra)}")
    if (base / "main.py").is_file():
        defined = exported_names(base)
        missing = [f.entry_point for f in topology.functions if f.entry_point not in defined]
        if missing and "__getattr__" in defined:
            missing = unresolved(base, missing)  # made on lookup: ask the bundle's own main
        if missing:
            problems.append(
                f"entry points not defined by main.py: {', '.join(missing)} "
                f"(main.py defines: {', '.join(sorted(defined)) or 'nothing'})"
            )
    problems.extend(foreign_imports(base, _unshipped_packages(Path(source_root), base)))
    if problems:
        raise BundleError(f"bundle {base} is broken:\n  " + "\n  ".join(problems))


def exported_names(bundle: str | os.PathLike[str], module: str = "main") -> set[str]:
    """Names bound at module level in ``module`` of the bundle that really resolve.

    A name imported from another bundled module counts only if that module defines it (or
    is a bundled package/module itself); names imported from outside the bundle (installed
    packages) are taken on trust, since checking them would mean importing them.
    """
    return _resolved_names(Path(bundle), module, depth=0)


def unresolved(bundle: str | os.PathLike[str], names: Sequence[str]) -> list[str]:
    """The names the bundle's main.py does not resolve to a function when looked up, in a
    fresh interpreter started in the bundle (subscribers are made by its `__getattr__`)."""
    code = (
        "import sys, types, main\n"
        "for name in sys.argv[1:]:\n"
        "    if not isinstance(getattr(main, name, None), types.FunctionType):\n"
        "        print(name)\n"
    )
    # Only the bundle on the path: code it imports must ship with it.
    env = {**os.environ, "PYTHONPATH": str(Path(bundle)), "PYTHONSAFEPATH": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, *names],
        cwd=bundle,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return [f"{n} (main.py failed to import: {done.stderr.strip()[-300:]})" for n in names]
    return done.stdout.split()


def foreign_imports(bundle: str | os.PathLike[str], forbidden: Iterable[str]) -> list[str]:
    """``file:line imports X`` for every import of a forbidden top-level package."""
    base = Path(bundle)
    banned = set(forbidden)
    found: list[str] = []
    if not banned:
        return found
    for path in sorted(base.rglob("*.py")):
        tree = _parse(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            else:
                continue
            for target in targets:
                if target.split(".", 1)[0] in banned:
                    where = f"{path.relative_to(base).as_posix()}:{node.lineno}"
                    found.append(f"{where} imports {target}, which is not shipped")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.bundle", description="Stage the Cloud Functions source bundle."
    )
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="bundle directory (replaced)")
    args = parser.parse_args(argv)
    try:
        bundle = stage(args.out)
    except BundleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(bundle)
    return 0


# ----------------------------------------------------------------------------------------


def _compile(bundle: Path) -> None:
    """Checked-hash bytecode of every shipped module, in its ``__pycache__``."""
    mode = py_compile.PycInvalidationMode.CHECKED_HASH
    # Paths in the bytecode relative to the bundle, not to the temporary staging directory.
    compiled = compileall.compile_file(
        bundle / "main.py", ddir=".", quiet=1, invalidation_mode=mode
    )
    for name in PACKAGES:
        compiled &= compileall.compile_dir(
            bundle / name, ddir=name, quiet=1, invalidation_mode=mode
        )
    if not compiled:
        raise BundleError(f"{bundle}: a shipped module does not compile")


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {
        n
        for n in names
        if n in _IGNORED_NAMES or n.endswith(_IGNORED_SUFFIXES) or n.startswith(".")
    }


def _refuse_dangerous_destination(src: Path, dest: Path) -> None:
    """Never delete the source tree, a folder holding it, or a folder that is not a bundle."""
    if dest == src or dest in src.parents:
        raise BundleError(f"refusing to stage into {dest}: it holds the source tree {src}")
    for name in PACKAGES:
        if dest == src / name or (src / name) in dest.parents:
            raise BundleError(f"refusing to stage into {dest}: it is inside the bundled {name}/")
    if dest.exists():
        if not dest.is_dir():
            raise BundleError(f"refusing to replace {dest}: it is not a directory")
        if any(dest.iterdir()) and not (dest / "main.py").is_file():
            raise BundleError(f"refusing to replace {dest}: not empty and not a bundle")


def _unshipped_packages(source_root: Path, bundle: Path) -> set[str]:
    """Top-level packages of the source repository that the bundle does not carry."""
    return {
        p.name
        for p in source_root.iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and not (bundle / p.name).exists()
    }


def _parse(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as err:
        raise BundleError(f"{path}: {err}") from err


def _module_path(bundle: Path, module: str) -> Path | None:
    """The bundled file defining ``module`` (``a.b`` -> a/b.py or a/b/__init__.py), if any."""
    relative = Path(*module.split("."))
    for candidate in (bundle / relative.with_suffix(".py"), bundle / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _absolute(module: str | None, level: int, importer: str, is_package: bool) -> str:
    """The absolute name of a (possibly relative) ``from ... import`` source module."""
    if level == 0:
        return module or ""
    parts = importer.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, module] if module else parts)


def _resolved_names(bundle: Path, module: str, depth: int) -> set[str]:
    path = _module_path(bundle, module)
    if path is None or depth > _MAX_REEXPORT_DEPTH:
        return set()
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in _parse(path).body:
        names |= _bound_by(bundle, node, module, is_package, depth)
    return names


def _bound_by(bundle: Path, node: ast.stmt, module: str, is_package: bool, depth: int) -> set[str]:
    """Names a module-level statement binds (only those that resolve, for bundled imports)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(node, ast.Import):
        return {(a.asname or a.name.split(".", 1)[0]) for a in node.names}
    if isinstance(node, ast.ImportFrom):
        source = _absolute(node.module, node.level, module, is_package)
        if _module_path(bundle, source) is None:  # installed package: taken on trust
            return {a.asname or a.name for a in node.names if a.name != "*"}
        defined = _resolved_names(bundle, source, depth + 1)
        names: set[str] = set()
        for alias in node.names:
            if alias.name == "*":
                names |= {n for n in defined if not n.startswith("_")}
            elif alias.name in defined or _module_path(bundle, f"{source}.{alias.name}"):
                names.add(alias.asname or alias.name)
        return names
    if isinstance(node, ast.If | ast.Try):
        # Conservative: a name bound on any branch counts (e.g. TYPE_CHECKING, fallbacks).
        bodies: list[list[ast.stmt]] = [node.body, node.orelse]
        if isinstance(node, ast.Try):
            bodies += [node.finalbody, *(h.body for h in node.handlers)]
        return {
            n
            for body in bodies
            for s in body
            for n in _bound_by(bundle, s, module, is_package, depth)
        }
    return set()


if __name__ == "__main__":
    raise SystemExit(main())
