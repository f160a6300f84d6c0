"""The container image, built and run with podman: the README's examples as written.

The image is built once per test run from the repository's Containerfile (FROM a local
Debian base, see tests/support/container.py); each test runs its own container on a
loopback port of its own. Skipped only where podman is not installed; ``.ci/run``
installs it and prepares the base image.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import yaml
from joserfc.jwk import KeySet, RSAKey

from tests.e2e import test_interop_openid_client as interop
from tests.support.container import (
    IMAGE,
    PODMAN,
    PUBLISHED,
    Container,
    build_image,
    free_port,
    podman,
    prepare_base,
    readme_blocks,
    readme_docker_runs,
    run_once,
    start,
    translate_docker_run,
)
from tests.support.e2e import decode_jwt, default_scenario_mapping
from tests.support.node import require_interop

pytestmark = pytest.mark.skipif(PODMAN is None, reason="podman is not installed")

DEFAULT, PRESET, MOUNTED, TLS = range(4)  # the README's docker run lines, in order
REDIRECT_URI = "http://127.0.0.1:8080/callback"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    prepare_base()
    done = build_image(tmp_path_factory.mktemp("build"))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    podman("image", "prune", "--force", "--filter", "until=1h")  # earlier runs' leftovers
    return IMAGE


@pytest.fixture
def run(image: str) -> Iterator[Any]:
    """Start containers from podman arguments; every one removed after the test."""
    started: list[Container] = []

    def run_args(
        args: list[str], *, port: int, ready: str | None = None, scheme: str = "http"
    ) -> Container:
        container = start(args, port=port, scheme=scheme)
        started.append(container)
        if ready is not None:
            container.wait_ready(ready)
        return container

    yield run_args
    for container in started:
        container.remove()


def scenarios_folder(tmp_path: Path, mine: dict[str, Any] | None) -> Path:
    """A folder to mount at /scenarios/, readable by the image's non-root user."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    folder.chmod(0o755)
    if mine is not None:
        (folder / "mine.yaml").write_text(yaml.safe_dump(mine, sort_keys=False))
        (folder / "mine.yaml").chmod(0o644)
    return folder


def test_readme_shows_the_four_docker_runs() -> None:
    commands = readme_docker_runs()
    assert commands[DEFAULT] == f"docker run -p 8000:8000 {PUBLISHED}"
    assert "-e MOCKIDP_PRESET=" in commands[PRESET]
    assert commands[MOUNTED].endswith(
        "mockidp serve /scenarios/mine.yaml --host 0.0.0.0 --port 8000"
    )
    assert "mockidp serve --tls --tls-dir /tls" in commands[TLS]
    assert len(commands) == 4


def test_default_serves_discovery_and_is_healthy(run: Any) -> None:
    port = free_port()
    idp = run(translate_docker_run(readme_docker_runs()[DEFAULT], port=port), port=port, ready="/")
    discovery = httpx.get(idp.url + "/.well-known/openid-configuration").json()
    assert discovery["issuer"] == idp.url
    assert httpx.get(discovery["jwks_uri"]).json()["keys"]
    checked = podman("healthcheck", "run", idp.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "scenario   default.yaml (embedded)" in idp.logs()


def test_image_runs_as_non_root_with_runtime_dependencies_only(image: str) -> None:
    (inspected,) = json.loads(podman("image", "inspect", image).stdout)
    assert inspected["Config"]["User"] == "10001"
    assert "8000/tcp" in inspected["Config"]["ExposedPorts"]
    assert "mockidp.hosting.healthcheck" in inspected["Healthcheck"]["Test"]
    probe = "import os, mockidp, uvicorn; print(os.getuid())\ntry:\n import pytest\nexcept ImportError: print('no pytest')\ntry:\n import boto3\nexcept ImportError: print('no boto3')"
    done = run_once([image, "python", "-c", probe])
    assert done.stdout.split() == ["10001", "no", "pytest", "no", "boto3"], done.stderr


def _code_flow(url: str, *, verify: Any = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """Authorization code with PKCE (RFC 7636) against ``url``: ID token claims, UserInfo."""
    with httpx.Client(timeout=10, verify=verify) as client:
        meta = client.get(url + "/.well-known/openid-configuration").json()
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        nonce, state = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
        answer = client.get(
            meta["authorization_endpoint"],
            params={
                "response_type": "code",
                "client_id": "mockidp-client",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid profile email",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge.decode().rstrip("="),
                "code_challenge_method": "S256",
            },
        )
        assert answer.status_code in (302, 303), answer.text
        location = answer.headers["location"]
        assert location.startswith(REDIRECT_URI)
        back = dict(parse_qsl(urlsplit(location).query))
        assert back["state"] == state
        tokens = client.post(
            meta["token_endpoint"],
            auth=("mockidp-client", "mockidp-secret"),
            data={
                "grant_type": "authorization_code",
                "code": back["code"],
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
        )
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        keys = KeySet.import_key_set(client.get(meta["jwks_uri"]).json())
        _, claims = decode_jwt(body["id_token"], keys, "RS256")
        assert claims["iss"] == meta["issuer"]
        assert claims["aud"] in ("mockidp-client", ["mockidp-client"])
        assert claims["nonce"] == nonce
        userinfo = client.get(
            meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert userinfo.status_code == 200, userinfo.text
        return claims, userinfo.json()


def test_code_flow(run: Any) -> None:
    port = free_port()
    idp = run(translate_docker_run(readme_docker_runs()[DEFAULT], port=port), port=port, ready="/")
    claims, userinfo = _code_flow(idp.url)
    assert claims["sub"] == userinfo["sub"] == "alice"
    assert userinfo["email"]


def test_preset_by_env(run: Any) -> None:
    command = readme_docker_runs()[PRESET]
    preset = command.split("MOCKIDP_PRESET=")[1].split()[0]
    port = free_port()
    idp = run(translate_docker_run(command, port=port), port=port, ready="/")
    assert preset == "keycloak"  # the paths below are Keycloak's
    issuer = idp.url + "/realms/mockidp"
    discovery = httpx.get(issuer + "/.well-known/openid-configuration")
    assert discovery.status_code == 200
    assert discovery.json()["issuer"] == issuer
    assert httpx.get(idp.url + "/.well-known/openid-configuration").status_code == 404
    checked = podman("healthcheck", "run", idp.name)  # healthy with discovery moved
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_tls_with_the_ca_in_a_mounted_folder(image: str, run: Any, tmp_path: Path) -> None:
    """HTTPS inside: the CA lands in the mounted folder and clients trusting it connect."""
    folder = tmp_path / "tls"
    folder.mkdir()
    port = free_port()
    command = readme_docker_runs()[TLS]
    args = translate_docker_run(command, port=port, volumes={"tls": folder})
    idp = run(args, port=port, ready="/", scheme="https")
    trusted = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    discovery = httpx.get(idp.url + "/.well-known/openid-configuration", verify=trusted)
    assert discovery.json()["issuer"] == idp.url
    with pytest.raises(httpx.ConnectError):  # the system's CAs do not know it
        httpx.get(idp.url + "/.well-known/openid-configuration")
    claims, _ = _code_flow(idp.url, verify=trusted)
    assert claims["iss"] == idp.url
    checked = podman("healthcheck", "run", idp.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture
def stopped(run: Any) -> tuple[dict[str, Any], str]:
    """A container asked three things, then stopped with SIGTERM (SIGKILL after 5 s)."""
    port = free_port()
    idp = run(translate_docker_run(readme_docker_runs()[DEFAULT], port=port), port=port, ready="/")
    httpx.get(idp.url + "/.well-known/jwks.json")
    httpx.get(idp.url + "/.well-known/jwks.json")
    assert httpx.get(idp.url + "/userinfo").status_code == 401
    done = podman("stop", "--time", "5", idp.name)
    assert done.returncode == 0, done.stderr
    return idp.state(), idp.logs()


def test_sigterm_stops_it_cleanly(stopped: tuple[dict[str, Any], str]) -> None:
    state, logs = stopped
    assert state["ExitCode"] == 0, logs  # 137: it ignored SIGTERM and was killed
    assert "Traceback" not in logs


def test_one_log_line_per_request(stopped: tuple[dict[str, Any], str]) -> None:
    _, logs = stopped
    requests = [line for line in logs.splitlines() if line.startswith(("GET ", "POST "))]
    assert sum(line.startswith("GET /.well-known/jwks.json ") for line in requests) == 2
    userinfo = [line for line in requests if line.startswith("GET /userinfo ")]
    assert len(userinfo) == 1
    assert " 401 " in userinfo[0]


def test_openid_client_suite_against_a_mounted_scenario(run: Any, tmp_path: Path) -> None:
    """Every interop flow, with the interop module's clients in a mounted scenario."""
    require_interop("openid-client")
    key = RSAKey.generate_key(2048, parameters={"kid": "interop-1", "alg": "RS256"})
    mine = default_scenario_mapping(clients=interop._clients(key), device=interop.DEVICE)
    folder = scenarios_folder(tmp_path, mine)
    port = free_port()
    command = readme_docker_runs()[MOUNTED]
    idp = run(translate_docker_run(command, port=port, volumes={"scenarios": folder}), port=port)
    idp.wait_ready("/")
    assert "scenario   /scenarios/mine.yaml" in idp.logs()
    results = interop.run_flows(
        {
            "issuer": idp.url,
            "oauth_metadata": True,
            "redirect_uri": interop.REDIRECT_URI,
            "clients": interop._client_config(key),
            "flows": interop.ALL_FLOWS,
        }
    )
    failed = {flow: result for flow, result in results.items() if not result["ok"]}
    assert not failed, failed
    assert set(results) == set(interop.ALL_FLOWS)
    assert results["auth_client_secret_post"]["ok"]  # post-client exists only in mine.yaml


def test_github_actions_service_example(run: Any) -> None:
    """The README's `services:` container, and its step's request."""
    (block,) = [block for block in readme_blocks("yaml") if "jobs:" in block]
    job = yaml.safe_load(block)["jobs"]["test"]
    (service,) = job["services"].values()
    assert service["image"] == PUBLISHED
    assert service["ports"] == ["8000:8000"]
    port = free_port()
    args = ["-e", "MOCKIDP_HOST=127.0.0.1", "-e", f"MOCKIDP_PORT={port}"]
    for name, value in service["env"].items():
        args += ["-e", f"{name}={value}"]
    idp = run([*args, IMAGE], port=port, ready="/")
    (step,) = [step["run"] for step in job["steps"] if "run" in step]
    url = step.split()[-1].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    assert url.startswith(idp.url)
    assert httpx.get(url).status_code == 200  # what curl --fail checks


def _compose_idp(run: Any, tmp_path: Path) -> tuple[Container, int]:
    """The README's compose `idp` service on a free port (the browser URL's port with it),
    its scenario from the mounted folder; host networking stands in for compose's."""
    (block,) = [
        block for block in readme_blocks("yaml") if "services:" in block and "jobs:" not in block
    ]
    service = yaml.safe_load(block)["services"]["idp"]
    assert service["image"] == PUBLISHED
    mine = default_scenario_mapping(users=[{"sub": "carol"}], default_user="carol")
    folder = scenarios_folder(tmp_path, mine)
    port = free_port()
    args = ["-e", "MOCKIDP_HOST=127.0.0.1", "-e", f"MOCKIDP_PORT={port}"]
    for name, value in service["environment"].items():
        args += ["-e", f"{name}={str(value).replace(':8000', f':{port}')}"]
    for volume in service["volumes"]:
        source, _, target = volume.partition(":")
        assert source == "./scenarios"
        args += ["-v", f"{folder}:{target}"]
    idp = run([*args, IMAGE, *service.get("command", "").split()], port=port, ready="/")
    return idp, port


def test_compose_example(run: Any, tmp_path: Path) -> None:
    """The README's compose `idp` service: the browser signs in at localhost."""
    idp, port = _compose_idp(run, tmp_path)
    assert "users      carol (default)" in idp.logs()
    claims, _ = _code_flow(f"http://localhost:{port}")
    assert claims["sub"] == "carol"
    assert claims["iss"] == f"http://localhost:{port}"


def test_compose_splits_browser_and_backend_urls(run: Any, tmp_path: Path) -> None:
    """The app's backend reaches the container as http://idp:8000 (its Host header here):
    back-channel URLs there, the issuer and the browser's endpoints at localhost."""
    idp, port = _compose_idp(run, tmp_path)
    browser = f"http://localhost:{port}"
    backend_host = {"Host": "idp:8000"}  # what compose's network would send
    with httpx.Client(base_url=idp.url, headers=backend_host, timeout=10) as backend:
        meta = backend.get("/.well-known/openid-configuration").json()
        assert meta["issuer"] == browser
        assert meta["authorization_endpoint"] == browser + "/authorize"
        assert meta["end_session_endpoint"] == browser + "/end_session"
        for name in ("token_endpoint", "jwks_uri", "userinfo_endpoint", "introspection_endpoint"):
            assert meta[name].startswith("http://idp:8000/"), (name, meta[name])
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        answer = httpx.get(  # the browser, at the URL discovery gave the backend
            meta["authorization_endpoint"],
            params={
                "response_type": "code",
                "client_id": "mockidp-client",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid",
                "code_challenge": challenge.decode().rstrip("="),
                "code_challenge_method": "S256",
            },
        )
        assert answer.status_code in (302, 303), answer.text
        back = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
        assert back["iss"] == browser
        tokens = backend.post(
            urlsplit(meta["token_endpoint"]).path,
            auth=("mockidp-client", "mockidp-secret"),
            data={
                "grant_type": "authorization_code",
                "code": back["code"],
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
        ).json()
        keys = KeySet.import_key_set(backend.get(urlsplit(meta["jwks_uri"]).path).json())
    _, claims = decode_jwt(tokens["id_token"], keys, "RS256")
    assert claims["iss"] == browser


def _validate_lines(path: Path) -> list[str]:
    """The located problems ``mockidp validate`` prints for ``path`` (indented lines)."""
    done = subprocess.run(
        [sys.executable, "-m", "mockidp", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    return [line for line in done.stdout.splitlines() if line.startswith("  ")]


def test_invalid_mounted_scenario_exits_with_validates_errors(image: str, tmp_path: Path) -> None:
    folder = scenarios_folder(tmp_path, {"users": 3, "token_lifetime": "long"})
    command = readme_docker_runs()[MOUNTED]
    done = run_once(translate_docker_run(command, port=free_port(), volumes={"scenarios": folder}))
    assert done.returncode == 2, done.stdout + done.stderr
    problems = _validate_lines(folder / "mine.yaml")
    assert problems and any("(line " in line for line in problems)
    for line in problems:
        assert line in done.stderr.splitlines()
    assert "listening" not in done.stdout  # never served
    assert "Traceback" not in done.stderr


def test_missing_mounted_scenario_exits_non_zero(image: str, tmp_path: Path) -> None:
    folder = scenarios_folder(tmp_path, None)
    command = readme_docker_runs()[MOUNTED]
    done = run_once(translate_docker_run(command, port=free_port(), volumes={"scenarios": folder}))
    assert done.returncode == 2
    assert "/scenarios/mine.yaml" in done.stderr
    assert "cannot read the file" in done.stderr
    assert "listening" not in done.stdout


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("MOCKIDP_PRESET=nope", "MOCKIDP_PRESET must be one of generic, "),
        ("MOCKIDP_PORT=http", "MOCKIDP_PORT must be a port number, not 'http'"),
        ("MOCKIDP_MAX_TENANTS=many", "MOCKIDP_MAX_TENANTS must be a whole number"),
        ("MOCKIDP_STORE=redis://x", "store must be 'memory', 'sqlite://PATH' or 'dynamodb://"),
    ],
)
def test_unknown_setting_value_exits_with_a_clear_message(
    image: str, setting: str, message: str
) -> None:
    done = run_once(["-e", setting, image])
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
