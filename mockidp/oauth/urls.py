"""URLs: which redirect URIs a client may be sent to, and a URI's origin (RFC 6454)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import quote_plus, urlsplit

from mockidp.model.layout import Layout

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# The host Starlette/FastAPI's TestClient and Django's test client give the app: no DNS
# name, so only a test client reaches it; a local test app's redirect URI like loopback's.
_TEST_CLIENT_HOSTS = frozenset({"testserver"})


def is_loopback_uri(uri: str) -> bool:
    """An http URI on a loopback host (RFC 8252 7.3) or the test clients' ``testserver``,
    any port, with no userinfo or fragment."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and (parts.hostname in _LOOPBACK_HOSTS or parts.hostname in _TEST_CLIENT_HOSTS)
        and "@" not in parts.netloc
        and not parts.fragment
        and "#" not in uri
    )


def uri_allowed(
    uri: str, registered: Iterable[str], *, loopback: bool, any_port: bool = False
) -> bool:
    """Exact string match against the registered list, or any loopback URI when allowed
    (``loopback``), or a registered loopback URI on another port (``any_port``, RFC 8252
    7.3: the port is the only part that may differ)."""
    listed = tuple(registered)
    if uri in listed or (loopback and is_loopback_uri(uri)):
        return True
    if not any_port or not is_loopback_uri(uri):
        return False
    portless = _without_port(uri)
    return any(is_loopback_uri(r) and _without_port(r) == portless for r in listed)


def _without_port(uri: str) -> str:
    """``uri`` (a loopback URI, its port valid) with no port: the rest compared as written."""
    parts = urlsplit(uri)
    host = parts.netloc
    if not host.endswith("]") and ":" in host:  # an IPv6 literal's colons stay
        host = host.rpartition(":")[0]
    return parts._replace(netloc=host).geturl()


def add_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` appended to its query (RFC 6749 4.1.2: keep its own query)."""
    if not params:
        return uri
    return uri + ("&" if "?" in uri else "?") + form_encode(params)


def add_fragment(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` as its fragment (response_mode=fragment)."""
    return uri + "#" + form_encode(params)


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
"""What ``quote_plus`` never changes (RFC 3986 2.3)."""


def form_encode(params: Mapping[str, str]) -> str:
    """``urllib.parse.urlencode(params)``, byte for byte, quoting only what needs it: a
    code or a state is unreserved characters only, and the issuer is the same each time."""
    return "&".join(f"{_quoted(name)}={_quoted(value)}" for name, value in params.items())


def _quoted(value: object) -> str:
    text = value if isinstance(value, str) else str(value)  # as urlencode does
    return text if _UNRESERVED.fullmatch(text) else _quoted_text(text)


@lru_cache(maxsize=256)
def _quoted_text(value: str) -> str:
    return quote_plus(value)


def origin(uri: str) -> str:
    """The ASCII serialization of ``uri``'s origin (RFC 6454 6.2), as ``event.origin`` shows it.

    URIs without an http(s) authority (native apps' private schemes) have an opaque
    origin, serialized ``null``.
    """
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return "null"
    if scheme not in _DEFAULT_PORTS or not host:
        return "null"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    shown = f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{shown}"


def assertion_audiences(layout: Layout, base: str, issuer: str) -> tuple[str, ...]:
    """What a client assertion's aud may name (RFC 7523 3): the token endpoint's URL, the
    issuer, the base the endpoints hang from."""
    return (layout.url(base, "token") if layout.has("token") else base, issuer, base)


def endpoint_urls(layout: Layout, base: str, name: str, request_url: str | None) -> tuple[str, ...]:
    """The URLs a DPoP proof's htu may name for endpoint ``name``: the advertised one and
    the one the request reached (they differ behind a proxy)."""
    urls = [request_url] if request_url else []
    if layout.has(name):
        urls.insert(0, layout.url(base, name))
    return tuple(urls)
