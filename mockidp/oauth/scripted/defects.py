"""Broken tokens: an ID, access or Logout Token issued with one scripted defect.

A scenario's ``broken_tokens`` rules name a token, a defect, the issuances they are
about (``match``: client, user, grant type, scopes, token request parameters) and which
of those calls (``when``, counted per rule over matching calls only), read by the rule
engine faults share (:mod:`mockidp.oauth.scripted.rules`). Each defect makes the token
fail a relying party's validation in exactly the named way and no other:

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
wrong_sub            ``sub`` is :data:`OTHER_SUBJECT`, someone else (a refreshed ID token
                     must name the first one's, Core 12.2)
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

from msgspec import Struct, field

from mockidp.model.scenario import BrokenToken, Scenario, User
from mockidp.oauth import records
from mockidp.oauth.records import Broken, token_handle
from mockidp.oauth.scripted.effects import (
    ID_TOKEN_ONLY,
    OTHER_SUBJECT,
    SKEW,
    WRONG_AUDIENCE,
    alter_signature,
    damage,
    rotating_kid,
    sign,
    unsigned_jwt,
)
from mockidp.oauth.scripted.rules import applying
from mockidp.store.state import State

REMEMBERED = 24 * 3600
"""Seconds a broken token's defect is remembered: a test session's worth."""

__all__ = [
    "ID_TOKEN_ONLY",
    "OTHER_SUBJECT",
    "SKEW",
    "WRONG_AUDIENCE",
    "Issuance",
    "alter_signature",
    "choose",
    "damage",
    "issued_with",
    "remember",
    "rotating_kid",
    "sign",
    "unsigned_jwt",
]


class Issuance(Struct, frozen=True):
    """An issuance of tokens as a rule's ``match`` sees it (:class:`rules.Facts`)."""

    endpoint: str
    grant_type: str
    client_id: str
    scopes: tuple[str, ...]
    user: User | None
    params: Mapping[str, str] = field(default_factory=dict)


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
    facts = Issuance(endpoint, grant_type, client_id, scope, user, params)
    rules = [
        (index, rule)
        for index, rule in enumerate(scenario.broken_tokens)
        if rule.token in tokens and _applies(rule, scenario)
    ]
    chosen: dict[str, str] = {}
    for rule in applying(state, scenario, "broken_tokens", rules, facts):
        chosen.setdefault(rule.token, rule.defect)
    return chosen


def remember(state: State, token: str, defect: str) -> None:
    """Note which defect ``token`` was issued with (:func:`issued_with` reads it), for as
    long as the inspector's journal may show the token."""
    records.put(state, token_handle(token), Broken(defect=defect), ttl=REMEMBERED)


def issued_with(state: State, token: str) -> str | None:
    """The defect a ``broken_tokens`` rule issued ``token`` with; None: none (or forgotten)."""
    found = records.get(state, Broken, token_handle(token))
    return found.defect if found is not None else None


def _applies(rule: BrokenToken, scenario: Scenario) -> bool:
    """Whether the rule can break a token this scenario issues (opaque tokens have no JWS)."""
    if rule.token == "access_token":
        return scenario.access_token_format == "jwt" and rule.defect not in ID_TOKEN_ONLY
    return True
