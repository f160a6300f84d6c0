"""``mockidp package``: the AWS Lambda package (a zip) of the installed mockidp.

What goes in: mockidp itself (copied from where it is installed, so the package is the
version that builds it), its runtime dependencies as binary wheels for the function's
Python and architecture (``pip install --target --platform manylinux2014_<arch>
--python-version X --only-binary=:all:``), mangum, and the scenario file. What stays
out: boto3 (the Lambda runtime has it), uvicorn, uvloop and httptools (the local
server's), anything only tests need.

The scenario file sits at the package's root as ``scenario.yaml`` (or ``.json``); the
function finds it through ``MOCKIDP_SCENARIO_FILE`` (template.yaml's ``ScenarioFile``
parameter), so it is not limited by Lambda's 4 KB of environment variables.

Bytecode: Lambda's code directory is read-only, so bytecode the package does not ship is
compiled again at every cold start (``bench/cold_import.py --bytecode``). Only an
interpreter of the function's Python version can write it; another one builds the
package without, and says so.
"""

from __future__ import annotations

import compileall
import importlib.metadata
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from msgspec import Struct

from mockidp.distribution import DISTRIBUTION
from mockidp.scenario.loader import check_scenario_text

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_PYTHON",
    "PackageError",
    "PackageResult",
    "build_package",
    "runtime_requirements",
    "validate_scenario_file",
]

#: Lambda's architectures and the pip platform tag of each.
ARCHITECTURES = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
#: template.yaml's Runtime (python3.12); tests/hosting/test_package.py checks they agree.
DEFAULT_PYTHON = "3.12"
#: Left out of the package: in the Lambda runtime already, or only for the local server.
EXCLUDED = frozenset({"boto3", "botocore", "uvicorn", "uvloop", "httptools"})
#: The extra whose packages (less EXCLUDED) the function needs: mangum.
LAMBDA_EXTRA = "aws"
ZIP_NAME = "mockidp-lambda.zip"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the installed mockidp/
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


class PackageError(Exception):
    """The package cannot be built; the message says why and what to do."""


class PackageResult(Struct, frozen=True):
    """A built package: the zip, its size in bytes, the scenario's path inside it."""

    zip_path: Path
    size: int
    scenario_file: str | None
    bytecode: bool


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(requires: list[str] | None = None) -> list[str]:
    """mockidp's requirements for Lambda: the base ones and the ``aws`` extra's, less
    EXCLUDED, without their markers (pip evaluates the rest for the build machine)."""
    if requires is None:
        requires = importlib.metadata.requires(DISTRIBUTION) or []
    wanted = []
    for requirement in requires:
        spec, _, marker = requirement.partition(";")
        found = _NAME.match(spec)
        extra = _EXTRA.search(marker)
        if found is None or _canonical(found.group(1)) in EXCLUDED:
            continue
        if extra is not None and extra.group(1) != LAMBDA_EXTRA:
            continue
        wanted.append(spec.strip())
    return wanted


def validate_scenario_file(path: Path) -> str:
    """The scenario's text, or PackageError with every problem located (as `validate`)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackageError(f"{path}: cannot read: {exc}") from exc
    problems = check_scenario_text(text, name=str(path))
    if problems:
        lines = [f"{path}: {len(problems)} problem{'s' if len(problems) > 1 else ''}"]
        lines += [f"  {problem}" for problem in problems]
        raise PackageError("\n".join(lines))
    return text


def build_package(
    *,
    out: Path,
    scenario: Path | None = None,
    python: str = DEFAULT_PYTHON,
    arch: str = "x86_64",
    log: Callable[[str], None] = print,
) -> PackageResult:
    """Build ``out/mockidp-lambda.zip``; nothing is left in ``out`` when it fails."""
    if arch not in ARCHITECTURES:
        raise PackageError(f"--arch must be one of {', '.join(ARCHITECTURES)}, not {arch!r}")
    if not re.fullmatch(r"3\.\d+", python):
        raise PackageError(f"--python must be a version such as 3.12, not {python!r}")
    scenario_text = validate_scenario_file(scenario) if scenario is not None else None
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mockidp-package-", dir=out) as work:
        root = Path(work) / "package"
        _pip_install(root, python=python, platform=ARCHITECTURES[arch])
        shutil.copytree(
            _PACKAGE_DIR, root / "mockidp", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        scenario_file = None
        if scenario is not None and scenario_text is not None:
            suffix = ".json" if scenario.suffix.lower() == ".json" else ".yaml"
            scenario_file = f"scenario{suffix}"
            (root / scenario_file).write_text(scenario_text, "utf-8")
        bytecode = _compile(root, python=python, log=log)
        staged = Path(work) / ZIP_NAME
        _zip(root, staged)
        target = out / ZIP_NAME
        staged.replace(target)
    return PackageResult(target, target.stat().st_size, scenario_file, bytecode)


def _pip_install(root: Path, *, python: str, platform: str) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # bytecode for this interpreter is no use to another version
        "--target",
        str(root),
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        python,
        "--only-binary=:all:",
        *runtime_requirements(),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:  # pragma: no cover - sys.executable always runs
        raise PackageError(f"cannot run pip: {exc}") from exc
    if result.returncode != 0:
        detail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-6:])
        if "No module named pip" in detail:
            raise PackageError(f"{sys.executable} has no pip: python -m ensurepip")
        raise PackageError(
            f"pip found no binary wheels for Python {python} on {platform} for every "
            f"dependency (or could not reach the package index):\n{detail}\n"
            "Pick another --python or --arch (Lambda runs 3.11 to 3.13 on x86_64 and arm64)."
        )


def _compile(root: Path, *, python: str, log: Callable[[str], None]) -> bool:
    running = "{}.{}".format(*sys.version_info[:2])
    if running != python:
        log(
            f"mockidp: warning: this is Python {running}, not {python}: no bytecode shipped, "
            f"so every cold start compiles each module (build with Python {python})"
        )
        return False
    # unchecked-hash: valid whatever the files' times become in the zip
    compiled = compileall.compile_dir(
        str(root),
        quiet=1,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    if not compiled:
        raise PackageError("compiling the package's modules failed")
    return True


def _zip(root: Path, target: Path) -> None:
    """A zip with sorted entries and fixed times, so the same input gives the same bytes."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # readable by Lambda's user
            archive.writestr(info, path.read_bytes())
