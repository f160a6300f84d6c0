"""HTTPS: the local CA, ``mockidp serve --tls`` / ``--tls-cert``, and clients that do not
trust it (a clean handshake failure, the server unharmed)."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from mockidp.cli import main
from mockidp.hosting.tls import CA_FILE, CA_KEY_FILE, local_tls, own_tls
from tests.support.serve import serve, ssl_context, stop


def test_local_ca_is_made_once_and_reused(tmp_path: Path) -> None:
    first = local_tls(tmp_path)
    ca_pem = (tmp_path / CA_FILE).read_bytes()
    second = local_tls(tmp_path)
    assert first.ca_file == second.ca_file == tmp_path / CA_FILE
    assert (tmp_path / CA_FILE).read_bytes() == ca_pem  # a trust store keeps working
    assert first.cert_file != second.cert_file  # each run its own server certificate
    assert (tmp_path / CA_KEY_FILE).stat().st_mode & 0o077 == 0  # the CA key is private


def test_server_certificate_names_the_loopback_hosts(tmp_path: Path) -> None:
    files = local_tls(tmp_path)
    cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(names.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    ca = x509.load_pem_x509_certificate((tmp_path / CA_FILE).read_bytes())
    cert.verify_directly_issued_by(ca)


def test_an_unreadable_ca_is_a_clear_error(tmp_path: Path) -> None:
    local_tls(tmp_path)
    (tmp_path / CA_FILE).write_text("not a certificate")
    with pytest.raises(ValueError, match=r"cannot be read.*remove"):
        local_tls(tmp_path)


def test_own_certificate_and_key_must_match(tmp_path: Path) -> None:
    one, two = local_tls(tmp_path / "one"), local_tls(tmp_path / "two")
    assert own_tls(one.cert_file, one.key_file).ca_file is None
    with pytest.raises(ValueError, match="is not the key of"):
        own_tls(one.cert_file, two.key_file)
    with pytest.raises(ValueError, match="cannot read"):
        own_tls(tmp_path / "missing.pem", one.key_file)


def test_serve_tls_issuer_banner_and_trust(tmp_path: Path) -> None:
    proc, issuer, banner = serve("--tls", "--tls-dir", str(tmp_path))
    try:
        ca_file = str(tmp_path / CA_FILE)
        assert issuer.startswith("https://127.0.0.1:")
        assert f"CA {ca_file}" in banner
        for line in (f"REQUESTS_CA_BUNDLE={ca_file}", f"NODE_EXTRA_CA_CERTS={ca_file}"):
            assert line in banner
        assert "keytool -importcert" in banner
        trusted = ssl_context(ca_file)
        discovery = httpx.get(issuer + "/.well-known/openid-configuration", verify=trusted)
        assert discovery.json()["issuer"] == issuer
        assert discovery.json()["token_endpoint"].startswith("https://127.0.0.1:")
        port = issuer.rsplit(":", 1)[1]
        by_name = httpx.get(f"https://localhost:{port}/.well-known/jwks.json", verify=trusted)
        assert by_name.status_code == 200

        # A client that does not trust the CA: the handshake fails on its side, cleanly.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(issuer + "/.well-known/jwks.json", verify=ssl.create_default_context())
        # Plain http to the TLS port is refused too, and the server keeps serving.
        with pytest.raises(httpx.HTTPError):
            httpx.get(issuer.replace("https:", "http:") + "/.well-known/jwks.json")
        assert httpx.get(issuer + "/.well-known/jwks.json", verify=trusted).status_code == 200
    finally:
        out = stop(proc)
    assert "Traceback" not in out
    assert "ERROR" not in out


def test_serve_own_certificate(tmp_path: Path) -> None:
    files = local_tls(tmp_path)
    ca_file = str(tmp_path / CA_FILE)
    flags = ("--tls-cert", str(files.cert_file), "--tls-key", str(files.key_file))
    proc, issuer, banner = serve(*flags, ca_file=ca_file)
    try:
        assert issuer.startswith("https://")
        assert f"certificate {files.cert_file}" in banner
        trusted = ssl_context(ca_file)
        assert httpx.get(issuer + "/.well-known/jwks.json", verify=trusted).status_code == 200
    finally:
        stop(proc)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--tls-cert", "a.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-dir", "x"], "--tls-dir needs --tls"),
        (["--tls", "--tls-cert", "a.pem", "--tls-key", "b.pem"], "leave out --tls"),
        (["--tls-cert", "missing.pem", "--tls-key", "missing.pem"], "cannot read"),
    ],
)
def test_bad_tls_flags(flags: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", *flags]) == 2
    assert message in capsys.readouterr().err


HTTPS_FIXTURE_TESTS = """
import ssl

import httpx
import pytest


@pytest.fixture(scope="session")
def mockidp_tls_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tls")


@pytest.mark.mockidp(preset="okta")
def test_https_server(mockidp_https_server, mockidp_tls_dir):
    idp = mockidp_https_server
    assert idp.url.startswith("https://127.0.0.1:")
    assert idp.ca_file == mockidp_tls_dir / "ca.pem"
    assert idp.issuer == idp.url + "/oauth2/default"
    meta = idp.client.get("/oauth2/default/.well-known/openid-configuration").json()
    assert meta["issuer"] == idp.issuer
    tokens = idp.issue_tokens(user="alice")
    assert tokens["access_token"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(idp.url + "/oauth2/default/v1/keys", verify=ssl.create_default_context())
    good = httpx.get(idp.url + "/oauth2/default/v1/keys", verify=str(idp.ca_file))
    assert good.status_code == 200


def test_reset_between_tests(mockidp_https_server):
    assert len(mockidp_https_server.requests) == 0
    assert mockidp_https_server.provider.layout.has("discovery")
"""


def test_https_server_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_https=HTTPS_FIXTURE_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
