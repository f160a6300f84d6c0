"""Fixtures for the Lambda package and deploy tests: mockidp from a built wheel.

``installed_wheel`` builds mockidp's wheel once per session (``pip wheel --no-deps``) and
installs it, with the ``aws`` extra, into a new virtual environment in a temporary folder
outside the checkout: the commands run from there are the ones a user gets from PyPI,
with the template and files the wheel ships (not the checkout's). ``lambda_package``
builds one Lambda package with it for this machine's Python and architecture (so the
tests can run it), from ``APP_SCENARIO``; it downloads wheels, so the suite builds it
once.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_REDIRECT = "https://app.example.com/callback"
#: A pull request's own scenario: the app's client and its (non-loopback) redirect URI.
APP_SCENARIO = f"""\
login: auto
default_user: carol
clients:
  - client_id: app-under-test
    client_secret: app-secret
    redirect_uris: [{APP_REDIRECT}]
users:
  - sub: carol
    claims: {{email: carol@example.com}}
"""


@dataclass(frozen=True)
class Installed:
    """A virtual environment with mockidp installed from its wheel."""

    folder: Path
    bin: Path

    def run(
        self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "mockidp"), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=cwd or self.folder,
            env=env if env is not None else dict(os.environ),
            timeout=600,
        )


@dataclass(frozen=True)
class LambdaPackage:
    zip_path: Path
    scenario: Path
    output: str


def machine_arch() -> str:
    return "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"


def running_python() -> str:
    return "{}.{}".format(*sys.version_info[:2])


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """mockidp-oidc[aws] installed from a wheel built from this checkout, outside it."""
    folder = tmp_path_factory.mktemp("mockidp-wheel")
    wheels = folder / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("mockidp_oidc-*.whl")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[aws]"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return Installed(folder, venv / "bin")


@pytest.fixture(scope="session")
def lambda_package(installed_wheel: Installed) -> LambdaPackage:
    """One package of the wheel's mockidp with APP_SCENARIO, for this machine."""
    scenario = installed_wheel.folder / "app-scenario.yaml"
    scenario.write_text(APP_SCENARIO, "utf-8")
    out = installed_wheel.folder / "out"
    result = installed_wheel.run(
        "package",
        "--out",
        str(out),
        "--scenario",
        str(scenario),
        "--python",
        running_python(),
        "--arch",
        machine_arch(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return LambdaPackage(out / "mockidp-lambda.zip", scenario, result.stdout)
