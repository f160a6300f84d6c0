"""Unit tests of the scenario loader, and of the default scenario's public identifiers."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mockidp import Scenario, ScenarioError, load_scenario, parse_scenario
from mockidp.errors import ScenarioProblem
from mockidp.model.response_types import RESPONSE_TYPES
from mockidp.oauth.urls import uri_allowed
from mockidp.scenario.loader import check_scenario_text, default_scenario, location


def _problems(text: str, name: str = "scenario.yaml") -> list[ScenarioProblem]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(textwrap.dedent(text), name=name)
    assert caught.value.source == name
    return caught.value.problems


def _only(text: str, name: str = "scenario.yaml") -> ScenarioProblem:
    problems = _problems(text, name)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# -- locations and line numbers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((), ""),
        (("issuer",), "issuer"),
        (("clients", 1, "redirect_uris", 0), "clients[1].redirect_uris[0]"),
        (("users", 0, "claims", "address"), "users[0].claims.address"),
    ],
)
def test_location_renders_paths(path: tuple[str | int, ...], expected: str) -> None:
    assert location(path) == expected


YAML_BAD_REDIRECT = """\
login: auto
clients:
  - client_id: first
    client_secret: s1
    redirect_uris: [https://first.example/cb]
  - client_id: second
    client_secret: s2
    redirect_uris:
      - not/absolute
      - https://second.example/cb#fragment
"""


def test_yaml_problem_has_location_and_line() -> None:
    problems = _problems(YAML_BAD_REDIRECT)
    assert [(p.location, p.line) for p in problems] == [
        ("clients[1].redirect_uris[0]", 9),
        ("clients[1].redirect_uris[1]", 10),
    ]
    assert "absolute URI" in problems[0].message


def test_error_message_lists_every_problem_with_location_and_line() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(YAML_BAD_REDIRECT, name="my.yaml")
    text = str(caught.value)
    assert text.startswith("invalid scenario my.yaml:\n")
    assert "  clients[1].redirect_uris[0] (line 9): must be an absolute URI" in text
    assert "  clients[1].redirect_uris[1] (line 10): " in text


def _json_doc() -> dict[str, Any]:
    return {
        "clients": [
            {"client_id": "first", "client_secret": "s", "redirect_uris": ["https://a/cb"]},
            {"client_id": "second", "client_secret": "s", "redirect_uris": ["not/absolute"]},
        ]
    }


def _json_line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("indent", [2, 4, "\t"], ids=["2-spaces", "4-spaces", "tabs"])
def test_json_problem_has_location_and_line(indent: int | str) -> None:
    text = json.dumps(_json_doc(), indent=indent)
    problem = _only(text, "scenario.json")
    assert problem.location == "clients[1].redirect_uris[0]"
    assert problem.line == _json_line_of(text, "not/absolute")


def test_json_file_is_loaded_from_disk_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    text = json.dumps(_json_doc(), indent="\t")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.source == str(path)
    [problem] = caught.value.problems
    assert problem.location == "clients[1].redirect_uris[0]"
    assert problem.line == _json_line_of(text, "not/absolute") == 14


def test_schema_problems_carry_locations_and_lines() -> None:
    problems = _problems(
        """\
        login: sometimes
        lifetimes:
          code: 0
        clients:
          - client_id: a
            grant_types: [authorization_code, magic]
        """
    )
    got = {(p.location, p.line) for p in problems}
    assert got == {("login", 1), ("lifetimes.code", 3), ("clients[0].grant_types[1]", 6)}


def test_invalid_yaml_reports_its_line() -> None:
    problem = _only("login: auto\nclients:\n  - client_id: [unclosed\n")
    assert problem.message.startswith("not valid YAML")
    assert problem.line is not None and problem.line >= 3


def test_invalid_json_reports_its_line() -> None:
    problem = _only(
        '{\n  "login": "auto",\n  "clients": [\n    {"client_id": "a",,}\n  ]\n}', "s.json"
    )
    assert problem.line == 4


def test_a_scenario_must_be_a_mapping() -> None:
    problem = _only("- login\n- auto\n")
    assert problem.message == "a scenario is a mapping of keys to values"


def test_empty_document_is_an_empty_scenario() -> None:
    scenario = parse_scenario("")
    assert scenario.clients == ()
    assert scenario.users == ()
    assert scenario.default is None


# -- unknown and duplicate keys ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "suggestion"),
    [
        ("logn: auto\n", "logn", "login"),
        (
            "clients:\n  - client_id: a\n    client_secrte: s\n",
            "clients[0].client_secrte",
            "client_secret",
        ),
        ("lifetimes:\n  acess_token: 60\n", "lifetimes.acess_token", "access_token"),
        ("users:\n  - sub: a\n    pasword: x\n", "users[0].pasword", "password"),
        (
            "clients:\n  - client_id: a\n    redirect_uri: [https://a/cb]\n",
            "clients[0].redirect_uri",
            "redirect_uris",
        ),
    ],
)
def test_unknown_key_suggests_the_closest(text: str, where: str, suggestion: str) -> None:
    problem = _only(text)
    assert problem.location == where
    assert problem.message == f"unknown key; did you mean {suggestion!r}?"
    assert problem.line == text.count("\n")


def test_unknown_key_with_nothing_close_lists_the_known_ones() -> None:
    problem = _only("zzzzzz: 1\n")
    assert problem.location == "zzzzzz"
    assert problem.message.startswith("unknown key; known keys: issuer, signing_alg, login,")


def test_duplicate_keys_are_reported_at_the_second_one() -> None:
    problems = _problems(
        """\
        login: auto
        consent: auto
        login: page
        clients:
          - client_id: a
            client_secret: s
            client_secret: t
        """
    )
    assert [(p.location, p.line, p.message) for p in problems] == [
        ("login", 3, "duplicate key"),
        ("clients[0].client_secret", 7, "duplicate key"),
    ]


def test_duplicate_keys_in_json_are_reported() -> None:
    text = '{\n\t"login": "auto",\n\t"login": "page"\n}\n'
    problem = _only(text, "scenario.json")
    assert (problem.location, problem.line, problem.message) == ("login", 3, "duplicate key")


# -- semantic checks -----------------------------------------------------------------------------


def test_duplicate_client_ids() -> None:
    problem = _only(
        """\
        clients:
          - client_id: app
            client_secret: one
          - client_id: other
            client_secret: two
          - client_id: app
            client_secret: three
        """
    )
    assert (problem.location, problem.line) == ("clients[2].client_id", 6)
    assert problem.message == "duplicate client_id 'app'"


def test_duplicate_user_subjects() -> None:
    problem = _only("users:\n  - sub: ann\n  - sub: ann\n")
    assert (problem.location, problem.line) == ("users[1].sub", 3)


@pytest.mark.parametrize("default_user", ["zed", "Ann"])
def test_default_user_must_exist(default_user: str) -> None:
    problem = _only(f"default_user: {default_user}\nusers:\n  - sub: ann\n    username: annie\n")
    assert (problem.location, problem.line) == ("default_user", 1)
    assert problem.message.startswith(f"no user {default_user!r} in users")


@pytest.mark.parametrize("login", ["ann", "annie"])
def test_default_user_by_sub_or_username(login: str) -> None:
    scenario = parse_scenario(f"default_user: {login}\nusers:\n  - sub: ann\n    username: annie\n")
    assert scenario.default is not None
    assert scenario.default.sub == "ann"


@pytest.mark.parametrize(
    "method", ["client_secret_basic", "client_secret_post", "client_secret_jwt"]
)
def test_secret_methods_need_a_secret(method: str) -> None:
    problem = _only(f"clients:\n  - client_id: a\n    token_endpoint_auth_method: {method}\n")
    assert (problem.location, problem.line) == ("clients[0]", 2)
    assert problem.message == f"{method} needs a client_secret"


def test_public_client_must_not_have_a_secret() -> None:
    problem = _only(
        """\
        clients:
          - client_id: spa
            token_endpoint_auth_method: none
            client_secret: oops
        """
    )
    assert (problem.location, problem.line) == ("clients[0].client_secret", 4)
    assert "public client" in problem.message


def test_private_key_jwt_needs_jwks() -> None:
    problem = _only("clients:\n  - client_id: a\n    token_endpoint_auth_method: private_key_jwt\n")
    assert (problem.location, problem.message) == ("clients[0]", "private_key_jwt needs jwks")


def test_client_scope_must_be_known() -> None:
    problem = _only(
        "clients:\n  - client_id: a\n    client_secret: s\n    scopes: [openid, nope]\n"
    )
    assert (problem.location, problem.line) == ("clients[0].scopes[1]", 4)
    assert problem.message == "unknown scope 'nope'; add it to the top-level scopes"


def test_client_scope_declared_at_top_level_is_fine() -> None:
    scenario = parse_scenario(
        "scopes: [api:read]\nclients:\n  - client_id: a\n    client_secret: s\n    scopes: [api:read]\n"
    )
    assert "api:read" in scenario.scopes
    client = scenario.client("a")
    assert client is not None and client.scopes == ("api:read",)


@pytest.mark.parametrize(
    "issuer",
    ["ftp://idp.example", "idp.example", "https://idp.example/?x=1", "https://idp.example/#f"],
)
def test_issuer_must_be_a_plain_http_url(issuer: str) -> None:
    problem = _only(f"issuer: '{issuer}'\n")
    assert (problem.location, problem.line) == ("issuer", 1)


def test_several_semantic_problems_are_reported_together() -> None:
    problems = _problems(
        """\
        default_user: nobody
        clients:
          - client_id: a
            token_endpoint_auth_method: client_secret_post
          - client_id: a
            token_endpoint_auth_method: none
            client_secret: x
            redirect_uris: [relative]
        """
    )
    assert {p.location for p in problems} == {
        "default_user",
        "clients[0]",
        "clients[1].client_id",
        "clients[1].client_secret",
        "clients[1].redirect_uris[0]",
    }


def test_check_scenario_text_returns_problems_without_raising() -> None:
    assert check_scenario_text("login: auto\n") == []
    [problem] = check_scenario_text("login: maybe\n")
    assert problem.location == "login"


def test_secret_implies_client_secret_basic_and_no_secret_means_public() -> None:
    scenario = parse_scenario(
        "clients:\n  - client_id: conf\n    client_secret: s\n  - client_id: pub\n"
    )
    conf, pub = scenario.client("conf"), scenario.client("pub")
    assert conf is not None and pub is not None
    assert conf.token_endpoint_auth_method == "client_secret_basic"
    assert not conf.public and not conf.require_pkce
    assert pub.token_endpoint_auth_method == "none"
    assert pub.public and pub.require_pkce


# -- load_scenario ---------------------------------------------------------------------------------


def test_load_scenario_from_a_yaml_path(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("default_user: ann\nusers:\n  - sub: ann\n", encoding="utf-8")
    for source in (path, str(path)):
        scenario = load_scenario(source)
        assert scenario.source == str(path)
        assert scenario.default is not None and scenario.default.sub == "ann"


def test_load_scenario_from_a_json_path(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"login": "page", "users": [{"sub": "ann"}]}), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.login == "page"
    assert [u.sub for u in scenario.users] == ["ann"]


def test_load_scenario_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.source == str(path)
    assert caught.value.problems[0].message.startswith("cannot read the file")


def test_load_scenario_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("issuer: 'https://caf\u00e9.example'\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.problems[0].message.startswith("cannot read the file")


def test_load_scenario_from_a_mapping() -> None:
    scenario = load_scenario(
        {"consent": "page", "clients": [{"client_id": "a", "client_secret": "s"}]}
    )
    assert scenario.consent == "page"
    assert scenario.source == "<mapping>"
    client = scenario.client("a")
    assert client is not None and client.client_secret == "s"


def test_load_scenario_from_a_bad_mapping_locates_the_problem() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario({"clients": [{"client_id": "a"}, {"client_id": "a"}]})
    assert [p.location for p in caught.value.problems] == ["clients[1].client_id"]


def test_load_scenario_none_is_the_default() -> None:
    assert load_scenario(None) is default_scenario()
    assert load_scenario() is default_scenario()


def test_load_scenario_passes_a_scenario_through() -> None:
    scenario = Scenario(login="page")
    assert load_scenario(scenario) is scenario


# -- the default scenario: public identifiers that never change ---------------------------------


def test_default_scenario_clients_are_stable() -> None:
    scenario = load_scenario(None)
    assert [c.client_id for c in scenario.clients] == ["mockidp-client", "mockidp-public"]
    confidential = scenario.client("mockidp-client")
    assert confidential is not None
    assert confidential.client_secret == "mockidp-secret"
    assert confidential.token_endpoint_auth_method == "client_secret_basic"
    assert confidential.grant_types == (
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
    )
    public = scenario.client("mockidp-public")
    assert public is not None
    assert public.client_secret is None
    assert public.public
    assert public.require_pkce
    assert public.grant_types == (
        "authorization_code",
        "refresh_token",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
    )
    for client in (confidential, public):  # every response type, to try implicit and hybrid
        assert set(client.response_types) == set(RESPONSE_TYPES)
    for client in (confidential, public):
        assert client.redirect_uris == (
            "http://localhost:8080/callback",
            "http://127.0.0.1:8080/callback",
        )
        assert client.loopback_redirects


def test_default_scenario_users_are_stable() -> None:
    scenario = load_scenario(None)
    assert [u.sub for u in scenario.users] == ["alice", "bob"]
    assert scenario.default_user == "alice"
    assert scenario.default is not None and scenario.default.sub == "alice"
    alice, bob = scenario.user("alice"), scenario.user("bob")
    assert alice is not None and bob is not None
    assert alice.password == "alice" and bob.password == "bob"
    assert alice.claims["email"] == "alice@example.com"
    assert bob.claims["email"] == "bob@example.com"
    assert scenario.login == "auto" and scenario.consent == "auto"
    assert scenario.signing_alg == "RS256"


@pytest.mark.parametrize("client_id", ["mockidp-client", "mockidp-public"])
@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("http://127.0.0.1:54321/callback", True),
        ("http://localhost:3000/auth/cb", True),
        ("http://[::1]:8080/cb", True),
        ("http://127.0.0.1/cb", True),
        ("http://testserver/callback", True),  # Starlette/FastAPI/Django test clients
        ("https://127.0.0.1:8080/callback", False),
        ("http://127.0.0.1@evil.example/cb", False),
        ("http://localhost.evil.example/cb", False),
        ("https://app.example/callback", False),
    ],
)
def test_default_clients_accept_loopback_redirects(client_id: str, uri: str, allowed: bool) -> None:
    client = load_scenario(None).client(client_id)
    assert client is not None
    assert uri_allowed(uri, client.redirect_uris, loopback=client.loopback_redirects) is allowed


def test_the_login_and_consent_pages_cannot_be_switched_off() -> None:
    from mockidp.scenario.loader import check_scenario_text

    problems = check_scenario_text("endpoints: {login: null, consent: null, userinfo: null}\n")
    assert [(p.location, p.message) for p in problems] == [
        ("endpoints.login", "the login page cannot be switched off; it can be moved"),
        ("endpoints.consent", "the consent page cannot be switched off; it can be moved"),
    ]


def test_a_scripted_http_status_must_be_a_final_answer() -> None:
    from mockidp.scenario.loader import check_scenario_text

    problems = check_scenario_text("faults: [{respond: {http_status: {status: 101}}}]\n")
    assert [p.location for p in problems] == ["faults[0].respond.http_status.status"]


def test_schema_problems_do_not_hide_the_other_sections_problems() -> None:
    from mockidp.scenario.loader import check_scenario_text

    text = (
        "clients:\n"
        "  - client_id: app\n"
        "    redirect_uri: [x]\n"  # schema: unknown key
        "users:\n"
        "  - sub: alice\n"
        "default_user: bob\n"  # semantic: no such user
        "signing_key: nope\n"  # semantic: no such key
    )
    found = {(p.location, p.line) for p in check_scenario_text(text)}
    assert found == {
        ("clients[0].redirect_uri", 3),
        ("default_user", 6),
        ("signing_key", 7),
    }
