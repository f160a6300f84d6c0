"""Does the app reject what it must? An audit of a relying party's ID token validation.

An edge, like ``testing/``: it uses the core and the control API over HTTP, and nothing
in the package imports it but the command line. docs/audit.md describes the cases.
"""

from mockidp.audit.cases import CASES, Case
from mockidp.audit.pytest_api import audit_cases, check_case
from mockidp.audit.runner import Attempt, HttpSignIn, Outcome

__all__ = ["CASES", "Attempt", "Case", "HttpSignIn", "Outcome", "audit_cases", "check_case"]
