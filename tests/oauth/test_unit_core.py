"""Unit tests of small core pieces: PKCE, redirect URI rules, Basic credentials, the Clock."""

from __future__ import annotations

import base64
import time

import pytest

from mockidp import Clock
from mockidp.errors import InvalidClient, InvalidGrant, InvalidRequest
from mockidp.http.input import RepeatedParameters, bearer_token, parse_pairs
from mockidp.oauth.clients.auth import Credentials, read_credentials
from mockidp.oauth.signin.pkce import check_challenge, verify
from mockidp.oauth.urls import add_fragment, add_query, is_loopback_uri, uri_allowed
from tests.support.wall import START, Wall

# RFC 7636 appendix B
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


# -- PKCE (RFC 7636) ----------------------------------------------------------------------------


def test_no_pkce_at_all() -> None:
    assert check_challenge(None, None) is None
    verify(None, None, None)  # nothing to check, nothing raised


def test_challenge_method_defaults_to_plain() -> None:
    """RFC 7636 4.3: code_challenge_method defaults to plain."""
    assert check_challenge(VERIFIER, None) == (VERIFIER, "plain")


def test_s256_challenge_is_kept() -> None:
    assert check_challenge(CHALLENGE, "S256") == (CHALLENGE, "S256")


@pytest.mark.parametrize(
    ("challenge", "method"),
    [
        (None, "S256"),  # a method without a challenge
        (CHALLENGE, "S512"),
        (CHALLENGE, "s256"),  # method names are case-sensitive
        ("a" * 42, "S256"),  # too short
        ("a" * 129, "S256"),  # too long
        (CHALLENGE[:-1] + "=", "S256"),  # padding is not in the alphabet
        (CHALLENGE[:-1] + "+", "S256"),
        (CHALLENGE[:-1] + " ", "plain"),
    ],
)
def test_bad_challenge_is_invalid_request(challenge: str | None, method: str) -> None:
    with pytest.raises(InvalidRequest):
        check_challenge(challenge, method)


@pytest.mark.parametrize("length", [43, 128])
def test_challenge_length_bounds_are_inclusive(length: int) -> None:
    value = ("abc-._~XYZ09" * 20)[:length]
    assert check_challenge(value, "plain") == (value, "plain")


def test_s256_verifier_matches_the_rfc_example() -> None:
    verify(CHALLENGE, "S256", VERIFIER)


def test_plain_verifier_must_equal_the_challenge() -> None:
    verify(VERIFIER, "plain", VERIFIER)
    with pytest.raises(InvalidGrant):
        verify(VERIFIER, "plain", VERIFIER[:-1] + "Y")
    with pytest.raises(InvalidGrant):  # the S256 form is not the plain one
        verify(CHALLENGE, "plain", VERIFIER)


@pytest.mark.parametrize(
    ("challenge", "method", "verifier", "error"),
    [
        (CHALLENGE, "S256", VERIFIER[:-1] + "l", InvalidGrant),  # wrong verifier
        (CHALLENGE, "S256", CHALLENGE, InvalidGrant),  # the challenge is not its own verifier
        (CHALLENGE, "S256", None, InvalidGrant),  # verifier missing
        (None, None, VERIFIER, InvalidGrant),  # verifier without challenge: a downgrade
        (CHALLENGE, "S256", "short", InvalidRequest),  # malformed verifier
        (CHALLENGE, "S256", VERIFIER + "é", InvalidRequest),
    ],
)
def test_bad_verifier(
    challenge: str | None,
    method: str | None,
    verifier: str | None,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        verify(challenge, method, verifier)


# -- redirect URIs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1/cb",
        "http://127.0.0.1:8080/callback",
        "http://127.0.0.1:1/",
        "http://[::1]:8080/cb",
        "http://[::1]/cb",
        "http://localhost:65535/cb?x=1",
        "http://localhost/",
        "http://testserver/callback",  # the Starlette, FastAPI and Django test clients' host
        "http://testserver:8000/auth/cb?next=/",
    ],
)
def test_loopback_uris(uri: str) -> None:
    assert is_loopback_uri(uri) is True


@pytest.mark.parametrize(
    "uri",
    [
        "https://127.0.0.1/cb",  # https on loopback: not a loopback redirect (RFC 8252 7.3)
        "https://localhost:8080/cb",
        "http://127.0.0.1@evil.com/",  # userinfo: the host is evil.com
        "http://evil.com@127.0.0.1/",  # userinfo of any kind is refused
        "http://user:pass@localhost/",
        "http://localhost.evil.com",
        "http://localhost.evil.com/cb",
        "http://127.0.0.1.evil.com/cb",
        "http://evil.com/127.0.0.1",
        "http://evil.com/?next=http://127.0.0.1/",
        "http://127.0.0.1\\@evil.com/",
        "http://localhost:8080\\.evil.com/",
        "http://127.0.0.2/cb",
        "http://0x7f000001/cb",
        "http://2130706433/cb",
        "http://[::ffff:127.0.0.1]/cb",
        "http://127.0.0.1:99999/cb",  # not a port
        "http://127.0.0.1:port/cb",
        "http://127.0.0.1/cb#fragment",
        "http://127.0.0.1/cb#",
        "ftp://127.0.0.1/cb",
        "127.0.0.1:8080/cb",
        "//127.0.0.1/cb",
        "",
        "http://[::1/cb",
        "https://testserver/cb",
        "http://testserver.evil.com/cb",
        "http://evil.testserver/cb",
        "http://testserver@evil.com/cb",
    ],
)
def test_not_loopback_uris(uri: str) -> None:
    assert is_loopback_uri(uri) is False


def test_uri_allowed_is_exact_unless_loopback_is_on() -> None:
    registered = ("https://app.example/cb", "http://localhost:8080/cb")
    assert uri_allowed("https://app.example/cb", registered, loopback=False)
    assert not uri_allowed("https://app.example/cb/", registered, loopback=False)
    assert not uri_allowed("https://APP.example/cb", registered, loopback=False)
    assert not uri_allowed("http://localhost:9090/cb", registered, loopback=False)
    assert uri_allowed("http://localhost:9090/cb", registered, loopback=True)
    assert not uri_allowed("https://app.example/other", registered, loopback=True)


def test_add_query_keeps_the_uris_own_query() -> None:
    assert add_query("https://a.example/cb", {"code": "x y", "state": "&"}) == (
        "https://a.example/cb?code=x+y&state=%26"
    )
    assert add_query("https://a.example/cb?t=1", {"code": "c"}) == "https://a.example/cb?t=1&code=c"
    assert add_query("https://a.example/cb", {}) == "https://a.example/cb"


def test_add_fragment() -> None:
    assert add_fragment("https://a.example/cb", {"code": "c", "iss": "https://i/"}) == (
        "https://a.example/cb#code=c&iss=https%3A%2F%2Fi%2F"
    )


# -- client authentication: Basic credentials (RFC 6749 2.3.1) -------------------------------------


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode("ascii")


def test_basic_credentials_are_decoded() -> None:
    creds = read_credentials(_basic(b"mockidp-client:mockidp-secret"), {})
    assert creds == Credentials("client_secret_basic", "mockidp-client", secret="mockidp-secret")


@pytest.mark.parametrize(
    ("raw", "client_id", "secret"),
    [
        (b"my%3Aclient:s%3Acret", "my:client", "s:cret"),  # ':' percent-encoded in both
        (b"a+b:c+d", "a b", "c d"),  # '+' is a space in form-urlencoding
        (b"a%2Bb:c%2Bd", "a+b", "c+d"),
        (b"caf%C3%A9:p%25ss", "caf\u00e9", "p%ss"),
        (b"client:pa:ss", "client", "pa:ss"),  # the first ':' splits
        ("caf\u00e9:s\u00e9cret".encode(), "caf\u00e9", "s\u00e9cret"),  # raw UTF-8 also decodes
        (b"client:", "client", ""),
    ],
)
def test_basic_credentials_are_form_urldecoded(raw: bytes, client_id: str, secret: str) -> None:
    creds = read_credentials(_basic(raw), {})
    assert creds is not None
    assert (creds.client_id, creds.secret) == (client_id, secret)


def test_basic_scheme_is_case_insensitive() -> None:
    creds = read_credentials("bAsIc " + base64.b64encode(b"a:b").decode(), {})
    assert creds is not None and creds.client_id == "a"


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
        "Basic \u00e9\u00e9\u00e9",  # non-ASCII header text (Latin-1 on the wire)
        "Basic YTpi YTpi",
    ],
)
def test_malformed_basic_credentials_are_invalid_client(header: str) -> None:
    with pytest.raises(InvalidClient):
        read_credentials(header, {})


def test_other_schemes_are_not_basic_credentials() -> None:
    assert read_credentials("Bearer abc", {}) is None
    assert read_credentials("Bearer abc", {"client_id": "x"}) == Credentials("none", "x")


def test_basic_and_body_secret_together_are_invalid_request() -> None:
    with pytest.raises(InvalidRequest):
        read_credentials(_basic(b"a:b"), {"client_secret": "b"})


def test_basic_and_a_different_body_client_id_are_invalid_request() -> None:
    with pytest.raises(InvalidRequest):
        read_credentials(_basic(b"a:b"), {"client_id": "c"})
    creds = read_credentials(_basic(b"a:b"), {"client_id": "a"})  # the same id is fine
    assert creds is not None and creds.client_id == "a"


def test_body_credentials() -> None:
    assert read_credentials(None, {}) is None
    assert read_credentials(None, {"client_id": "a", "client_secret": "s"}) == Credentials(
        "client_secret_post", "a", secret="s"
    )
    assert read_credentials(None, {"client_id": "a"}) == Credentials("none", "a")


# -- strict parameter parsing (RFC 6749 3.1 / 3.2) ---------------------------------------------


def test_parse_pairs_drops_empty_values() -> None:
    assert parse_pairs("a=1&b=&c") == {"a": "1"}


def test_parse_pairs_refuses_repeats_and_keeps_the_rest() -> None:
    with pytest.raises(RepeatedParameters) as caught:
        parse_pairs("a=1&b=2&a=3&c=4&b=5")
    assert caught.value.names == frozenset({"a", "b"})
    assert caught.value.params == {"c": "4"}
    assert caught.value.error == "invalid_request"


def test_parse_pairs_refuses_non_utf8_and_too_many_fields() -> None:
    with pytest.raises(InvalidRequest):
        parse_pairs("a=%FF")
    with pytest.raises(InvalidRequest):
        parse_pairs("&".join(f"p{i}=1" for i in range(201)))
    assert len(parse_pairs("&".join(f"p{i}=1" for i in range(200)))) == 200


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("", None),
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("Bearer   abc  ", "abc"),
        ("Bearer", None),
        ("Basic abc", None),
        ("Bearerabc", None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


# -- Clock ------------------------------------------------------------------------------------------


def test_clock_follows_real_time(wall: Wall) -> None:
    clock = Clock()
    assert clock.now() == START
    wall.advance(3600)
    assert clock.now() == START + 3600
    assert not clock.frozen


def test_clock_advance_moves_forward_and_back(wall: Wall) -> None:
    clock = Clock()
    clock.advance(3600)
    assert clock.now() == START + 3600
    clock.advance(-7200)
    wall.advance(5)
    assert clock.now() == START - 3600 + 5


def test_clock_offset_argument(wall: Wall) -> None:
    assert Clock(offset=-60).now() == START - 60


def test_frozen_clock_stands_still_and_still_advances(wall: Wall) -> None:
    clock = Clock(frozen_at=1_000_000.0)
    assert clock.frozen
    assert clock.now() == 1_000_000.0
    wall.advance(3600)
    assert clock.now() == 1_000_000.0
    clock.advance(90)
    assert clock.now() == 1_000_090.0


def test_freeze_at_now_and_at_a_time(wall: Wall) -> None:
    clock = Clock(offset=500)
    clock.freeze()
    assert clock.now() == START + 500
    wall.advance(3600)
    assert clock.now() == START + 500
    clock.freeze(42.0)
    assert clock.now() == 42.0


def test_freeze_after_advance_does_not_add_the_offset_twice(wall: Wall) -> None:
    clock = Clock()
    clock.advance(1000)
    clock.freeze()
    assert clock.now() == START + 1000


def test_unfreeze_continues_from_the_frozen_time(wall: Wall) -> None:
    clock = Clock(frozen_at=2_000_000.0)
    clock.advance(10)
    wall.advance(3600)  # time the clock stood still is not made up for
    clock.unfreeze()
    assert not clock.frozen
    assert clock.now() == 2_000_010.0
    wall.advance(7)
    assert clock.now() == 2_000_017.0  # time runs again


def test_unfreeze_of_a_running_clock_changes_nothing(wall: Wall) -> None:
    clock = Clock(offset=100)
    clock.unfreeze()
    wall.advance(1)
    assert clock.now() == START + 101


def test_reset_returns_to_real_time() -> None:
    clock = Clock(frozen_at=5.0)
    clock.advance(100)
    clock.reset()
    assert not clock.frozen
    assert abs(clock.now() - time.time()) < 1
    clock.advance(50)
    clock.reset()
    assert abs(clock.now() - time.time()) < 1


# -- rules: which calls a scripted rule picks ----------------------------------------------


def test_call_selectors_pick_the_calls_they_name() -> None:
    from mockidp.model.scenario import CallSelector
    from mockidp.oauth.scripted.rules import selected

    def picks(when: CallSelector) -> list[int]:
        return [n for n in range(1, 11) if selected(when, n)]

    assert picks(CallSelector()) == list(range(1, 11))
    assert picks(CallSelector(nth=3)) == [3]
    assert picks(CallSelector(every=4)) == [4, 8]
    assert picks(CallSelector(from_=8)) == [8, 9, 10]
    assert picks(CallSelector(first=2)) == [1, 2]


def test_probability_is_reproducible_from_the_seed() -> None:
    from mockidp.model.scenario import CallSelector
    from mockidp.oauth.scripted.rules import selected

    half = CallSelector(probability=0.5, seed=7)
    first = [selected(half, n) for n in range(1, 201)]
    assert first == [selected(half, n) for n in range(1, 201)]
    assert 60 < sum(first) < 140
    other = [selected(CallSelector(probability=0.5, seed=8), n) for n in range(1, 201)]
    assert other != first
