"""One record per request the provider answers, and a bounded log of them for tests.

Secrets never reach a record: :func:`mask_params` and :func:`mask_authorization`
replace client secrets, passwords, PKCE verifiers, tokens, assertions and credentials
with a fingerprint (``***`` and 8 hex digits of their SHA-256), so a log can be shown
in a failing test's output and still be asserted on (:meth:`RequestLog.assert_called`
fingerprints the expected value the same way).
"""

from __future__ import annotations

import difflib
import hashlib
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from msgspec import Struct, field

SECRET_PARAMS = frozenset(
    {
        "client_secret",
        "apisecret",  # LoginRadius's API secret (its identity API's names, lower-cased)
        "password",
        "code",  # RFC 6749 10.5: authorization codes are kept confidential
        "code_verifier",
        "client_assertion",
        "assertion",
        "access_token",
        "refresh_token",
        "id_token",
        "id_token_hint",
        "token",
        "logout_token",
        "subject_token",
        "actor_token",
        "device_code",
        # Shown on the device's screen, but with a signed-in browser it approves the
        # device (RFC 8628 5.1): a log printed in a CI run must not let anyone do that.
        "user_code",
        "request_uri",  # a pushed request's reference: whoever sends it starts the sign-in
        "registration_access_token",
        "initial_access_token",
    }
)
"""Parameters whose values a record keeps only as a fingerprint. Credentials sent in
headers (Authorization: client credentials, bearer, initial and registration access
tokens) are masked by :func:`mask_authorization`; other headers (``DPoP`` proofs) and
JSON bodies (registration metadata) are never recorded."""

RECORD_FIELDS = frozenset(
    {
        "method",
        "path",
        "status",
        "error",
        "error_description",
        "client_id",
        "client_auth",
        "fault",
        "authorization",
    }
)
"""Criteria of :meth:`RequestLog.assert_called` that name a record attribute, not a parameter."""

KNOWN_PARAMS = SECRET_PARAMS | frozenset(
    {
        "grant_type",
        "client_id",
        "scope",
        "redirect_uri",
        "response_type",
        "response_mode",
        "state",
        "nonce",
        "prompt",
        "max_age",
        "login_hint",
        "logout_hint",
        "acr_values",
        "ui_locales",
        "display",
        "claims",
        "request",
        "code_challenge",
        "code_challenge_method",
        "client_assertion_type",
        "token_type_hint",
        "post_logout_redirect_uri",
        "username",
        "resource",
        "audience",
        "requested_token_type",
        "subject_token_type",
        "actor_token_type",
        "dpop_jkt",
        "access_type",
        "sid",
        "iss",
        "error",
        "error_description",
    }
)
"""Request parameters :meth:`RequestLog.assert_called` knows without seeing them logged
(any parameter a logged request sent is known too)."""

REQUEST_LOG_SIZE = 1000
"""The records an app's own request log keeps (``GET /_mockidp/requests``)."""

_EMPTY: Mapping[str, str] = MappingProxyType({})


def fingerprint(value: str) -> str:
    """``***`` and the first 8 hex digits of the value's SHA-256: shows which, not what."""
    return "***" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]


def mask_params(params: Mapping[str, str]) -> Mapping[str, str]:
    """``params`` with every secret value (:data:`SECRET_PARAMS`) fingerprinted."""
    return MappingProxyType(
        {k: fingerprint(v) if k in SECRET_PARAMS else v for k, v in params.items()}
    )


def mask_authorization(header: str | None) -> str | None:
    """An Authorization header with its credentials fingerprinted: ``Basic ***1a2b3c4d``."""
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    return f"{scheme} {fingerprint(credentials.strip())}" if credentials else fingerprint(scheme)


class RequestRecord(Struct, frozen=True):
    """What happened to one request; ``status`` is 0 when none was sent (a dropped connection).

    ``params`` are the query and form parameters the request sent, secrets masked;
    ``client_auth`` is how a client authenticated at the token, introspection or
    revocation endpoint (``client_secret_basic``, ``client_secret_post``,
    ``client_secret_jwt``, ``private_key_jwt``, ``none``); ``authorization`` is the
    Authorization header, masked; ``error_description`` is the description the answer
    gave with its ``error`` (a JSON body's, a redirect's or an error page's).
    """

    method: str
    path: str
    endpoint: str | None
    status: int
    duration_ms: float
    client_id: str | None = None
    grant_type: str | None = None
    error: str | None = None
    fault: str | None = None
    """The name of the scripted fault applied to the request, if any."""
    params: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    client_auth: str | None = None
    authorization: str | None = None
    error_description: str | None = None
    session: str | None = None
    """The fingerprint of the browser session the request sent or started (its cookie)."""
    issued: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Fingerprints of the codes, tokens and interactions the answer handed out, by
    name: a later request sending one back belongs to the same sign-in."""

    def line(self) -> str:
        """One readable log line: method, path, client, grant or endpoint, status, error
        (and its description)."""
        what = self.grant_type or self.endpoint or "-"
        parts = [
            f"{self.method} {self.path}",
            f"client={self.client_id or '-'}",
            what,
            str(self.status),
        ]
        if self.error:
            described = f" ({self.error_description})" if self.error_description else ""
            parts.append(f"error={self.error}{described}")
        if self.fault:
            parts.append(f"fault={self.fault}")
        parts.append(f"{self.duration_ms:.1f}ms")
        return "  ".join(parts)

    def describe(self) -> str:
        """The record for an assertion message: endpoint, method, status, error, parameters."""
        parts = [f"{self.endpoint or self.path} {self.method} {self.status or 'dropped'}"]
        if self.error:
            parts.append(f"error={self.error}")
        if self.error_description:
            parts.append(f"error_description={self.error_description!r}")
        if self.client_auth:
            parts.append(f"client_auth={self.client_auth}")
        if self.fault:
            parts.append(f"fault={self.fault!r}")
        parts += [f"{k}={v!r}" for k, v in self.params.items()]
        return " ".join(parts)


def _actual(record: RequestRecord, name: str) -> Any:
    if name in RECORD_FIELDS:
        return getattr(record, name)
    return record.params.get(name)


def _expected(name: str, value: Any) -> Any:
    if name in SECRET_PARAMS and isinstance(value, str):
        return fingerprint(value)
    if name == "authorization" and isinstance(value, str):
        return mask_authorization(value)
    return value


def _differences(
    record: RequestRecord, endpoint: str | None, criteria: dict[str, Any]
) -> list[str]:
    found = []
    if endpoint is not None and record.endpoint != endpoint:
        found.append(f"endpoint={record.endpoint!r}")
    for name, value in criteria.items():
        actual = _actual(record, name)
        if actual != value:
            found.append(f"{name}={actual!r}")
    return found


class RequestLog:
    """The last ``maxlen`` requests a provider answered, oldest first (the newest is
    ``log[-1]``; ``GET /_mockidp/requests`` lists them in the same order); thread-safe.

    Pass its :meth:`record` as ``create_app(on_request=...)``. Iterate it, index it,
    :meth:`filter` it, or assert on it with :meth:`assert_called` /
    :meth:`assert_not_called`. ``paths`` (endpoint name -> URL path; the generic layout
    if None) lets an endpoint be named by its path: ``"/token"``, ``"authorize"``.
    """

    def __init__(
        self, *, maxlen: int = 1000, paths: Callable[[], Mapping[str, str]] | None = None
    ) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, not {maxlen}")
        self.maxlen = maxlen
        self.paths = paths
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.dropped = 0
        """How many records fell out of the log since it was last cleared."""

    def record(self, record: RequestRecord) -> None:
        """Add one record (the app's ``on_request`` hook)."""
        with self._lock:
            if len(self._records) == self.maxlen:
                self.dropped += 1
            self._records.append(record)

    __call__ = record

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self.dropped = 0

    @property
    def records(self) -> list[RequestRecord]:
        """A copy of the records, oldest first."""
        with self._lock:
            return list(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index: int) -> RequestRecord:
        return self.records[index]

    def __repr__(self) -> str:
        records = self.records
        if not records:
            return "<RequestLog: no requests>"
        shown = records[-10:]
        lines = [f"<RequestLog: {len(records)} request{'s' * (len(records) != 1)}, oldest first"]
        if len(records) > len(shown):
            lines.append(f"  ... {len(records) - len(shown)} older")
        lines += [f"  {r.line()}" for r in shown]
        return "\n".join(lines) + ">"

    # -- names: an endpoint by name or path, criteria checked --------------------------

    def _endpoint_paths(self) -> tuple[Mapping[str, str], set[str]]:
        """The layout's paths, and every endpoint name (the generic layout's too: a
        preset without userinfo may still be asserted never to have been called)."""
        from mockidp.model.layout import GENERIC_PATHS

        paths = self.paths() if self.paths is not None else GENERIC_PATHS
        return paths, {*GENERIC_PATHS, *paths}

    def endpoint_named(self, name: str) -> str:
        """The endpoint ``name`` means: an endpoint name (``authorization``), its URL path
        (``/authorize``) or that path's last segment (``authorize``). Anything else raises
        a ValueError with the closest names."""
        paths, names = self._endpoint_paths()
        names |= {r.endpoint for r in self.records if r.endpoint}
        if name in names:
            return name
        by_path = {path: n for n, path in paths.items() if "<" not in path}
        found = by_path.get(name) or by_path.get(name.rstrip("/") or "/")
        if found is not None:
            return found
        by_segment: dict[str, list[str]] = {}
        for path, n in by_path.items():
            by_segment.setdefault(path.rstrip("/").rsplit("/", 1)[-1], []).append(n)
        if len(by_segment.get(name, [])) == 1:
            return by_segment[name][0]
        close = difflib.get_close_matches(name, [*names, *by_path, *by_segment], n=3)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise ValueError(
            f"no endpoint {name!r}; {hint}endpoints: {', '.join(sorted(names))} "
            "(or their paths, like '/token')"
        )

    def _check_criteria(self, criteria: Mapping[str, Any]) -> None:
        known = RECORD_FIELDS | KNOWN_PARAMS
        unknown = [name for name in criteria if name not in known]
        if not unknown:
            return
        sent = {name for r in self.records for name in r.params}
        for name in unknown:
            if name in sent:
                continue
            close = difflib.get_close_matches(name, [*RECORD_FIELDS, *KNOWN_PARAMS, *sent], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(
                f"no criterion {name!r}: {hint}a criterion is a record field "
                f"({', '.join(sorted(RECORD_FIELDS))}) or a request parameter "
                "(grant_type, scope, ...; one no logged request sent must be a known one)"
            )

    def _named(self, endpoint: str | None, criteria: dict[str, Any]) -> str | None:
        self._check_criteria(criteria)
        return None if endpoint is None else self.endpoint_named(endpoint)

    def filter(self, endpoint: str | None = None, **criteria: Any) -> list[RequestRecord]:
        """The records for ``endpoint`` (any, if None) meeting every criterion.

        A criterion names a parameter (``grant_type="refresh_token"``; a secret one is
        compared by fingerprint) or a record attribute (``method``, ``path``, ``status``,
        ``error``, ``error_description``, ``client_id``, ``client_auth``, ``fault``,
        ``authorization``). A parameter given as None must be absent. ``endpoint`` is its
        name or URL path (:meth:`endpoint_named`); an unknown endpoint or criterion raises
        ValueError.
        """
        endpoint = self._named(endpoint, criteria)
        wanted = {k: _expected(k, v) for k, v in criteria.items()}
        return [r for r in self.records if not _differences(r, endpoint, wanted)]

    def assert_called(
        self, endpoint: str | None = None, *, times: int | None = None, **criteria: Any
    ) -> list[RequestRecord]:
        """Assert that requests meeting the criteria (see :meth:`filter`) were made:
        ``times`` exactly, or at least once if None. Returns the matching records.

        The failure message lists the matches and the near misses: the requests that
        differ the least, each with what differed.
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not this one
        endpoint = self._named(endpoint, criteria)
        matches = self.filter(endpoint, **criteria)
        if (times is None and matches) or len(matches) == times:
            return matches
        wanted = {k: _expected(k, v) for k, v in criteria.items()}
        what = " ".join([endpoint or "any endpoint", *(f"{k}={v!r}" for k, v in wanted.items())])
        expected = "at least once" if times is None else f"{times} time{'s' * (times != 1)}"
        count = f"{len(matches)} time{'s' * (len(matches) != 1)}"
        lines = [f"expected {what} to be called {expected}; it was called {count}"]
        lines += [f"  match: {r.describe()}" for r in matches]
        lines += self._near_misses(endpoint, wanted)
        if self.dropped:
            lines.append(
                f"  ({self.dropped} older requests fell out of the log; maxlen={self.maxlen})"
            )
        raise AssertionError("\n".join(lines))

    def assert_not_called(self, endpoint: str | None = None, **criteria: Any) -> None:
        """Assert that no request meeting the criteria (see :meth:`filter`) was made."""
        __tracebackhide__ = True
        self.assert_called(endpoint, times=0, **criteria)

    def _near_misses(self, endpoint: str | None, wanted: dict[str, Any]) -> list[str]:
        scored = []
        for index, record in enumerate(self.records):
            differences = _differences(record, endpoint, wanted)
            if differences:
                scored.append((len(differences), index, record, differences))
        if not scored:
            return [] if self._records else ["  no requests were logged"]
        scored.sort(key=lambda s: (s[0], -s[1]))
        lines = ["  near misses (closest first):"]
        for _, _, record, differences in scored[:5]:
            lines.append(f"    {record.describe()}\n      differs: {', '.join(differences)}")
        if len(scored) > 5:
            lines.append(f"    ... and {len(scored) - 5} more")
        return lines
