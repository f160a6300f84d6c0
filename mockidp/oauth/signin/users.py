"""Who a login names: the one look-up of the login page and the device page."""

from __future__ import annotations

from mockidp.model.scenario import Scenario, User


def find_user(scenario: Scenario, login: str) -> User | None:
    """The scenario's user by sub or username, else by email; None for anyone else."""
    found = scenario.user(login)
    if found is None:
        found = next((u for u in scenario.users if u.claims.get("email") == login), None)
    return found
