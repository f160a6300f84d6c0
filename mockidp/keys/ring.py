"""The provider's signing keys: a :class:`KeyRing` signs (RFC 7515 compact JWS),
publishes the JWK Set (RFC 7517 5) and verifies the provider's own tokens.

Keys come from :mod:`mockidp.keys.material` (the packaged test keys by default), the
rotation phases from :mod:`mockidp.keys.timeline`; each phase is prepared once.
"""

from __future__ import annotations

import base64
import hashlib
import time
import warnings
from bisect import bisect_right
from collections.abc import Callable, Sequence
from functools import cache
from itertools import pairwise
from typing import Any, cast

from joserfc import jws, jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet
from msgspec import Struct, structs

from mockidp.keys.compact import Signer, compact, raw_signer
from mockidp.keys.material import (
    PACKAGED_ALG,
    PACKAGED_KEY_FOR_ALG,
    SIGNING_ALGORITHMS,
    Key,
    certificate_members,
    default_key_alg,
    generated_key,
    import_private_key,
    packaged_key_dict,
    public_jwk,
    resolve_key,
)
from mockidp.keys.timeline import KeyPhase, key_timeline
from mockidp.keys.verify import TokenVerificationError, verify_jwt
from mockidp.model.scenario import Scenario
from mockidp.types import JSONObject


def _hash_for_alg(alg: str) -> Callable[[bytes], Any]:
    if alg == "EdDSA":  # OpenID Connect Core errata: Ed25519 hashes with SHA-512
        return hashlib.sha512
    bits = alg[2:]
    return {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}[bits]


def half_hash(value: str, alg: str) -> str:
    """The left half of the hash of ``value``, base64url: at_hash and c_hash (OIDC 3.1.3.6)."""
    digest = _hash_for_alg(alg)(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


class _RingKey(Struct, frozen=True):
    kid: str
    alg: str
    private: Key
    public: JSONObject
    header: JSONObject
    raw: Signer | None
    """Signs a JWS signing input directly (:mod:`mockidp.keys.compact`); None: joserfc."""

    def sign(
        self, claims: JSONObject, typ: str, kid: str | None = None, extra: JSONObject | None = None
    ) -> str:
        header = {**self.header, "typ": typ, **(extra or {}), "alg": self.alg}
        if kid is not None:
            header["kid"] = kid
        if self.raw is not None and not extra:
            token = compact(header, claims, self.raw)
            if token is not None:
                return token
        return self.sign_header(claims, header, lenient=bool(extra))

    def sign_header(self, claims: JSONObject, header: JSONObject, *, lenient: bool = True) -> str:
        """A JWS with exactly ``header`` (its ``alg`` forced to the key's)."""
        header = {**header, "alg": self.alg}
        registry = _lenient_registry(self.alg) if lenient else None
        if self.alg != "EdDSA":
            return jwt.encode(header, claims, self.private, [self.alg], registry)
        # joserfc warns that RFC 9864 deprecates "EdDSA"; scenarios still ask for it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            return jwt.encode(header, claims, self.private, [self.alg], registry)


@cache
def _lenient_registry(alg: str) -> jws.JWSRegistry:
    """A registry that lets a test's token hook add header members joserfc does not know."""
    return jws.JWSRegistry(algorithms=[alg], strict_check_header=False)


def _ring_key(data: JSONObject, *, x509: bool = False, x509_kid: bool = False) -> _RingKey:
    """A ring key; ``x509``: with a self-signed certificate (x5t in headers, x5t and x5c
    in the JWKS), ``x509_kid``: its kid the certificate's uppercase hex SHA-1 thumbprint."""
    private = import_private_key(data)
    alg = default_key_alg(data)
    kid = str(data.get("kid") or private.thumbprint())
    if not x509:
        public = public_jwk({**data, "kid": kid})
        return _RingKey(
            kid, alg, private, public, {"alg": alg, "kid": kid}, raw_signer(private, alg)
        )
    thumbprint, members = certificate_members(data, private)
    if x509_kid:
        kid = thumbprint
    public = {**public_jwk({**data, "kid": kid}), **members}
    header = {"alg": alg, "kid": kid, "x5t": members["x5t"]}
    return _RingKey(kid, alg, private, public, header, raw_signer(private, alg))


class _Phase(Struct, frozen=True):
    start: float
    signer: _RingKey
    published: tuple[str, ...]
    jwks: JSONObject
    verify_set: KeySet | None
    algs: tuple[str, ...]


class _Prepared(Struct, frozen=True):
    """A ring's keys and phases, built once: nothing in it changes afterwards."""

    keys: dict[str, _RingKey]
    phases: tuple[_Phase, ...]
    starts: list[float]
    signing_algs: tuple[str, ...]


def _prepare(keys: Sequence[_RingKey], phases: Sequence[KeyPhase]) -> _Prepared:
    by_kid: dict[str, _RingKey] = {}
    for key in keys:
        by_kid.setdefault(key.kid, key)
    sets: dict[tuple[str, ...], tuple[JSONObject, KeySet | None, tuple[str, ...]]] = {}
    built: list[_Phase] = []
    for phase in phases:
        if phase.published not in sets:
            jwks: JSONObject = {"keys": [by_kid[kid].public for kid in phase.published]}
            verify_set = KeySet.import_key_set(cast(Any, jwks)) if phase.published else None
            algs = tuple(dict.fromkeys(by_kid[kid].alg for kid in phase.published))
            sets[phase.published] = (jwks, verify_set, algs)
        jwks, verify_set, algs = sets[phase.published]
        signer = by_kid[phase.signing]
        built.append(_Phase(phase.start, signer, phase.published, jwks, verify_set, algs))
    signing_algs = tuple(dict.fromkeys(p.signer.alg for p in built))
    return _Prepared(by_kid, tuple(built), [p.start for p in built], signing_algs)


@cache
def _packaged(alg: str) -> _Prepared:
    """The packaged key's ring for ``alg``, prepared once per process: a test suite builds
    a provider per test, and preparing it (the JWK Set, the verifying key) cost ~75 us."""
    signer = _ring_key(packaged_key_dict(PACKAGED_KEY_FOR_ALG[alg]))
    return _prepare([signer], [KeyPhase(0, signer.kid, (signer.kid,))])


class KeyRing:
    """The provider's keys: the one that signs, and every one the JWKS publishes.

    A ring built by :meth:`for_scenario` follows the scenario's ``key_rotation``
    timeline: which key signs and which the JWKS lists depend on how long ago (on the
    ``now`` clock) the ring was started. Each phase of the timeline is prepared once,
    so signing and serving the JWKS import nothing per request.
    """

    def __init__(self, signing_key: JSONObject, *, published: Sequence[JSONObject] = ()) -> None:
        if signing_key["alg"] not in SIGNING_ALGORITHMS:
            raise ValueError(f"signing algorithm must be one of {SIGNING_ALGORITHMS}")
        signer = _ring_key(signing_key)
        keys = [signer, *[_ring_key(k) for k in published if k.get("kid") != signer.kid]]
        phase = KeyPhase(0, signer.kid, tuple(dict.fromkeys(k.kid for k in keys)))
        self._adopt(_prepare(keys, [phase]), time.time)

    def _adopt(self, prepared: _Prepared, now: Callable[[], float]) -> None:
        self._keys = prepared.keys
        # Each ring its own JWK Set documents: prepared phases are shared between rings.
        self._phases = tuple(
            structs.replace(p, jwks={"keys": [dict(k) for k in p.jwks["keys"]]})
            for p in prepared.phases
        )
        self._starts = prepared.starts
        self._now = now
        self._started = now()
        self._revealed: list[JSONObject] = []
        self.signing_algs: tuple[str, ...] = prepared.signing_algs
        """Every algorithm this ring signs with over its timeline, the first signer's first."""

    @classmethod
    def packaged(cls, alg: str = "RS256") -> KeyRing:
        """The fixed test key shipped with mockidp for ``alg``."""
        if alg not in PACKAGED_KEY_FOR_ALG:
            raise ValueError(f"signing algorithm must be one of {SIGNING_ALGORITHMS}")
        ring = cls.__new__(cls)
        ring._adopt(_packaged(alg), time.time)
        return ring

    @classmethod
    def for_scenario(cls, scenario: Scenario, *, now: Callable[[], float] = time.time) -> KeyRing:
        """The keys of ``scenario``: its ``keys``, ``signing_key`` and ``key_rotation``.

        Without ``keys``, the packaged key for its ``signing_alg``. The rotation timeline
        starts now (on ``now``); :meth:`restart` starts it again.
        """
        x509 = scenario.quirks.x509_keys
        if not scenario.keys and not x509:
            ring = cls.packaged(scenario.signing_alg)
            ring._now = now
            ring._started = now()
            return ring
        if not scenario.keys:
            name = PACKAGED_KEY_FOR_ALG.get(scenario.signing_alg, "rsa-1")
            datas, named = [packaged_key_dict(name)], [False]
        else:
            datas = [
                resolve_key(packaged=spec.packaged, jwk=spec.jwk, kid=spec.kid, alg=spec.alg)
                for spec in scenario.keys
            ]
            named = [spec.kid is not None for spec in scenario.keys]
        if scenario.signing_key is not None or scenario.key_rotation:  # they name kids: keep them
            named = [True] * len(datas)
        keys = [
            _ring_key(data, x509=x509, x509_kid=x509 and not given)
            for data, given in zip(datas, named, strict=True)
        ]
        kids = [key.kid for key in keys]
        phases, _ = key_timeline(kids, scenario.signing_key or kids[0], scenario.key_rotation)
        ring = cls.__new__(cls)
        ring._adopt(_prepare(keys, phases), now)
        return ring

    # -- the phase in force ------------------------------------------------------------

    def _index(self) -> int:
        if len(self._phases) == 1:
            return 0
        elapsed = self._now() - self._started
        return max(bisect_right(self._starts, elapsed) - 1, 0)

    def restart(self, at: float | None = None) -> None:
        """Start the rotation timeline again at ``at`` (the ``now`` clock's time by default)."""
        self._started = self._now() if at is None else at

    @property
    def started(self) -> float:
        """When the rotation timeline started (on the ``now`` clock); :meth:`restart` sets it."""
        return self._started

    @property
    def alg(self) -> str:
        """The algorithm of the key that signs now."""
        return self._phases[self._index()].signer.alg

    @property
    def kid(self) -> str:
        """The kid of the key that signs now."""
        return self._phases[self._index()].signer.kid

    @property
    def kids(self) -> tuple[str, ...]:
        """Every key of the ring, published now or not."""
        return tuple(self._keys)

    def published_kids(self) -> tuple[str, ...]:
        """The kids the JWKS lists now, the signing key first."""
        return self._phases[self._index()].published

    def retiring_kid(self) -> str | None:
        """A key about to rotate out: published now, not signing, retired next by the timeline.

        None when the timeline retires no such key (:meth:`published_kids` lists the
        other published keys after the signing key).
        """
        index = self._index()
        phase = self._phases[index]
        for before, after in pairwise(self._phases[index:]):
            for kid in before.published:
                leaves = kid not in after.published and kid in phase.published
                if leaves and kid != phase.signer.kid:
                    return kid
        return None

    def upcoming_kid(self) -> str | None:
        """The key the timeline publishes next (not in the JWKS yet), if any."""
        index = self._index()
        now_published = self._phases[index].published
        for phase in self._phases[index + 1 :]:
            for kid in phase.published:
                if kid not in now_published:
                    return kid
        return None

    # -- signing and publishing --------------------------------------------------------

    def jwks(self) -> JSONObject:
        """The public JWK Set (RFC 7517) now, private members stripped."""
        jwks = self._phases[self._index()].jwks
        if self._revealed:
            return {"keys": [*jwks["keys"], *self._revealed]}
        return jwks

    def header(self, *, typ: str = "JWT") -> JSONObject:
        """The JOSE header :meth:`sign` writes now (alg, kid, typ; x5t for some keys)."""
        return {**self._phases[self._index()].signer.header, "typ": typ}

    def sign(
        self, claims: JSONObject, *, typ: str = "JWT", header: JSONObject | None = None
    ) -> str:
        """A compact JWS over ``claims`` with the key that signs now; ``header``: the JOSE
        header to write instead (its ``alg`` is always the key's)."""
        return self._phases[self._index()].signer.sign(claims, typ, extra=header)

    def sign_with(
        self,
        key: str | JSONObject,
        claims: JSONObject,
        *,
        typ: str = "JWT",
        kid: str | None = None,
    ) -> str:
        """A compact JWS over ``claims`` with a chosen key, published or not.

        ``key`` is the kid of one of the ring's keys (say :meth:`retiring_kid`), or a
        private JWK (say :meth:`unpublished_key`). ``kid`` puts another kid in the header
        (a key signing under a published key's name: a bad signature).
        """
        if isinstance(key, str):
            found = self._keys.get(key)
            if found is None:
                raise ValueError(f"no key with kid {key!r} in this key ring")
        else:
            found = _ring_key(key)
        return found.sign(claims, typ, kid)

    def sign_exactly(self, claims: JSONObject, header: JSONObject, key: str | None = None) -> str:
        """A JWS whose header is exactly ``header`` (``alg`` forced to the key's), by the
        key that signs now or the ring's key ``key``: a header without ``kid``, with
        ``jwk``... (the audit's defects)."""
        signer = self._phases[self._index()].signer if key is None else self._keys.get(key)
        if signer is None:
            raise ValueError(f"no key with kid {key!r} in this key ring")
        return signer.sign_header(claims, header)

    def sign_exactly_with(self, private: JSONObject, claims: JSONObject, header: JSONObject) -> str:
        """:meth:`sign_exactly` with a private JWK outside the ring (say an attacker's)."""
        return _ring_key(private).sign_header(claims, header)

    @staticmethod
    def public_of(private: JSONObject) -> JSONObject:
        """The public JWK of a private one (say :meth:`unpublished_key`'s)."""
        return public_jwk(private)

    @staticmethod
    def certificate_pem(private: JSONObject) -> str:
        """A self-signed certificate for ``private``, PEM (what an ``x5u`` URL serves)."""
        _, members = certificate_members(private, import_private_key(private))
        body = str(members["x5c"][0])
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "\n".join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----", ""])

    def public_pem(self) -> bytes:
        """The signing key's public key, PEM: the secret of a key-confusion token."""
        signer = self._phases[self._index()].signer
        return signer.private.as_pem(private=False)

    def reveal(self, private: JSONObject) -> None:
        """Publish ``private``'s public key from now on (until the ring is rebuilt): a key
        the JWKS lists only once a token it signed is issued."""
        public = public_jwk(private)
        if all(k.get("kid") != public.get("kid") for k in self._revealed):
            self._revealed.append(public)

    def unpublished_key(self, alg: str | None = None) -> JSONObject:
        """A private JWK for ``alg`` (default: the signing key's) that is none of the ring's.

        Never in the JWKS, so a token it signs fails verification (unknown kid). A
        packaged key when one is free, else a key generated once per process.
        """
        alg = alg or self.alg
        if alg not in SIGNING_ALGORITHMS:
            raise ValueError(f"signing algorithm must be one of {SIGNING_ALGORITHMS}")
        mine = {key.private.thumbprint() for key in self._keys.values()}
        for name, key_alg in PACKAGED_ALG.items():
            data = packaged_key_dict(name)
            if key_alg == alg and import_private_key(data).thumbprint() not in mine:
                return {**data, "kid": f"mockidp-unpublished-{name}", "alg": alg}
        return {**generated_key(alg), "kid": f"mockidp-unpublished-{alg.lower()}", "alg": alg}

    def fresh_key(self) -> JSONObject:
        """A private JWK for the signing algorithm that the JWKS lists only once a token it
        signed is issued (the ``fresh_key`` defect, with :meth:`reveal`).

        Never one of the ring's keys, and never :meth:`unpublished_key`: that one signs
        the tokens that must fail (unknown kid, a ``jku`` or ``x5u`` to the attacker's
        key), and a relying party trying every published key must not find it there.
        Generated once per process.
        """
        alg = self.alg
        return {**generated_key(alg, "fresh"), "kid": f"mockidp-fresh-{alg.lower()}", "alg": alg}

    def verify(self, token: str) -> tuple[JSONObject, JSONObject]:
        """Header and claims of a JWT signed by a key published now (claims unchecked)."""
        phase = self._phases[self._index()]
        if phase.verify_set is None:
            raise TokenVerificationError("no key is published")
        return verify_jwt(token, phase.verify_set, phase.algs)
