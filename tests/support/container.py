"""The mockidp image under podman, for tests/e2e/test_container.py.

Podman runs as root on these machines, but only with runc (crun fails on their hybrid
cgroups), with explicit rlimits (the default ones are refused) and on the host's network.
No registry is reachable, so the image is built FROM ``localhost/base``, which
``.ci/container-base`` prepares (debootstrap, cached), with the host's CA bundle and a
``pip.conf`` naming the host's package index mounted into the build: the Containerfile
itself stays the one users build from ``python:3.12-slim``.

The README's container examples are run as written, translated only where this machine
differs from a laptop with Docker (:func:`translate_docker_run`).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
PODMAN = shutil.which("podman")
BASE = os.environ.get("MOCKIDP_CONTAINER_BASE", "localhost/base")
IMAGE = "localhost/mockidp:test"
PUBLISHED = "ghcr.io/<owner>/mockidp"  # the README's name for the released image
PODMAN_CMD = ["podman", "--runtime", "runc"]
RUN_FLAGS = [
    "--network=host",
    "--ulimit",
    "nofile=20000:20000",
    "--ulimit",
    "nproc=32768:32768",
]
PYPI = "https://pypi.org/simple"
_names = itertools.count(1)


def podman(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """One podman command (runc); its output, never raising on a non-zero exit."""
    return subprocess.run(
        [*PODMAN_CMD, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def prepare_base() -> None:
    """Import (and on a new machine debootstrap) ``localhost/base`` unless present."""
    done = subprocess.run(
        ["bash", str(REPO / ".ci" / "container-base")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def host_index() -> str:
    """The package index the host's pip uses (its index-url setting, else PyPI)."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.endswith(".index-url"):
            return value.strip().strip("'\"")
    return os.environ.get("PIP_INDEX_URL") or PYPI


def host_ca_bundle() -> Path:
    """The CA bundle the host trusts for the package index."""
    for candidate in (
        os.environ.get("PIP_CERT"),
        os.environ.get("SSL_CERT_FILE"),
        ssl.get_default_verify_paths().cafile,
        "/etc/ssl/certs/ca-certificates.crt",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise AssertionError("no CA bundle found on this host")


def build_image(workdir: Path) -> subprocess.CompletedProcess[str]:
    """``podman build`` of the repository's Containerfile FROM the local base."""
    pip_conf = workdir / "pip.conf"
    pip_conf.write_text(
        f"[global]\nindex-url = {host_index()}\ncert = /etc/ssl/certs/ca-certificates.crt\n"
    )
    return podman(
        "build",
        "--format=docker",  # keeps HEALTHCHECK (the OCI format has none)
        "--network=host",
        "--build-arg",
        f"BASE={BASE}",
        "-v",
        f"{host_ca_bundle()}:/etc/ssl/certs/ca-certificates.crt:ro",
        "-v",
        f"{pip_conf}:/etc/pip.conf:ro",
        "-t",
        IMAGE,
        "-f",
        str(REPO / "Containerfile"),
        str(REPO),
        timeout=900,
    )


def free_port() -> int:
    """A loopback port nothing listens on: one per container."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Container:
    name: str
    port: int
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def logs(self) -> str:
        done = podman("logs", self.name)
        return done.stdout + done.stderr

    def state(self) -> dict[str, Any]:
        done = podman("inspect", "--format", "{{json .State}}", self.name)
        state: dict[str, Any] = json.loads(done.stdout)
        return state

    def wait_ready(self, path: str = "/.well-known/openid-configuration") -> None:
        """Until the server answers ``path`` (any status), or fail with its logs."""
        for _ in range(300):
            try:
                httpx.get(self.url + path, timeout=1, verify=False)  # up, not trusted
                return
            except httpx.TransportError:
                if not self.state().get("Running", False):
                    raise AssertionError(f"container exited:\n{self.logs()}") from None
                time.sleep(0.1)
        raise AssertionError(f"container never answered:\n{self.logs()}")

    def remove(self) -> None:
        podman("rm", "--force", "--time", "0", self.name)


def start(run_args: Sequence[str], *, port: int, scheme: str = "http") -> Container:
    """``podman run -d`` with ``run_args`` (options, image, command) under a new name."""
    name = f"mockidp-test-{os.getpid()}-{next(_names)}"
    done = podman("run", "-d", "--name", name, *RUN_FLAGS, *run_args)
    assert done.returncode == 0, done.stderr
    return Container(name, port, scheme)


def run_once(run_args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """``podman run --rm`` in the foreground: for containers that must exit at start."""
    return podman("run", "--rm", *RUN_FLAGS, *run_args, timeout=120)


def translate_docker_run(
    command: str, *, port: int, volumes: dict[str, Path] | None = None
) -> list[str]:
    """A README ``docker run`` line as podman arguments for this machine.

    Only what differs here changes: the host's network on a loopback ``port`` of its own
    (``-p 8000:8000`` dropped; MOCKIDP_HOST/MOCKIDP_PORT, or the command's own
    ``--host``/``--port``, point at it), the locally built image, and mounted folders
    (``"$PWD/x"``) replaced by the test's ones from ``volumes``; ``--user`` is the
    test's own uid and gid, as ``"$(id -u):$(id -g)"`` would be.
    """
    words = shlex.split(command.replace('"$PWD', '"PWD'))
    assert words[:2] == ["docker", "run"], command
    args: list[str] = ["-e", "MOCKIDP_HOST=127.0.0.1", "-e", f"MOCKIDP_PORT={port}"]
    rest = iter(words[2:])
    for word in rest:
        if word == "-p":
            next(rest)  # the host network has no port mapping
        elif word == "-v":
            source, _, target = next(rest).partition(":")
            local = (volumes or {})[source.removeprefix("PWD/")]
            args += ["-v", f"{local}:{target}"]
        elif word == "--user":
            next(rest)
            args += [word, f"{os.getuid()}:{os.getgid()}"]
        elif word == PUBLISHED:
            args.append(IMAGE)
        elif word == "--host":
            args += [word, "127.0.0.1"]
            next(rest)
        elif word == "--port":
            args += [word, str(port)]
            next(rest)
        else:
            args.append(word)
    return args


def readme_blocks(language: str, section: str = "Container image") -> list[str]:
    """The fenced ``language`` blocks of one README section, in order."""
    text = (REPO / "README.md").read_text("utf-8")
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, f"README.md has no '## {section}' section"
    return re.findall(rf"```{language}\n(.*?)```", match.group(1), re.S)


def readme_docker_runs() -> list[str]:
    """Every ``docker run`` command of the README's container section (joined lines)."""
    commands = []
    for block in readme_blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("docker run "):
                commands.append(" ".join(line.split()))
    return commands
