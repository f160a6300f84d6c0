"""One request on its way through a handler (:class:`Exchange`), and how an endpoint is
served (:class:`Endpoint`): what the generic endpoints and each vendor's share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from msgspec import Struct, field
from starlette.requests import Request
from starlette.responses import Response

from mockidp.http import split_urls
from mockidp.http.input import Incoming
from mockidp.oauth.clients.auth import ClientCredentials
from mockidp.oauth.provider import Provider
from mockidp.requestlog import RequestRecord
from mockidp.types import JSONObject, Params


class Exchange(Struct):
    """One request on its way through a handler, with what the log line needs."""

    incoming: Incoming
    """The request, its body and parameters read at most once."""
    issuer: str
    endpoint: str
    params: Params = field(default_factory=dict)
    outgoing: list[RequestRecord] = field(default_factory=list)
    """Requests the provider made while answering (back-channel logout), for the log."""
    credentials: ClientCredentials | None = None
    """The client credentials, once an endpoint that authenticates clients read them."""
    error: str | None = None
    """The ``error`` an answer carries without raising: an authorization error sent back
    by redirect, fragment or form_post (RFC 6749 4.1.2.1), for the log."""
    error_description: str | None = None
    """That error's description, for the log."""
    handed_out: dict[str, str] = field(default_factory=dict)
    """Codes, tokens and interactions the answer carries, to link the requests of one
    sign-in in the log (:mod:`mockidp.http.links`); never logged as they are."""
    started_session: str | None = None
    """The browser session the answer starts (sets as a cookie), for the log."""
    back_channel: str | None = None
    """With a browser URL configured, the address this request used: where back-channel
    URLs point (:mod:`mockidp.http.split_urls`); None: everything at the issuer's."""

    def back_channel_urls(self, provider: Provider, doc: JSONObject) -> JSONObject:
        """``doc`` with its back-channel URLs at the address this request used."""
        if self.back_channel is None:
            return doc
        front = provider.endpoint_base(self.issuer)
        return split_urls.back_channel_urls(doc, front=front, back=self.back_channel)

    def client_credentials(self) -> ClientCredentials:
        """The request's client credentials (from its params, read so far, and its
        Authorization header), read once for the provider and the request log."""
        if self.credentials is None:
            authorization = self.request.headers.get("authorization")
            self.credentials = ClientCredentials(authorization, self.params)
        return self.credentials

    @property
    def request(self) -> Request:
        return self.incoming.request

    @property
    def secure(self) -> bool:
        # What request.url.scheme reads, without building the whole URL object.
        return str(self.request.scope.get("scheme", "http")).lower() == "https"

    @property
    def cookie_path(self) -> str:
        return str(self.request.scope.get("root_path") or "") or "/"


Handler = Callable[[Provider, Exchange], Awaitable[Response]]


class Endpoint(Struct, frozen=True):
    """How an endpoint is served: its handler, HTTP methods, and whether browsers' scripts call it."""

    handler: Handler
    methods: frozenset[str]
    cors: bool = True
