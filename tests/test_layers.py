"""The package's layers (docs/explanation/architecture.md) hold, and the check would notice.

`make lint` runs import-linter with the contract in pyproject.toml; these tests run the same
contract, show that it catches an upward import, and keep function-level imports rare and
explained.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wagtail_distmark"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603  (our own virtualenv's lint-imports)
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layer_contract_holds():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Features depend downwards only KEPT" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    copy = tmp_path / "wagtail_distmark"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "static"))
    models = copy / "org" / "models.py"
    planted = "\n\ndef planted():\n    from wagtail_distmark.campaigns import models\n"
    models.write_text(models.read_text() + planted)
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "wagtail_distmark.org is not allowed to import wagtail_distmark.campaigns" in (
        result.stdout
    )


def function_level_imports(path: Path):
    """(line number, imported module) of each package import made inside a function."""
    tree = ast.parse(path.read_text())
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "wagtail_distmark"
            ):
                yield node.lineno, node.module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("wagtail_distmark"):
                        yield node.lineno, alias.name


def reason_above(lines: list[str], lineno: int) -> bool:
    """A comment right above the import, or above the block of imports it belongs to."""
    index = lineno - 2
    while index >= 0:
        line = lines[index].strip()
        if line.startswith("#"):
            return True
        if not (line.startswith(("from ", "import ", ")")) or line.endswith(",")):
            return False
        index -= 1
    return False


def test_every_function_level_import_says_why():
    """Only where Django needs it (e.g. ``AppConfig.ready()``), with a comment just above."""
    unexplained = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        lines = path.read_text().splitlines()
        for lineno, module in function_level_imports(path):
            if not reason_above(lines, lineno):
                unexplained.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    assert not unexplained, "function-level imports without a reason:\n" + "\n".join(unexplained)


def test_every_module_of_the_package_sits_in_a_layer():
    """An unlisted module escapes the contract: a new feature package must be given its layer."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["type"] == "layers")
    layers = [name.strip(" ()") for layer in contract["layers"] for name in layer.split(":")]
    unplaced = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" in parts or "management" in parts or parts[-1] == "__init__":
            continue
        module = ".".join(parts)
        if not any(module == layer or module.startswith(layer + ".") for layer in layers):
            unplaced.append(module)
    assert not unplaced, "modules in no layer of pyproject.toml: " + ", ".join(sorted(unplaced))
