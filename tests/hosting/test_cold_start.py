"""What the cold-start shortcuts trust, checked the long way; and what stays unimported.

The embedded default scenario is read from its JSON twin without schema validation or
checks, and the packaged RSA keys skip OpenSSL's key check at load
(bench/cold_import.py); these tests are what makes that safe.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest
import yaml
from joserfc.jwk import RSAKey

from mockidp.keys import material
from mockidp.keys.ring import KeyRing
from mockidp.scenario.loader import check_scenario_text, default_scenario, parse_scenario

DEFAULT_TEXT = (
    resources.files("mockidp").joinpath("scenarios").joinpath("default.yaml").read_text("utf-8")
)
PACKAGED_RSA = [name for name, alg in material.PACKAGED_ALG.items() if alg == "RS256"]


def test_the_default_scenario_passes_the_schema() -> None:
    assert check_scenario_text(DEFAULT_TEXT, name="default.yaml") == []


def test_the_default_scenario_loads_as_a_fully_validated_parse_would() -> None:
    validated = parse_scenario(DEFAULT_TEXT, name="default.yaml (embedded)")
    assert default_scenario() == validated


def test_the_json_twin_holds_the_yaml_documents_data() -> None:
    """Edit default.yaml, then regenerate the twin: python -c "import json, yaml;
    print(json.dumps(yaml.safe_load(open('mockidp/scenarios/default.yaml')), indent=2))"
    > mockidp/scenarios/default.json"""
    twin = resources.files("mockidp").joinpath("scenarios", "default.json").read_text("utf-8")
    assert json.loads(twin) == yaml.safe_load(DEFAULT_TEXT)


@pytest.mark.parametrize("name", PACKAGED_RSA)
def test_packaged_rsa_keys_pass_openssls_check(name: str) -> None:
    data = material.packaged_key_dict(name)
    checked = RSAKey.import_key(dict(data))  # validates the key
    fast = material._packaged_rsa_key(dict(data))
    assert fast is not None
    assert fast.as_dict(private=True) == checked.as_dict(private=True)


def test_a_users_rsa_key_is_not_taken_for_a_packaged_one() -> None:
    generated = RSAKey.generate_key(2048).as_dict(private=True)
    assert material._packaged_rsa_key(dict(generated)) is None
    tampered = {**material.packaged_key_dict(PACKAGED_RSA[0]), "d": generated["d"]}
    assert material._packaged_rsa_key(tampered) is None


def test_a_token_signed_with_the_fast_key_verifies() -> None:
    ring = KeyRing.packaged("RS256")
    header, claims = ring.verify(ring.sign({"sub": "alice"}))
    assert header["alg"] == "RS256"
    assert claims == {"sub": "alice"}


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


def test_the_pytest_plugin_imports_nothing_of_mockidp_until_a_fixture_runs() -> None:
    loaded = _modules_after("import mockidp.pytest_plugin")
    assert not {"mockidp.asgi", "starlette", "joserfc", "jsonschema"} & loaded
    assert not {name for name in loaded if name.startswith("mockidp.keys.")}


def test_the_default_app_does_not_import_jsonschema() -> None:
    loaded = _modules_after("import mockidp\nmockidp.create_app()")
    assert "jsonschema" not in loaded
    assert "mockidp.asgi" in loaded
