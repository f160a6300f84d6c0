"""Dynamic client registration (RFC 7591) and its management protocol (RFC 7592).

``POST`` to the registration endpoint registers a client; the answer carries its
credentials, a registration access token and the client configuration URI, where the
client reads (``GET``), replaces (``PUT``) and deletes (``DELETE``) its registration
with that token as a Bearer token. Registered clients live in the Store
(:mod:`mockidp.oauth.deps`), so every process on the store sees them; a reset forgets them.

A scenario's ``registration: {initial_access_token}`` makes registration need that
token (RFC 7591 3); ``endpoints: {registration: null}`` switches it off.
"""

from __future__ import annotations

import hmac

from msgspec import Struct

from mockidp.errors import InvalidRequest, InvalidToken, MissingToken
from mockidp.oauth import records
from mockidp.oauth.clients.metadata import Checked, Offer, check
from mockidp.oauth.deps import MAX_ID, Deps
from mockidp.oauth.records import UNTIL_RESET, Deleted, Registered, random_token
from mockidp.types import JSONObject

# RFC 7592 2.2: the client must not send what only the server sets.
_SERVER_MEMBERS = (
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
)


class Urls(Struct, frozen=True):
    """Where a registered client is managed: ``{client_id}`` filled in; None: nowhere."""

    client_uri: str | None

    def for_client(self, client_id: str) -> str | None:
        return self.client_uri.replace("{client_id}", client_id) if self.client_uri else None


def register(
    deps: Deps, raw: JSONObject, offer: Offer, urls: Urls, *, bearer: str | None
) -> JSONObject:
    """RFC 7591 3.1 and 3.2.1: a new client; the client information response."""
    required = deps.scenario.registration.initial_access_token
    if required is not None:
        if not bearer:
            raise MissingToken(
                "registration needs an initial access token: 'Authorization: Bearer'"
            )
        if not _same(bearer, required):
            raise InvalidToken("the initial access token is wrong")
    checked = check(_without_identity(raw), offer)
    client_id = random_token(18)
    record = Registered(
        issued_at=int(deps.state.now()),
        token=random_token(32) if urls.client_uri else None,
        metadata=checked.metadata,
        client={
            **checked.client,
            "client_id": client_id,
            **({"client_secret": random_token(32)} if checked.needs_secret else {}),
        },
    )
    records.put(deps.state, client_id, record, ttl=UNTIL_RESET)
    return _information(client_id, record, urls)


def read(deps: Deps, client_id: str, urls: Urls, *, bearer: str | None) -> JSONObject:
    """RFC 7592 2.1: the client's current registration."""
    return _information(client_id, _authorized(deps, client_id, bearer), urls)


def update(
    deps: Deps, client_id: str, raw: JSONObject, offer: Offer, urls: Urls, *, bearer: str | None
) -> JSONObject:
    """RFC 7592 2.2: replace every metadata value; omitted ones fall back to defaults.

    The client_id, secret and registration access token stay as they were.
    """
    record = _authorized(deps, client_id, bearer)
    present = [m for m in _SERVER_MEMBERS if m in raw]
    if present:
        raise InvalidRequest(f"do not send {', '.join(present)} in an update (RFC 7592 2.2)")
    if raw.get("client_id") != client_id:
        raise InvalidRequest("the body's client_id must be this client's (RFC 7592 2.2)")
    secret = record.client.get("client_secret")
    if "client_secret" in raw and not (
        isinstance(raw["client_secret"], str) and secret and _same(raw["client_secret"], secret)
    ):
        raise InvalidRequest("client_secret must be the one issued; it cannot be chosen")
    checked: Checked = check(_without_identity(raw), offer)
    # newly confidential: it gets a secret now; now public: the secret goes
    secret = (secret or random_token(32)) if checked.needs_secret else None
    record.metadata = checked.metadata
    record.client = {
        **checked.client,
        "client_id": client_id,
        **({"client_secret": secret} if secret else {}),
    }
    records.put(deps.state, client_id, record, ttl=UNTIL_RESET)
    return _information(client_id, record, urls)


def delete(deps: Deps, client_id: str, *, bearer: str | None) -> None:
    """RFC 7592 2.3: the client, its credentials and its tokens stop working."""
    _authorized(deps, client_id, bearer)
    # first: its tokens die (deps.client_deleted)
    records.put(deps.state, client_id, Deleted(), ttl=UNTIL_RESET)
    records.delete(deps.state, Registered, client_id)


# -- helpers ------------------------------------------------------------------------------


def _authorized(deps: Deps, client_id: str, bearer: str | None) -> Registered:
    """The registration record, when ``bearer`` is its registration access token.

    RFC 7592 2.1: an unknown client is answered 401 like a wrong token, so the
    endpoint tells nobody which client ids exist.
    """
    if not bearer:
        raise MissingToken("send the registration access token as 'Authorization: Bearer'")
    known = 0 < len(client_id) <= MAX_ID
    record = records.get(deps.state, Registered, client_id) if known else None
    token = record.token if record is not None else None
    if record is None or token is None or not _same(bearer, token):
        raise InvalidToken("the registration access token is wrong, or the client is gone")
    return record


def _information(client_id: str, record: Registered, urls: Urls) -> JSONObject:
    """RFC 7591 3.2.1 / RFC 7592 3: credentials, management details, every registered value."""
    out: JSONObject = {"client_id": client_id}
    secret = record.client.get("client_secret")
    if secret:
        out["client_secret"] = secret
        out["client_secret_expires_at"] = 0  # never expires
    out["client_id_issued_at"] = record.issued_at
    uri = urls.for_client(client_id)
    if uri is not None and record.token:
        out["registration_access_token"] = record.token
        out["registration_client_uri"] = uri
    out.update(record.metadata)
    return out


def _without_identity(raw: JSONObject) -> JSONObject:
    """The metadata proper: the server assigns the id and secret (a client's are ignored)."""
    return {
        k: v for k, v in raw.items() if k not in ("client_id", "client_secret", *_SERVER_MEMBERS)
    }


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
