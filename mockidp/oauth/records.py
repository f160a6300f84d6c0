"""What the provider stores: every record kind's name, how long a kept record lasts, and
the random values and hashes that key the records.

Every kind is named here once, so two modules can never pick the same name for two
things, nor two names for one.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

UNTIL_RESET = 10 * 365 * 24 * 3600
"""The time-to-live of what lasts until a reset (registered clients, tombstones,
counters): the store needs some expiry."""

# -- tokens and grants ----------------------------------------------------------------
ACCESS = "at"
REFRESH = "rt"
GRANT = "grant"
"""The family every token of one authorization belongs to."""
REVOKED_GRANT = "revokedgrant"
"""A revoked grant's tombstone: a refresh extending it at the same moment stays dead."""
USED_REFRESH = "usedrt"
"""A rotated refresh token: presenting it again is reuse (RFC 9700 4.14.2)."""

# -- the browser side -----------------------------------------------------------------
SESSION = "session"
SESSION_OF_SID = "sessionofsid"
"""A session id by the public ``sid`` its tokens carry (``signin.session.public_sid``)."""
INTERACTION = "interaction"
CODE = "code"
USED_CODE = "usedcode"
"""A redeemed code: presenting it again revokes its grant (RFC 6749 4.1.2)."""
DEVICE = "device"
"""A device authorization's record (RFC 8628), under its device code's hash."""

# -- scripted rules -------------------------------------------------------------------
FAULT_CALLS = "faultcalls"
"""How many calls each of a scenario's ``faults`` has matched (``scripted.rules.count``)."""
BROKEN_TOKEN_CALLS = "brokentoken"
"""How many issuances each of a scenario's ``broken_tokens`` rules has matched."""

# -- clients --------------------------------------------------------------------------
REGISTERED = "regclient"
"""Store kind of a registered client: ``{"client": <scenario client document>, ...}``."""
DELETED = "regdeleted"
"""Store kind of a deleted registered client's tombstone (its tokens are dead)."""


def random_token(nbytes: int = 32) -> str:
    """An unguessable URL-safe string: codes, refresh tokens, session and interaction ids."""
    return secrets.token_urlsafe(nbytes)


def new_jti() -> str:
    return uuid.uuid4().hex


def token_handle(token: str) -> str:
    """The store key of a token: its hash, so the store never holds usable tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
