"""Build the wheel from the committed files, as pip does, and check what it holds.

Fails on setuptools' packaging warnings (a data folder "absent from the packages
configuration", a deprecated license classifier) and unless the wheel carries every
committed file of the package (modules, templates, static files, .po and .mo catalogues,
py.typed) and no tests, example site or benchmarks.
Run by .ci/run; by hand: .venv/bin/python .ci/check_package.py
"""

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_WARNINGS = ("absent from the `packages` configuration", "classifiers are deprecated")
LEFT_OUT = ("tests/", "example_site/", "bench/")


def committed_files():
    command = ["git", "ls-files", "-z"]  # git from PATH, as in every CI step
    listing = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)  # noqa: S603
    return [name for name in listing.stdout.split("\0") if name]


def copy_tree(names, target):
    for name in names:
        source = ROOT / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(source.read_bytes())


def build_wheel(source, out):
    """pip's isolated build (the setuptools pyproject.toml asks for); returns its verbose log."""
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), "."]
    result = subprocess.run(command, cwd=source, capture_output=True, text=True)  # noqa: S603
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    return result.stdout + result.stderr


def problems(log, wheel_names, committed):
    lines = log.splitlines()
    found = [line.strip() for line in lines if any(w in line for w in FORBIDDEN_WARNINGS)]
    package = [name for name in committed if name.startswith("wagtail_distmark/")]
    found += [f"missing from the wheel: {name}" for name in package if name not in wheel_names]
    found += [f"in the wheel: {name}" for name in wheel_names if name.startswith(LEFT_OUT)]
    return found


def main():
    committed = committed_files()
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp, "src"), Path(tmp, "dist")
        copy_tree(committed, source)
        log = build_wheel(source, out)
        with zipfile.ZipFile(next(out.glob("*.whl"))) as wheel:
            wheel_names = wheel.namelist()
    found = problems(log, wheel_names, committed)
    print("\n".join(found) or f"Package OK: {len(wheel_names)} files in the wheel.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
