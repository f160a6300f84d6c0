"""What `mockidp validate` tells a new user: misspelt endpoint and user names with a
"did you mean", type errors with an example of what fits, reference and schema problems
in one run, `$schema` for editors, and a schema with descriptions and defaults."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from mockidp.cli import main
from mockidp.scenario.loader import check_scenario_text, load_scenario

README = Path(__file__).resolve().parents[2] / "README.md"


def _messages(text: str) -> dict[str, str]:
    return {p.location: p.message for p in check_scenario_text(text)}


def test_a_misspelt_fault_endpoint_is_reported_with_a_suggestion() -> None:
    found = _messages("faults:\n  - match: {endpoint: tokn}\n    respond: {latency_ms: 5}\n")
    assert found == {"faults[0].match.endpoint": "unknown endpoint 'tokn'; did you mean 'token'?"}


def test_broken_token_and_endpoints_names_are_checked_too() -> None:
    found = _messages(
        "broken_tokens:\n"
        "  - match: {endpoint: [token, userinfoo]}\n"
        "    token: id_token\n"
        "    defect: expired\n"
        "endpoints: {revokation: /r}\n"
    )
    assert found["broken_tokens[0].match.endpoint[1]"].endswith("did you mean 'userinfo'?")
    assert found["endpoints.revokation"].endswith("did you mean 'revocation'?")


def test_a_type_error_shows_the_expected_shape() -> None:
    found = _messages("faults:\n  - match: {endpoint: token}\n    respond: {http_status: 503}\n")
    message = found["faults[0].respond.http_status"]
    assert "503 is not of type 'object'" in message
    assert "expected, e.g. {status: 503" in message


def test_reference_problems_come_with_schema_problems_in_one_run() -> None:
    text = (
        "default_user: carla\n"
        "users:\n  - {sub: carol, password: 5}\n"  # a schema problem in users
        "faults:\n  - match: {endpoint: tokn}\n    respond: {http_status: 503}\n"
    )
    found = _messages(text)
    assert "users[0].password" in found
    assert found["default_user"] == "no user 'carla' in users; did you mean 'carol'?"
    assert "did you mean 'token'" in found["faults[0].match.endpoint"]
    assert "faults[0].respond.http_status" in found


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("mine.json", '{"$schema": "./mockidp.schema.json", "login": "page"}'),
        (
            "mine.yaml",
            "# yaml-language-server: $schema=./mockidp.schema.json\n"
            "$schema: ./mockidp.schema.json\nlogin: page\n",
        ),
    ],
)
def test_a_schema_reference_is_accepted(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    assert check_scenario_text(text) == []
    assert main(["validate", str(path)]) == 0
    assert load_scenario(path).login == "page"


def test_the_printed_schema_has_descriptions_and_defaults(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    properties = schema["properties"]
    assert [k for k, v in properties.items() if "description" not in v] == []
    assert properties["login"]["default"] == "auto"
    assert properties["signing_alg"]["default"] == "RS256"
    assert properties["refresh_rotation"]["default"] is True
    assert properties["lifetimes"]["properties"]["access_token"]["default"] == 3600
    assert "$schema" in properties


def test_the_readme_says_how_to_wire_the_schema_into_editors() -> None:
    section = README.read_text("utf-8").split("## Editor completion", 1)[1].split("\n## ", 1)[0]
    for needle in (
        "mockidp schema > mockidp.schema.json",
        "yaml-language-server: $schema=",
        "yaml.schemas",
        '"$schema"',
        "json.schemas",
    ):
        assert needle in section
