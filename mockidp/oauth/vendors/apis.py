"""The vendors' own behaviour as the Provider offers it to the HTTP layer
(:attr:`Provider.vendors`): plain arguments in, data out, errors raised (a
:class:`~mockidp.errors.VendorApiError` in the vendor's envelope). Each vendor's module
loads on its first call."""

from __future__ import annotations

from mockidp.oauth.deps import Deps
from mockidp.types import JSONObject, Params


class VendorApis:
    """SuperOffice's web API and system-user login, LoginRadius's identity API, Keycloak's
    realm document and login-status origin check, for the provider of ``deps``."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def superoffice_principal(
        self, *, authorization: str | None, app_token: str | None, ctx: str, origin: str
    ) -> JSONObject:
        """``GET {webapi_url}v1/User/currentPrincipal``: the user of a Bearer token or SOTicket."""
        from mockidp.oauth.vendors.superoffice import web_api

        return web_api.current_principal(
            self._deps, authorization=authorization, app_token=app_token, ctx=ctx, origin=origin
        )

    def superoffice_system_user(self, params: Params, *, origin: str) -> JSONObject:
        """PartnerSystemUser/Authenticate: a system user's token for a signed request."""
        from mockidp.oauth.vendors.superoffice import system_user

        return system_user.authenticate(self._deps, params, origin=origin)

    def loginradius_identity(
        self,
        operation: str,
        params: Params | None,
        *,
        api_secret: str | None,
        bearer: str | None,
        issuer: str,
    ) -> JSONObject:
        """One of LoginRadius's identity API operations, by its endpoint name; ``params``
        (names lower-cased) None: the query was unreadable, refused in LoginRadius's envelope."""
        from mockidp.oauth.vendors.loginradius import identity

        if params is None:
            raise identity.refuse(identity.BAD_PARAMETER)
        call = identity.IdentityCall(params, api_secret=api_secret, bearer=bearer)
        return identity.OPERATIONS[operation](self._deps, call, issuer=issuer)

    def keycloak_realm(self, realm: str, *, issuer: str) -> JSONObject:
        """``GET /realms/{realm}``: the realm document, with the key that signs now."""
        from mockidp.oauth.vendors.keycloak.realm import realm_document

        return realm_document(realm=realm, issuer=issuer, jwks=self._deps.keys.jwks())

    def keycloak_origin_checked(self, client_id: str | None, origin: str | None) -> bool:
        """The login-status iframe's ``/init``: whether ``origin`` is one of ``client_id``'s
        web origins (:mod:`mockidp.oauth.vendors.keycloak.session`)."""
        from mockidp.oauth.vendors.keycloak.session import origin_checked

        return origin_checked(self._deps, client_id, origin)
