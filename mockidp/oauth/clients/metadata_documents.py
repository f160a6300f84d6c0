"""OAuth Client ID Metadata Documents (the OAuth working group's draft, the MCP
authorization specification's preferred registration): a ``client_id`` that is an https
URL names the client's metadata, a JSON document at that URL.

The document is fetched with a short timeout and a size cap, not following redirects,
and kept as long as its HTTP caching headers say (RFC 9111: ``max-age``, ``Expires``;
``no-store`` / ``no-cache`` keep nothing; none: a heuristic 5 minutes). It must name
itself (``client_id`` equal to the URL), hold no shared secret, and pass the checks a
dynamic registration passes (:mod:`mockidp.oauth.clients.metadata`); the client is
public (``token_endpoint_auth_method: none``) unless it says ``private_key_jwt``.
Its ``redirect_uris`` then decide, exactly, where codes may go.

For tests, ``allow_loopback`` (default on) lets documents live on loopback and private
addresses and trusts the ``mockidp serve --tls`` CA; ``documents`` in the scenario
answers a URL without any fetch (in-process test suites).
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import time
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from mockidp.errors import InvalidClient, OAuthError
from mockidp.model.scenario import Client, ClientMetadataDocuments
from mockidp.oauth.clients.metadata import Offer, check
from mockidp.scenario.build import build_client
from mockidp.store.state import State
from mockidp.types import JSONObject

DOCUMENT = "cimd"
"""The state kind of a fetched, checked document (the client, scenario-shaped)."""
FETCH_TIMEOUT = 3.0
MAX_BYTES = 5 * 1024
MAX_URL = 512
HEURISTIC_FRESHNESS = 300
MAX_FRESHNESS = 24 * 3600
_SHARED_SECRET_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")
_LOOPBACK_NAMES = ("localhost", "localhost.")


def is_document_url(client_id: str) -> bool:
    """Whether ``client_id`` is meant as a metadata document's URL."""
    return client_id.startswith("https://")


def find(
    state: State, settings: ClientMetadataDocuments, client_id: str, offer: Offer
) -> Client | None:
    """The client the document at ``client_id`` describes; None when ``client_id`` is
    not an https URL. InvalidClient says why a document cannot be used."""
    if not is_document_url(client_id):
        return None
    _check_url(client_id, settings)
    cached = state.get(DOCUMENT, client_id)
    if cached is not None:
        return build_client(cached)
    given = settings.documents.get(client_id)
    if given is not None:
        return build_client(client_document(given, client_id, offer))
    document, freshness = fetch(client_id, settings)
    client = client_document(document, client_id, offer)
    if freshness > 0:
        state.put(DOCUMENT, client_id, client, ttl=freshness)
    return build_client(client)


def _check_url(url: str, settings: ClientMetadataDocuments) -> None:
    """The draft's rules for the URL: https, a path, no fragment, credentials or dot
    segments; and, unless ``allow_loopback``, no loopback or private address."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if (
        len(url) > MAX_URL
        or not parts.hostname
        or parts.path in ("", "/")
        or parts.fragment
        or "#" in url
        or "@" in parts.netloc
        or "." in segments
        or ".." in segments
    ):
        raise InvalidClient(
            f"client_id {url[:80]!r} is not a client metadata document URL: https, with a "
            "path, without fragment, credentials or dot segments"
        )
    if not settings.allow_loopback and _local(parts.hostname):
        raise InvalidClient(f"client_id {url[:80]!r}: documents on local addresses are refused")


def _local(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: not resolved here
    return address.is_loopback or address.is_private or address.is_link_local


def fetch(url: str, settings: ClientMetadataDocuments) -> tuple[JSONObject, float]:
    """The document at ``url`` and how long it stays fresh (seconds; 0: not kept)."""
    import httpx  # only a metadata document client_id needs it

    try:
        with (
            httpx.Client(timeout=FETCH_TIMEOUT, verify=_tls(settings)) as http,
            http.stream("GET", url, headers={"Accept": "application/json"}) as answer,
        ):
            if answer.status_code != 200:
                raise InvalidClient(f"client metadata document {url}: HTTP {answer.status_code}")
            body = bytearray()
            for chunk in answer.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise InvalidClient(
                        f"client metadata document {url}: larger than {MAX_BYTES} bytes"
                    )
            headers = answer.headers
    except httpx.HTTPError as exc:
        raise InvalidClient(f"client metadata document {url}: not fetched ({exc})") from None
    try:
        document = json.loads(bytes(body))
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise InvalidClient(f"client metadata document {url}: not a JSON object")
    return document, freshness(headers.get("cache-control"), headers.get("expires"))


def _tls(settings: ClientMetadataDocuments) -> ssl.SSLContext:
    """The system's CAs, and with ``allow_loopback`` the local CA of ``serve --tls``."""
    context = ssl.create_default_context()
    if settings.allow_loopback:
        from mockidp.hosting.tls import CA_FILE, default_tls_dir

        ca = Path(default_tls_dir()) / CA_FILE
        if ca.is_file():
            context.load_verify_locations(cafile=str(ca))
    return context


def freshness(cache_control: str | None, expires: str | None, *, now: float | None = None) -> float:
    """Seconds a response stays fresh (RFC 9111 4.2.1), at most a day; 0: keep nothing."""
    directives = {
        name.strip().lower(): value.strip().strip('"')
        for name, _, value in (d.partition("=") for d in (cache_control or "").split(","))
        if name.strip()
    }
    if "no-store" in directives or "no-cache" in directives:
        return 0
    if "max-age" in directives:
        age = directives["max-age"]
        return min(float(age), MAX_FRESHNESS) if age.isdigit() else 0
    if expires is not None:
        try:
            until = parsedate_to_datetime(expires).timestamp()
        except (TypeError, ValueError):
            return 0  # RFC 9111 5.3: an invalid date is in the past
        return max(0.0, min(until - (time.time() if now is None else now), MAX_FRESHNESS))
    return HEURISTIC_FRESHNESS


def client_document(document: JSONObject, url: str, offer: Offer) -> JSONObject:
    """The scenario-shaped client of a metadata document, or InvalidClient saying why."""
    if document.get("client_id") != url:
        raise InvalidClient(f"the client metadata document at {url} names another client_id")
    if "client_secret" in document or "client_secret_expires_at" in document:
        raise InvalidClient(f"the client metadata document at {url} holds a shared secret")
    method = document.get("token_endpoint_auth_method", "none")
    if method in _SHARED_SECRET_METHODS:
        raise InvalidClient(
            f"the client metadata document at {url}: {method} needs a shared secret; "
            "use none or private_key_jwt"
        )
    metadata = {k: v for k, v in document.items() if k != "client_id"}
    metadata["token_endpoint_auth_method"] = method
    try:
        checked = check(metadata, offer)
    except OAuthError as exc:
        raise InvalidClient(
            f"the client metadata document at {url} is not valid: {exc.description}"
        ) from None
    return {**checked.client, "client_id": url}
