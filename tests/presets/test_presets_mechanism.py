"""The preset mechanism: presets as data under a scenario's keys, the layout they give
the provider, and ``mockidp serve --preset``."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from mockidp import Layout, Provider, ScenarioError, create_app, load_scenario
from mockidp.cli import main
from mockidp.model.layout import GENERIC_PATHS
from mockidp.model.quirks import QUIRKS_SCHEMA, Quirks
from mockidp.presets import PRESETS, deep_merge, merged
from mockidp.scenario.loader import default_scenario, parse_scenario
from mockidp.scenario.schema import SCENARIO_SCHEMA
from tests.support.presets import http_for
from tests.support.serve import serve, stop

pytestmark = pytest.mark.anyio


def test_every_preset_is_data_with_a_valid_layout() -> None:
    assert {"generic", "permiso", "superoffice", "loginradius", "loginradius-hub"} <= set(PRESETS)
    for name in PRESETS:
        scenario = load_scenario({"preset": name})
        assert scenario.preset == name
        assert scenario.base_paths is not None
        Layout(scenario.base_paths)  # distinct paths, all absolute
        assert all("{" not in path for path in scenario.base_paths.values())


def test_a_preset_alone_keeps_the_default_clients_and_users() -> None:
    default = default_scenario()
    for name in PRESETS:
        scenario = load_scenario({"preset": name})
        assert scenario.clients == default.clients, name
        assert scenario.users == default.users, name
        assert scenario.default_user == "alice"


def test_a_scenario_listing_users_keeps_the_default_clients_only() -> None:
    scenario = load_scenario({"preset": "superoffice", "users": [{"sub": "tony"}]})
    assert [u.sub for u in scenario.users] == ["tony"]
    assert scenario.default_user is None
    assert [c.client_id for c in scenario.clients] == ["mockidp-client", "mockidp-public"]
    own = load_scenario({"preset": "superoffice", "clients": [{"client_id": "app"}]})
    assert [c.client_id for c in own.clients] == ["app"]
    assert [u.sub for u in own.users] == ["alice", "bob"]


def test_scenario_keys_win_over_the_preset_and_mappings_merge() -> None:
    scenario = load_scenario(
        {
            "preset": "superoffice",
            "lifetimes": {"access_token": 60},
            "quirks": {"claim_defaults": {"ctx": "Cust99999"}, "token_type": "bearer"},
            "refresh_rotation": True,
        }
    )
    assert scenario.lifetimes.access_token == 60
    assert scenario.lifetimes.id_token == 300  # the preset's, kept
    assert scenario.quirks.token_type == "bearer"
    assert scenario.quirks.claim_defaults["ctx"] == "Cust99999"
    assert scenario.quirks.claim_defaults["serial"] == "1801550193"
    assert scenario.quirks.x509_keys is True
    assert scenario.refresh_rotation is True


def test_deep_merge_replaces_lists_and_merges_mappings() -> None:
    assert deep_merge({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}}) == {
        "a": {"b": 1, "c": [2]},
        "d": 1,
    }
    assert merged({"issuer": "x"}, {"clients": []}) == {"issuer": "x"}  # no preset: as it is


def test_no_preset_is_the_generic_behaviour() -> None:
    plain = load_scenario(None)
    assert plain.preset == "generic" and plain.base_paths is None
    assert plain.quirks == Quirks()
    generic = load_scenario({"preset": "generic"})
    assert generic.base_paths == dict(GENERIC_PATHS)
    assert generic.quirks == Quirks()


async def test_generic_preset_serves_what_the_default_serves() -> None:
    async with http_for(create_app()) as a, http_for(create_app({"preset": "generic"})) as b:
        for path in ("/.well-known/openid-configuration", "/.well-known/jwks.json"):
            assert (await a.get(path)).json() == (await b.get(path)).json()


def test_problems_name_the_place() -> None:
    with pytest.raises(ScenarioError) as bad:
        parse_scenario("preset: pingfederate\n", name="s.yaml")
    assert bad.value.problems[0].location == "preset"
    assert bad.value.problems[0].line == 1
    with pytest.raises(ScenarioError) as env:
        load_scenario({"preset": "superoffice", "path_params": {"environment": "prod"}})
    assert env.value.problems[0].location == "path_params.environment"
    with pytest.raises(ScenarioError) as missing:
        load_scenario({"preset": "loginradius", "quirks": {"issuer_path": "/x/{tenant}"}})
    assert "path_params.tenant" in missing.value.problems[0].message
    with pytest.raises(ScenarioError) as quirk:
        load_scenario({"preset": "loginradius", "quirks": {"token_kind": "x"}})
    assert quirk.value.problems[0].location == "quirks.token_kind"


def test_the_schema_documents_presets_and_quirks() -> None:
    properties = SCENARIO_SCHEMA["properties"]
    assert properties["preset"]["enum"] == list(PRESETS)
    assert properties["quirks"] is QUIRKS_SCHEMA
    assert set(QUIRKS_SCHEMA["properties"]) == set(Quirks.__struct_fields__)


async def test_the_endpoints_section_overlays_the_preset_layout() -> None:
    app = create_app({"preset": "superoffice", "endpoints": {"userinfo": "/login/userinfo"}})
    assert app.provider.layout.paths["token"] == "/login/common/oauth/tokens"
    async with http_for(app) as http:
        response = await http.get("/login/userinfo")
    assert response.status_code == 401  # switched on: it wants a token


async def test_a_presets_own_endpoints_can_be_moved_or_switched_off() -> None:
    app = create_app(
        {
            "preset": "superoffice",
            "endpoints": {"current_principal": None, "system_user": "/partner/authenticate"},
        }
    )
    async with http_for(app) as http:
        principal = await http.get("/Cust12345/api/v1/User/currentPrincipal")
        old = await http.post("/Login/api/PartnerSystemUser/Authenticate", json={})
        moved = await http.post("/partner/authenticate", json={})
    assert principal.status_code == 404 and old.status_code == 404
    assert moved.status_code == 200 and moved.json()["IsSuccessful"] is False
    with pytest.raises(ScenarioError) as bad:
        load_scenario({"preset": "superoffice", "endpoints": {"principal": None}})
    assert bad.value.problems[0].location == "endpoints.principal"
    assert "current_principal" in bad.value.problems[0].message
    with pytest.raises(ScenarioError) as clash:
        load_scenario({"preset": "superoffice", "endpoints": {"system_user": "/login/logout"}})
    assert "share the path" in clash.value.problems[0].message


async def test_an_explicit_layout_wins_over_the_preset() -> None:
    layout = Layout({**GENERIC_PATHS, "token": "/my/token"})
    provider = Provider({"preset": "superoffice"}, layout=layout)
    assert provider.base_layout is layout
    assert provider.layout.paths["token"] == "/my/token"


async def test_use_scenario_switches_the_routes() -> None:
    app = create_app()
    async with http_for(app) as http:
        assert (await http.get("/login/.well-known/openid-configuration")).status_code == 404
        app.provider.use_scenario({"preset": "superoffice"})
        assert (await http.get("/login/.well-known/openid-configuration")).status_code == 200
        assert (await http.get("/.well-known/openid-configuration")).status_code == 404
        app.provider.use_scenario(None)
        assert (await http.get("/.well-known/openid-configuration")).status_code == 200


def test_load_scenario_takes_a_preset_for_files_that_name_none(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("login: auto\n")
    assert load_scenario(plain, preset="permiso").preset == "permiso"
    named = tmp_path / "named.yaml"
    named.write_text("preset: loginradius\n")
    assert load_scenario(named, preset="permiso").preset == "loginradius"
    assert load_scenario(None, preset="superoffice").preset == "superoffice"


def test_validate_accepts_a_preset_only_file(tmp_path: Path) -> None:
    only = tmp_path / "lr.yaml"
    only.write_text("preset: loginradius\n")
    assert main(["validate", str(only)]) == 0


def test_serve_with_a_preset() -> None:
    proc, issuer, banner = serve("--preset", "loginradius")
    try:
        assert issuer.endswith("/sso/oidc/v2/mysite/myapp")
        assert re.search(r"discovery  http://\S+/sso/oidc/v2/mysite/myapp/\.well-known/", banner)
        doc = httpx.get(issuer + "/.well-known/openid-configuration").json()
        assert doc["issuer"] == issuer
    finally:
        stop(proc)


def test_a_bad_code_template_is_a_located_problem() -> None:
    with pytest.raises(ScenarioError) as bad:
        load_scenario({"quirks": {"code_template": "fixed"}})
    assert bad.value.problems[0].location == "quirks.code_template"
