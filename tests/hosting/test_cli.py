"""The command line: validate, schema, and serve as a real process."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from jsonschema import Draft202012Validator

from mockidp.cli import main
from tests.support.serve import serve, stop

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.y*ml")) + sorted((ROOT / "scenarios").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_scenario_is_valid(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: ok"


def test_validate_reports_every_problem_with_place_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("clients:\n  - client_id: app\n    redirect_urls: []\nlogin: sometimes\n")
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}: 2 problems" in out
    assert "clients[0].redirect_urls (line 3): unknown key; did you mean 'redirect_uris'?" in out
    assert re.search(r"login \(line 4\): 'sometimes' is not one of", out)


def test_validate_of_a_missing_file_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / "absent.yaml")]) == 1
    assert "cannot read" in capsys.readouterr().out


def test_schema_is_a_valid_json_schema_that_accepts_the_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import yaml

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    default = yaml.safe_load((ROOT / "mockidp" / "scenarios" / "default.yaml").read_text())
    assert list(Draft202012Validator(schema).iter_errors(default)) == []


def test_serve_prints_credentials_then_logs_each_request() -> None:
    proc, issuer, banner = serve()
    try:
        doc = httpx.get(issuer + "/.well-known/openid-configuration").json()
        assert doc["issuer"] == issuer
        token = httpx.post(
            issuer + "/token",
            data={"grant_type": "client_credentials"},
            auth=("mockidp-client", "wrong"),
        )
        assert token.status_code == 401
    finally:
        out = stop(proc)
    assert "client     mockidp-client (secret mockidp-secret)" in banner
    assert "users      alice (default), bob" in banner
    assert re.search(r"GET /\.well-known/openid-configuration +client=- +discovery +200", out)
    assert re.search(
        r"POST /token +client=mockidp-client +client_credentials +401 +error=invalid_client", out
    )


def test_serve_watch_reloads_the_scenario_and_keeps_tokens(tmp_path: Path) -> None:
    import yaml

    default = yaml.safe_load((ROOT / "mockidp" / "scenarios" / "default.yaml").read_text())
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(default))
    proc, issuer, _ = serve(str(path), "--watch", "--quiet")
    try:
        token = httpx.post(
            issuer + "/token",
            data={
                "grant_type": "password",
                "username": "bob",
                "password": "bob",
                "scope": "openid profile",
            },
            auth=("mockidp-client", "mockidp-secret"),
        ).json()["access_token"]
        default["users"][1]["claims"]["name"] = "Robert Brown"
        time.sleep(1.1)  # a new mtime even on coarse-grained file systems
        path.write_text(yaml.safe_dump(default))
        for _ in range(100):
            info = httpx.get(issuer + "/userinfo", headers={"Authorization": f"Bearer {token}"})
            if info.status_code == 200 and info.json().get("name") == "Robert Brown":
                break
            time.sleep(0.05)
        assert info.status_code == 200
        assert info.json()["name"] == "Robert Brown"
    finally:
        out = stop(proc)
    assert f"mockidp: reloaded {path}" in out


def test_serve_refuses_an_invalid_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [{name: nobody}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "mockidp", "serve", str(bad), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "users[0]" in result.stderr


def test_environment_settings_are_read(tmp_path: Path) -> None:
    proc, issuer, _ = serve(env={"MOCKIDP_ISSUER": "https://idp.example.test"})
    try:
        assert issuer == "https://idp.example.test"
    finally:
        stop(proc)


def test_preset_from_the_environment_and_the_flag_wins() -> None:
    proc, issuer, _ = serve(env={"MOCKIDP_PRESET": "keycloak"})
    try:
        assert issuer.endswith("/realms/mockidp")
    finally:
        stop(proc)
    proc, issuer, _ = serve("--preset", "okta", env={"MOCKIDP_PRESET": "keycloak"})
    try:
        assert issuer.endswith("/oauth2/default")
    finally:
        stop(proc)


def test_an_unknown_preset_in_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOCKIDP_PRESET", "nope")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "MOCKIDP_PRESET must be one of generic, " in err
    assert "'nope'" in err


def test_serve_sign_ins_prints_each_finished_sign_in_on_one_line() -> None:
    stack = contextlib.ExitStack()
    proc, issuer, _ = serve("--sign-ins", "--quiet")
    try:
        client = stack.enter_context(httpx.Client(base_url=issuer))
        authorize = {
            "client_id": "mockidp-client",
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": "http://localhost:8080/callback",
        }
        location = client.get("/authorize", params=authorize).headers["location"]
        code = dict(parse_qsl(urlsplit(location).query))["code"]
        redeem = {"grant_type": "authorization_code", "code": code, **authorize}
        auth = ("mockidp-client", "mockidp-secret")
        assert client.post("/token", data=redeem, auth=auth).status_code == 200
        assert client.post("/token", data=redeem, auth=auth).status_code == 400  # used
    finally:
        stack.close()
        out = stop(proc)
    # the readiness check's key set request joins the sign-in that follows it
    lines = [line.replace("jwks 200 > ", "") for line in out.splitlines()]
    assert [line for line in lines if line.startswith("sign-in")] == [
        "sign-in 1 (mockidp-client): authorization 302 > token 200",
        "sign-in 1 (mockidp-client): authorization 302 > token 200 > token 400 invalid_grant: "
        "code was already used; the tokens issued for it are revoked",
    ], out
    assert "GET /authorize" not in out  # --quiet: no line per request
