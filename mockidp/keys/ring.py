"""The crypto seam: the only module that imports joserfc.

A :class:`KeyRing` holds the provider's signing keys. Fixed test keys ship as package
data (``keydata/``) so start-up never generates RSA keys and every process, container
and restart signs with the same key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import warnings
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import groupby, pairwise
from typing import Any, cast

from joserfc import jws, jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, KeySet, OctKey, OKPKey, RSAKey

from mockidp.model.scenario import RotationStep, Scenario
from mockidp.types import JSONObject

SIGNING_ALGORITHMS: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
"""Algorithms a scenario may choose for the tokens the provider signs."""

CLIENT_ASSERTION_ALGORITHMS: tuple[str, ...] = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",  # RFC 9864's fully-specified name, which newer clients sign with
)
"""Algorithms accepted on private_key_jwt client assertions."""

CLIENT_SECRET_JWT_ALGORITHMS: tuple[str, ...] = ("HS256", "HS384", "HS512")
"""Algorithms accepted on client_secret_jwt client assertions."""

_PACKAGED_KEY_FOR_ALG = {"RS256": "rsa-1", "ES256": "ec-p256-1", "EdDSA": "ed25519-1"}

_Key = RSAKey | ECKey | OKPKey


class TokenVerificationError(Exception):
    """A JWT that is malformed, signed with an unknown key, or badly signed."""


@cache
def _packaged_key_dict(name: str) -> JSONObject:
    data = (
        resources.files("mockidp.keys")
        .joinpath("keydata")
        .joinpath(f"{name}.json")
        .read_text("utf-8")
    )
    loaded: JSONObject = json.loads(data)
    return loaded


_IMPORTED_KEYS: dict[str, _Key] = {}
_IMPORTED_KEYS_MAX = 64


def _import_private_key(data: JSONObject) -> _Key:
    """The key in JWK ``data``, imported once per process for the same JWK.

    Importing an RSA private key validates it, which costs tens of milliseconds; test
    suites build a fresh provider (and key ring) per test, so the imported key, which is
    never mutated, is reused for a JWK of the same members in the same order.
    """
    try:
        cache_key = json.dumps(data)
    except (TypeError, ValueError):
        return _import_key_now(data)
    key = _IMPORTED_KEYS.get(cache_key)
    if key is None:
        key = _import_key_now(data)
        if len(_IMPORTED_KEYS) < _IMPORTED_KEYS_MAX:
            _IMPORTED_KEYS[cache_key] = key
    return key


_RSA_PRIVATE_MEMBERS = ("n", "e", "d", "p", "q", "dp", "dq", "qi")


def _packaged_rsa_key(data: JSONObject) -> RSAKey | None:
    """``data`` imported without OpenSSL's RSA key check when it is one of the packaged
    RSA keys (which tests/hosting/test_cold_start.py imports with the check), else None.

    The check costs tens of milliseconds, the largest part of a cold start (a Lambda
    container, a test session); a user's own keys are always checked.
    """
    for name, alg in _PACKAGED_ALG.items():
        if alg != "RS256":
            continue
        packaged = _packaged_key_dict(name)
        if all(data.get(m) == packaged.get(m) for m in _RSA_PRIVATE_MEMBERS):
            from cryptography.hazmat.primitives.asymmetric.rsa import (
                RSAPrivateNumbers,
                RSAPublicNumbers,
            )

            def number(member: str) -> int:
                return int.from_bytes(base64.urlsafe_b64decode(str(data[member]) + "=="), "big")

            numbers = RSAPrivateNumbers(
                p=number("p"),
                q=number("q"),
                d=number("d"),
                dmp1=number("dp"),
                dmq1=number("dq"),
                iqmp=number("qi"),
                public_numbers=RSAPublicNumbers(number("e"), number("n")),
            )
            RSAKey.validate_dict_key(cast(Any, data))
            raw = numbers.private_key(unsafe_skip_rsa_key_validation=True)
            return RSAKey(raw, data)
    return None


_ASYMMETRIC_IMPORTERS: dict[str, Callable[[Any], _Key]] = {
    "RSA": RSAKey.import_key,
    "EC": ECKey.import_key,
    "OKP": OKPKey.import_key,
}


def _import_key_now(data: JSONObject) -> _Key:
    kty = data.get("kty")
    if kty == "RSA" and (packaged := _packaged_rsa_key(data)) is not None:
        return packaged
    importer = _ASYMMETRIC_IMPORTERS.get(str(kty))
    if importer is None:
        raise ValueError(f"unsupported key type {kty!r}")
    return importer(data)


def _hash_for_alg(alg: str) -> Callable[[bytes], Any]:
    if alg == "EdDSA":  # OpenID Connect Core errata: Ed25519 hashes with SHA-512
        return hashlib.sha512
    bits = alg[2:]
    return {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}[bits]


def half_hash(value: str, alg: str) -> str:
    """The left half of the hash of ``value``, base64url: at_hash and c_hash (OIDC 3.1.3.6)."""
    digest = _hash_for_alg(alg)(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


_KEY_TYPE_FOR_ALG: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "EdDSA": ("OKP", "Ed25519"),
}
_PACKAGED_ALG = {"rsa-1": "RS256", "rsa-2": "RS256", "ec-p256-1": "ES256", "ed25519-1": "EdDSA"}


def default_key_alg(data: JSONObject) -> str:
    """The signing algorithm a JWK implies: its ``alg``, or else the one its type suits."""
    alg = data.get("alg")
    if isinstance(alg, str) and alg:
        return alg
    for candidate, (kty, crv) in _KEY_TYPE_FOR_ALG.items():
        if data.get("kty") == kty and (crv is None or data.get("crv") == crv):
            return candidate
    return "RS256"


def resolve_key(
    *,
    packaged: str | None = None,
    jwk: JSONObject | None = None,
    kid: str | None = None,
    alg: str | None = None,
) -> JSONObject:
    """A private signing JWK with its ``kid`` and ``alg`` set: a packaged key or ``jwk``.

    ``kid`` defaults to the JWK's own, else its RFC 7638 thumbprint; ``alg`` to the
    JWK's own, else the one its key type suits. Raises ValueError saying what is wrong
    (unknown packaged name, not a private key, an algorithm the key cannot do).
    """
    if (packaged is None) == (jwk is None):
        raise ValueError("give exactly one of packaged or jwk")
    if packaged is not None:
        if packaged not in _PACKAGED_ALG:
            raise ValueError(f"no packaged key {packaged!r}; known: {', '.join(_PACKAGED_ALG)}")
        data = dict(_packaged_key_dict(packaged))
    else:
        data = dict(cast(JSONObject, jwk))
    data["alg"] = alg or default_key_alg(data)
    if data["alg"] not in SIGNING_ALGORITHMS:
        raise ValueError(f"alg must be one of {', '.join(SIGNING_ALGORITHMS)}")
    kty, crv = _KEY_TYPE_FOR_ALG[data["alg"]]
    if data.get("kty") != kty or (crv is not None and data.get("crv") != crv):
        need = f"{kty} key" + (f" on curve {crv}" if crv else "")
        raise ValueError(f"{data['alg']} needs an {need}")
    try:
        key = _import_private_key(data)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"not a usable JWK: {exc or type(exc).__name__}") from None
    if not key.is_private:
        raise ValueError("a signing key must be a private JWK")
    data["kid"] = kid or data.get("kid") or key.thumbprint()
    data.setdefault("use", "sig")
    return data


@dataclass(frozen=True)
class KeyPhase:
    """The keys in force from ``start`` seconds into a rotation timeline.

    ``published`` lists the JWKS's kids: the signing key first while it is published.
    """

    start: int
    signing: str
    published: tuple[str, ...]


def key_timeline(
    kids: Sequence[str], signing: str, steps: Sequence[RotationStep]
) -> tuple[list[KeyPhase], list[tuple[int | None, str]]]:
    """The phases a rotation timeline passes through, and what is odd about it.

    A key with a ``publish`` step is unpublished until that step; every other key is
    published from the start. Steps run in order of ``after`` (ties in listed order).
    Problems are ``(index of the step, message)``; index None means the initial
    signing key. Raises ValueError for a step naming a kid not in ``kids``.
    """
    order = {kid: i for i, kid in enumerate(kids)}
    for step in steps:
        if step.kid not in order:
            raise ValueError(f"key_rotation names kid {step.kid!r}, which is not a key")
    if signing not in order:
        raise ValueError(f"signing key {signing!r} is not a key")
    deferred = {s.kid for s in steps if s.action == "publish"}
    published = {kid for kid in kids if kid not in deferred}
    signer = signing
    phases: list[KeyPhase] = []
    problems: list[tuple[int | None, str]] = []

    def snapshot(start: int) -> KeyPhase:
        listed = sorted(published, key=order.__getitem__)
        if signer in published:
            listed.remove(signer)
            listed.insert(0, signer)
        return KeyPhase(start, signer, tuple(listed))

    def check_signer(group: list[tuple[int, RotationStep]], at: int) -> None:
        if signer in published:
            return
        for index, step in group:
            if step.kid == signer and step.action == "sign_with":
                problems.append((index, f"{signer!r} is not published at {at}s; publish it first"))
                return
        for index, step in group:
            if step.kid == signer and step.action == "retire":
                problems.append(
                    (index, f"retires {signer!r} while it signs; switch with sign_with first")
                )
                return
        problems.append((None, f"signing key {signer!r} is not published at {at}s"))

    indexed = sorted(enumerate(steps), key=lambda pair: pair[1].after)
    for after, grouped in groupby(indexed, key=lambda pair: pair[1].after):
        group = list(grouped)
        if not phases and after > 0:
            phases.append(snapshot(0))
            check_signer([], 0)
        for index, step in group:
            if step.action == "publish":
                if step.kid in published:
                    problems.append((index, f"{step.kid!r} is already published at {after}s"))
                published.add(step.kid)
            elif step.action == "retire":
                if step.kid not in published:
                    problems.append((index, f"{step.kid!r} is not published at {after}s"))
                published.discard(step.kid)
            else:
                signer = step.kid
        phases.append(snapshot(after))
        check_signer(group, after)
    if not phases:
        phases.append(snapshot(0))
        check_signer([], 0)
    return phases, problems


@dataclass(frozen=True)
class _RingKey:
    kid: str
    alg: str
    private: _Key
    public: JSONObject
    header: JSONObject

    def sign(
        self, claims: JSONObject, typ: str, kid: str | None = None, extra: JSONObject | None = None
    ) -> str:
        header = {**self.header, "typ": typ, **(extra or {}), "alg": self.alg}
        if kid is not None:
            header["kid"] = kid
        # a test's token hook may add header members joserfc does not know
        registry = jws.JWSRegistry(algorithms=[self.alg], strict_check_header=False)
        if self.alg != "EdDSA":
            return jwt.encode(header, claims, self.private, [self.alg], registry if extra else None)
        # joserfc warns that RFC 9864 deprecates "EdDSA"; scenarios still ask for it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            return jwt.encode(header, claims, self.private, [self.alg], registry if extra else None)


def _ring_key(data: JSONObject, *, x509: bool = False, x509_kid: bool = False) -> _RingKey:
    """A ring key; ``x509``: with a self-signed certificate (x5t in headers, x5t and x5c
    in the JWKS), ``x509_kid``: its kid the certificate's uppercase hex SHA-1 thumbprint."""
    private = _import_private_key(data)
    alg = default_key_alg(data)
    kid = str(data.get("kid") or private.thumbprint())
    if not x509:
        public = _public_jwk({**data, "kid": kid})
        return _RingKey(kid, alg, private, public, {"alg": alg, "kid": kid})
    der = _certificate(json.dumps(data, sort_keys=True), private)
    digest = hashlib.sha1(der).digest()  # x5t is SHA-1 by definition (RFC 7515 4.1.7)
    x5t = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    if x509_kid:
        kid = digest.hex().upper()
    public = {
        **_public_jwk({**data, "kid": kid}),
        "x5t": x5t,
        "x5c": [base64.b64encode(der).decode("ascii")],
    }
    return _RingKey(kid, alg, private, public, {"alg": alg, "kid": kid, "x5t": x5t})


_CERTIFICATES: dict[str, bytes] = {}


def _certificate(cache_key: str, private: _Key) -> bytes:
    """A self-signed certificate (DER) for ``private``: fixed names, serial and validity,
    so an RSA key's certificate (and x5t) is the same in every process."""
    der = _CERTIFICATES.get(cache_key)
    if der is not None:
        return der
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key: Any = private.private_key
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mockidp test signing key")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2050, 1, 1, tzinfo=UTC))
    )
    ed = isinstance(private, OKPKey)
    cert = builder.sign(key, None if ed else hashes.SHA256())
    der = cert.public_bytes(serialization.Encoding.DER)
    if len(_CERTIFICATES) < _IMPORTED_KEYS_MAX:
        _CERTIFICATES[cache_key] = der
    return der


@dataclass(frozen=True)
class _Phase:
    start: float
    signer: _RingKey
    published: tuple[str, ...]
    jwks: JSONObject
    verify_set: KeySet | None
    algs: tuple[str, ...]


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
        self._setup(keys, [phase], time.time)

    def _setup(
        self, keys: Sequence[_RingKey], phases: Sequence[KeyPhase], now: Callable[[], float]
    ) -> None:
        self._keys: dict[str, _RingKey] = {}
        for key in keys:
            self._keys.setdefault(key.kid, key)
        sets: dict[tuple[str, ...], tuple[JSONObject, KeySet | None, tuple[str, ...]]] = {}
        built: list[_Phase] = []
        for phase in phases:
            if phase.published not in sets:
                jwks: JSONObject = {"keys": [self._keys[kid].public for kid in phase.published]}
                verify_set = KeySet.import_key_set(cast(Any, jwks)) if phase.published else None
                algs = tuple(dict.fromkeys(self._keys[kid].alg for kid in phase.published))
                sets[phase.published] = (jwks, verify_set, algs)
            jwks, verify_set, algs = sets[phase.published]
            signer = self._keys[phase.signing]
            built.append(_Phase(phase.start, signer, phase.published, jwks, verify_set, algs))
        self._phases = tuple(built)
        self._starts = [phase.start for phase in built]
        self._now = now
        self._started = now()
        self.signing_algs: tuple[str, ...] = tuple(dict.fromkeys(p.signer.alg for p in built))
        """Every algorithm this ring signs with over its timeline, the first signer's first."""

    @classmethod
    def packaged(cls, alg: str = "RS256") -> KeyRing:
        """The fixed test key shipped with mockidp for ``alg``."""
        name = _PACKAGED_KEY_FOR_ALG.get(alg)
        if name is None:
            raise ValueError(f"signing algorithm must be one of {SIGNING_ALGORITHMS}")
        return cls(_packaged_key_dict(name))

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
            name = _PACKAGED_KEY_FOR_ALG.get(scenario.signing_alg, "rsa-1")
            datas, named = [_packaged_key_dict(name)], [False]
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
        ring._setup(keys, phases, now)
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
        return self._phases[self._index()].jwks

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

    def unpublished_key(self, alg: str | None = None) -> JSONObject:
        """A private JWK for ``alg`` (default: the signing key's) that is none of the ring's.

        Never in the JWKS, so a token it signs fails verification (unknown kid). A
        packaged key when one is free, else a key generated once per process.
        """
        alg = alg or self.alg
        if alg not in SIGNING_ALGORITHMS:
            raise ValueError(f"signing algorithm must be one of {SIGNING_ALGORITHMS}")
        mine = {key.private.thumbprint() for key in self._keys.values()}
        for name, key_alg in _PACKAGED_ALG.items():
            data = _packaged_key_dict(name)
            if key_alg == alg and _import_private_key(data).thumbprint() not in mine:
                return {**data, "kid": f"mockidp-unpublished-{name}", "alg": alg}
        return {**_generated_key(alg), "kid": f"mockidp-unpublished-{alg.lower()}", "alg": alg}

    def verify(self, token: str) -> tuple[JSONObject, JSONObject]:
        """Header and claims of a JWT signed by a key published now (claims unchecked)."""
        phase = self._phases[self._index()]
        if phase.verify_set is None:
            raise TokenVerificationError("no key is published")
        return verify_jwt(token, phase.verify_set, phase.algs)


@cache
def _generated_key(alg: str) -> JSONObject:
    key: _Key
    if alg == "ES256":
        key = ECKey.generate_key("P-256")
    elif alg == "EdDSA":
        key = OKPKey.generate_key("Ed25519")
    else:
        key = RSAKey.generate_key(2048)
    return dict(key.as_dict(private=True))


def _public_jwk(data: JSONObject) -> JSONObject:
    public = dict(_import_private_key(data).as_dict(private=False))
    for member in ("kid", "alg", "use"):
        if member in data:
            public[member] = data[member]
    return public


def verify_jwt(
    token: str,
    keys: KeySet | OctKey,
    algorithms: Iterable[str],
    registry: jws.JWSRegistry | None = None,
) -> tuple[JSONObject, JSONObject]:
    """Verify a compact JWS and return its header and claims (claims are not validated)."""
    algs = list(algorithms)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            decoded = jwt.decode(token, keys, algorithms=algs, registry=registry)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(str(exc) or type(exc).__name__) from exc
    return dict(decoded.header), dict(decoded.claims)


def client_key_set(jwks: JSONObject) -> KeySet:
    """A client's registered public keys (private_key_jwt)."""
    try:
        return KeySet.import_key_set(cast(Any, jwks))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(f"unusable client jwks: {exc}") from exc


def verify_rsa_sha256(jwks: JSONObject, data: bytes, signature: bytes) -> bool:
    """Whether an RSA key of ``jwks`` made ``signature`` (PKCS#1 v1.5, SHA-256) over ``data``:
    SuperOffice's signed system tokens."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    for key in client_key_set(jwks).keys:
        if not isinstance(key, RSAKey):
            continue
        public: Any = key.public_key
        try:
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return True
    return False


def secret_key(secret: str) -> OctKey:
    """A client secret as a symmetric key (client_secret_jwt)."""
    return OctKey.import_key(secret.encode("utf-8"))


def unverified_claims(token: str) -> JSONObject:
    """The payload of a compact JWS, without checking its signature (to find the signer)."""
    try:
        claims = json.loads(jws.extract_compact(token.encode("ascii")).payload)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenVerificationError(str(exc) or type(exc).__name__) from exc
    if not isinstance(claims, dict):
        raise TokenVerificationError("the payload is not a JSON object")
    return claims


_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def public_jwk_thumbprint(jwk: Any) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public asymmetric JWK (DPoP ``jkt``).

    Raises TokenVerificationError for a private or symmetric key, or one that will not import.
    """
    if not isinstance(jwk, dict):
        raise TokenVerificationError("jwk must be a JSON object")
    if _PRIVATE_MEMBERS & set(jwk):
        raise TokenVerificationError("jwk must be a public key (it has private members)")
    kty = jwk.get("kty")
    importer = _ASYMMETRIC_IMPORTERS.get(str(kty))
    if importer is None:
        raise TokenVerificationError(f"jwk kty {kty!r} is not an asymmetric key type")
    try:
        return importer(jwk).thumbprint()
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(f"jwk is not a usable key: {exc}") from None


HEADER_JWK_MAX = 4096
"""Header bytes read from a JWS that carries its key (a DPoP proof): joserfc's default cap
of 512 refuses every RSA key from 2048 bits up (RFC 9449 allows any asymmetric key)."""


def _header_jwk_registry(algorithms: Iterable[str] | None = None) -> jws.JWSRegistry:
    registry = jws.JWSRegistry(algorithms=None if algorithms is None else list(algorithms))
    registry.max_header_length = HEADER_JWK_MAX
    return registry


def unverified_header(token: str) -> JSONObject:
    """The protected header of a compact JWS, without checking its signature."""
    try:
        registry = _header_jwk_registry()
        header = jws.extract_compact(token.encode("ascii"), registry=registry).protected
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenVerificationError(str(exc) or type(exc).__name__) from exc
    return dict(header)


def verify_with_header_jwk(
    token: str, algorithms: Iterable[str]
) -> tuple[JSONObject, JSONObject, str]:
    """Header, claims and key thumbprint of a JWS signed by the public key in its own
    ``jwk`` header (a DPoP proof, RFC 9449 4.2); claims are not validated."""
    header = unverified_header(token)
    thumbprint = public_jwk_thumbprint(header.get("jwk"))
    try:
        key = KeySet.import_key_set({"keys": [header["jwk"]]})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise TokenVerificationError(f"jwk is not a usable key: {exc}") from None
    algs = list(algorithms)
    verified_header, claims = verify_jwt(token, key, algs, _header_jwk_registry(algs))
    return verified_header, claims, thumbprint
