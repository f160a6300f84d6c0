"""Broken tokens: an ID, access or Logout Token issued with one scripted defect.

A scenario's ``broken_tokens`` rules name a token, a defect, the issuances they are
about (``match``: client, user, grant type, scopes, token request parameters) and which
of those calls (``when``, counted per rule over matching calls only). Each defect makes
the token fail a relying party's validation in exactly the named way and no other:

===================  ======================================================================
expired              ``exp`` :data:`SKEW` seconds in the past (nothing else moves)
not_yet_valid        ``nbf`` :data:`SKEW` seconds in the future
issued_in_future     ``iat`` :data:`SKEW` seconds in the future
wrong_audience       ``aud`` is :data:`WRONG_AUDIENCE`
extra_audience       ``aud`` lists the client and an untrusted audience, no ``azp``
wrong_issuer         ``iss`` is the issuer with ``/wrong-issuer`` appended
wrong_nonce          ``nonce`` is a fresh random value (only when the request sent one)
wrong_at_hash        ``at_hash`` is the hash of another value (ID tokens only)
wrong_c_hash         ``c_hash`` is the hash of another value (ID tokens only)
missing_issuer       no ``iss``
missing_audience     no ``aud``
missing_iat          no ``iat``
missing_sub          no ``sub``
missing_nonce        no ``nonce`` (ID tokens only)
missing_at_hash      no ``at_hash`` (ID tokens only)
missing_c_hash       no ``c_hash`` (ID tokens only)
bad_signature        a well-formed JWS whose signature bytes are altered
bad_signature_hs256  HS256 with the client's secret, signature altered
alg_none             unsigned: the header's ``alg`` is ``none``, empty signature
unknown_kid          signed by a key the JWKS does not publish, under that key's own ``kid``
rotating_key         signed by a key the JWKS publishes now but that is not the current
                     signing key: the key a ``key_rotation`` step retires, or a second key
fresh_key            signed by a new key the JWKS publishes only from this token on
no_kid               the header has no ``kid``
key_confusion        HS256 keyed with the signing key's public key (PEM)
jwk_header           signed by an attacker's key, offered in a ``jwk`` header
jku_header           signed by an attacker's key, a ``jku`` header points at its JWK Set
x5u_header           signed by an attacker's key, an ``x5u`` header points at its certificate
wrong_alg            a valid HS256 MAC keyed with the client's secret (an unexpected alg)
no_events            no ``events`` (Logout Tokens only)
wrong_event          ``events`` holds another event than back-channel logout (Logout Tokens)
with_nonce           a ``nonce`` (Logout Tokens only: Back-Channel Logout 2.4 forbids one)
===================  ======================================================================

Claims and header are otherwise as issued (a token hook's header changes are kept).
:mod:`mockidp.oauth.scripted.effects` applies them; docs/audit.md names the audit case
each serves.

``rotating_key`` tokens verify against the JWKS published now, by ``kid``: a relying
party that picks the key by ``kid`` accepts them, one that verifies with the first key of
the JWKS (or the key earlier tokens carried) sees a bad signature. Once a rotation step
retires the key, a fresh JWKS no longer lists it and the token fails like
``unknown_kid``. Without such a step the key is the second published key of ``keys`` (the
loader requires two keys); when no other key is published at that moment, the token is
signed normally.

The provider itself honours what it issued: the record of a broken access token holds the
claims the token was meant to carry, so userinfo, introspection and revocation accept it
as a good one. The defects are for the relying party's (or resource server's) validation.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from mockidp.model.scenario import BrokenToken, RequestMatch, Scenario, User
from mockidp.oauth.records import UNTIL_RESET, token_handle
from mockidp.oauth.scripted.effects import (
    ID_TOKEN_ONLY,
    SKEW,
    WRONG_AUDIENCE,
    alter_signature,
    damage,
    rotating_kid,
    sign,
    unsigned_jwt,
)
from mockidp.oauth.scripted.rules import counts_calls, selected
from mockidp.store.state import State

COUNTER = "brokentoken"
__all__ = [
    "SKEW",
    "WRONG_AUDIENCE",
    "alter_signature",
    "choose",
    "damage",
    "rotating_kid",
    "sign",
    "unsigned_jwt",
]


def choose(
    state: State,
    scenario: Scenario,
    *,
    tokens: Collection[str],
    client_id: str,
    user: User | None,
    grant_type: str,
    scope: tuple[str, ...],
    params: Mapping[str, str],
    endpoint: str = "token",
) -> dict[str, str]:
    """The defect of each of ``tokens`` about to be issued, by token name.

    ``endpoint`` issues them: ``token``, or ``authorization`` for the tokens of an
    implicit or hybrid response (grant type ``implicit``).

    Every rule that matches counts the call (so ``when`` sees only matching calls; an
    issuance without the rule's token, say no ID token, is not a matching call); the
    first selected rule for a token decides its defect.
    """
    chosen: dict[str, str] = {}
    for index, rule in enumerate(scenario.broken_tokens):
        if rule.token not in tokens or not _applies(rule, scenario):
            continue
        if not _matches(rule.match, endpoint, client_id, user, grant_type, scope, params):
            continue
        count = _count(state, index, rule) if counts_calls(rule.when) else 1
        if selected(rule.when, count) and rule.token not in chosen:
            chosen[rule.token] = rule.defect
    return chosen


def _applies(rule: BrokenToken, scenario: Scenario) -> bool:
    """Whether the rule can break a token this scenario issues (opaque tokens have no JWS)."""
    if rule.token == "access_token":
        return scenario.access_token_format == "jwt" and rule.defect not in ID_TOKEN_ONLY
    return True


def _matches(
    match: RequestMatch,
    endpoint: str,
    client_id: str,
    user: User | None,
    grant_type: str,
    scope: tuple[str, ...],
    params: Mapping[str, str],
) -> bool:
    if match.endpoints and endpoint not in match.endpoints:
        return False
    if match.grant_types and grant_type not in match.grant_types:
        return False
    if match.client_ids and client_id not in match.client_ids:
        return False
    if match.users and (user is None or not {user.sub, user.username} & set(match.users)):
        return False
    if match.scopes and not set(match.scopes) & set(scope):
        return False
    return all(params.get(name) == value for name, value in match.params.items())


def _count(state: State, index: int, rule: BrokenToken) -> int:
    """This call's number among the rule's matching calls; a changed rule counts afresh."""
    ident = f"{index}:{token_handle(repr(rule))[:16]}"
    return state.increment(COUNTER, ident, ttl=UNTIL_RESET)
