"""The scenario's access parts (roles, groups, client roles, role permissions, client
metadata documents, registration.any_scope) load, dump and load back equal."""

from __future__ import annotations

import msgspec

from mockidp.scenario.dump import dump_scenario
from mockidp.scenario.loader import load_scenario

DATA = {
    "preset": "auth0",
    "role_permissions": {"admin": ["read:reports"]},
    "client_metadata_documents": {
        "enabled": True,
        "allow_loopback": False,
        "documents": {"https://x.example/c.json": {"client_id": "https://x.example/c.json"}},
    },
    "registration": {"any_scope": True},
    "users": [{"sub": "u", "roles": ["admin"], "groups": ["g"], "client_roles": {"c": ["r"]}}],
    "clients": [
        {
            "client_id": "c",
            "roles": ["Reports.Read.All"],
            "loopback_ports": True,
            "redirect_uris": ["http://127.0.0.1/cb"],
        }
    ],
}


def test_the_access_parts_load_back_equal() -> None:
    scenario = load_scenario(DATA)
    again = load_scenario(dump_scenario(scenario))
    assert msgspec.structs.replace(again, source=scenario.source) == scenario
    user, client = scenario.users[0], scenario.clients[0]
    assert (user.roles, user.groups, user.client_roles) == (("admin",), ("g",), {"c": ("r",)})
    assert (client.roles, client.loopback_ports) == (("Reports.Read.All",), True)
    assert scenario.role_permissions == {"admin": ("read:reports",)}
    assert scenario.registration.any_scope is True
    assert scenario.client_metadata_documents.accepted("auth0") is True


def test_client_metadata_documents_follow_the_preset_unless_set() -> None:
    assert load_scenario({}).client_metadata_documents.accepted("generic") is True
    keycloak = load_scenario({"preset": "keycloak"})
    assert keycloak.client_metadata_documents.accepted(keycloak.preset) is False
