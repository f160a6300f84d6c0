#!/usr/bin/env python3
"""Build the release's wheel and sdist, check them, and smoke-test the wheel as a user gets it.

    python .github/scripts/build_and_smoke.py [--out dist] [--tag v1.2.3] [--no-isolation]

1. ``python -m build``: the sdist, then the wheel built from the sdist (so a file missing
   from the sdist fails here, not for a user building it);
2. ``twine check --strict`` of both (the README renders on PyPI);
3. a new virtual environment outside the checkout, the wheel installed into it with
   pytest, then from an empty folder: ``mockidp --version`` (and ``mockidp-oidc``), ``mockidp serve`` answering
   discovery, and a test file using the ``mockidp`` fixture (the pytest11 entry point).

``--tag`` (the release workflow passes the pushed tag) must be ``v`` + pyproject's version.
Standard library only: the release workflow and tests/hosting/test_release_build.py both
run it. Exit status 0 when every step passed; a failure names the step and shows its
output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SMOKE_TEST = """\
import pytest


def test_client_credentials(mockidp) -> None:
    response = mockidp.client.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=("mockidp-client", "mockidp-secret"),
    )
    assert response.json()["token_type"] == "Bearer"
    mockidp.requests.assert_called("token", grant_type="client_credentials", times=1)


def test_login(mockidp) -> None:
    assert "id_token" in mockidp.login("bob")
"""


class StepFailed(Exception):
    """A step of the build or smoke test failed; the message says which and why."""


def run(step: str, args: list[str], *, cwd: Path, timeout: float = 900) -> str:
    print(f"==> {step}: {' '.join(args)}", flush=True)
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise StepFailed(f"{step} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def project() -> tuple[str, str]:
    """pyproject's distribution name and version."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return str(data["name"]), str(data["version"])


def check_tag(tag: str, version: str) -> None:
    if tag.removeprefix("refs/tags/") != f"v{version}":
        raise StepFailed(f"the tag {tag!r} is not v{version}, pyproject.toml's version")


def build(out: Path, *, isolation: bool) -> tuple[Path, Path]:
    """The sdist and the wheel built from it, in ``out``."""
    name, version = project()
    stem = re.sub(r"[-_.]+", "_", name).lower()  # the file names' form (PEP 625, PEP 427)
    args = [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)]
    run("build", args if isolation else [*args, "--no-isolation"], cwd=ROOT)
    sdist = out / f"{stem}-{version}.tar.gz"
    wheel = out / f"{stem}-{version}-py3-none-any.whl"
    found = sorted(p.name for p in out.iterdir())
    if not sdist.is_file() or not wheel.is_file():
        raise StepFailed(f"build wrote {found}, not {sdist.name} and {wheel.name}")
    run("twine check", [sys.executable, "-m", "twine", "check", "--strict", str(sdist),
                        str(wheel)], cwd=ROOT)  # fmt: skip
    return sdist, wheel


def install(wheel: Path, folder: Path) -> Path:
    """A new venv in ``folder`` with ``wheel`` and pytest; its bin folder."""
    venv = folder / "venv"
    run("venv", [sys.executable, "-m", "venv", str(venv)], cwd=folder)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check"]  # fmt: skip
    run("install the wheel", [*pip, str(wheel), "pytest"], cwd=folder)
    return bin_dir


def smoke_version(bin_dir: Path, folder: Path, version: str) -> None:
    """Both commands: ``mockidp``, and ``mockidp-oidc`` for ``pipx run`` / ``uvx``."""
    for command in ("mockidp", "mockidp-oidc"):
        out = run(f"{command} --version", [str(bin_dir / command), "--version"], cwd=folder)
        if out.strip() != f"mockidp {version}":
            raise StepFailed(
                f"{command} --version printed {out.strip()!r}, not 'mockidp {version}'"
            )


def smoke_serve(bin_dir: Path, folder: Path) -> None:
    """``mockidp serve`` on a free port answers discovery and stops on Ctrl-C."""
    print("==> mockidp serve", flush=True)
    proc = subprocess.Popen(
        [str(bin_dir / "mockidp"), "serve", "--port", "0"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    banner = ""
    try:
        while "listening" not in banner:
            line = proc.stdout.readline()
            if not line:
                raise StepFailed(f"mockidp serve exited before listening:\n{banner}")
            banner += line
        found = re.search(r"listening  (http://\S+)", banner)
        if found is None:
            raise StepFailed(f"mockidp serve printed no address:\n{banner}")
        url = found.group(1)
        doc = _get_json(url + "/.well-known/openid-configuration")
        if doc.get("issuer") != url or doc.get("token_endpoint") != url + "/token":
            raise StepFailed(f"discovery at {url} answered {doc}")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def _get_json(url: str) -> dict[str, object]:
    for _ in range(100):  # the port listens already; the first answer may still be coming
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                answer: dict[str, object] = json.load(response)
                return answer
        except OSError:
            time.sleep(0.1)
    raise StepFailed(f"no answer from {url}")


def smoke_fixture(bin_dir: Path, folder: Path) -> None:
    """The pytest plugin, found through its entry point in a folder with no conftest."""
    tests = folder / "smoke"
    tests.mkdir()
    (tests / "test_smoke.py").write_text(SMOKE_TEST, "utf-8")
    out = run("pytest with the mockidp fixture",
              [str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "test_smoke.py"], cwd=tests)  # fmt: skip
    if "2 passed" not in out:
        raise StepFailed(f"the fixture smoke test did not pass:\n{out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the files go")
    parser.add_argument("--tag", help="the release tag, checked against pyproject's version")
    parser.add_argument(
        "--no-isolation",
        action="store_true",
        help="build with this Python's hatchling instead of a fresh build environment",
    )
    options = parser.parse_args(argv)
    _, version = project()
    try:
        if options.tag:
            check_tag(options.tag, version)
        options.out.mkdir(parents=True, exist_ok=True)
        sdist, wheel = build(options.out.resolve(), isolation=not options.no_isolation)
        with tempfile.TemporaryDirectory(prefix="mockidp-smoke-") as temp:
            folder = Path(temp)
            bin_dir = install(wheel, folder)
            smoke_version(bin_dir, folder, version)
            smoke_serve(bin_dir, folder)
            smoke_fixture(bin_dir, folder)
    except StepFailed as failed:
        print(f"error: {failed}", file=sys.stderr)
        return 1
    print(f"ok: {sdist.name} and {wheel.name} built, checked and smoke-tested")
    return 0


if __name__ == "__main__":
    sys.exit(main())
