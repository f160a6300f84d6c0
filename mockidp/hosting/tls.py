"""HTTPS for ``mockidp serve --tls`` and the ``mockidp_https_server`` fixture.

A local certificate authority (RFC 5280 section 4.2.1.9: ``cA`` with a path length of 0)
signs one server certificate for ``127.0.0.1``, ``::1`` and ``localhost`` (RFC 6125
subjectAltName; browsers ignore the common name). The CA is kept in a directory,
``ca.pem`` and ``ca-key.pem``, and reused between runs so a browser or an OS trust
store can keep it; the server certificate is made afresh for each run, into a private
temporary directory (its lifetime is short and nobody needs to trust it directly).

Keys are ECDSA P-256: generating one takes about a millisecond, and every TLS client
mockidp is tested with accepts them.
"""

from __future__ import annotations

import atexit
import datetime
import ipaddress
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from msgspec import Struct

__all__ = ["TLSFiles", "default_tls_dir", "local_tls", "own_tls", "trust_lines"]

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
CA_YEARS = 10
SERVER_DAYS = 30
HOSTS = ("127.0.0.1", "::1", "localhost")


class TLSFiles(Struct, frozen=True):
    """What a server needs for HTTPS: its certificate chain and key, and the CA (None for
    a certificate of one's own) that clients must trust."""

    cert_file: Path
    key_file: Path
    ca_file: Path | None = None


def default_tls_dir() -> Path:
    """The per-user cache folder for the local CA (``$XDG_CACHE_HOME/mockidp/tls``,
    ``~/Library/Caches/mockidp/tls`` on macOS, ``%LOCALAPPDATA%\\mockidp\\tls``)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mockidp" / "tls"


def own_tls(cert_file: str | Path, key_file: str | Path) -> TLSFiles:
    """One's own certificate and key (``--tls-cert``/``--tls-key``), checked to load
    together; ValueError says what is wrong."""
    cert_path, key_path = Path(cert_file), Path(key_file)
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except OSError as exc:
        raise ValueError(f"cannot read {exc.filename}: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:  # not PEM, or an encrypted key
        raise ValueError(f"--tls-cert/--tls-key: not a PEM certificate and key: {exc}") from None
    if cert.public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
        raise ValueError(f"{key_path} is not the key of the certificate {cert_path}")
    return TLSFiles(cert_file=cert_path, key_file=key_path)


def local_tls(directory: str | Path | None = None, *, now: float | None = None) -> TLSFiles:
    """A server certificate for the loopback names signed by the CA in ``directory``
    (default :func:`default_tls_dir`), which is made on first use.

    The server's files live in a temporary directory removed when the process exits.
    ValueError when the CA there cannot be read or made.
    """
    folder = Path(directory) if directory is not None else default_tls_dir()
    moment = datetime.datetime.fromtimestamp(time.time() if now is None else now, datetime.UTC)
    ca_cert, ca_key = _ensure_ca(folder, moment)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _server_certificate(key, ca_cert, ca_key, moment)
    out = Path(tempfile.mkdtemp(prefix="mockidp-tls-"))
    _remove_at_exit(out)
    cert_file, key_file = out / "server.pem", out / "server-key.pem"
    _write_private(key_file, _key_pem(key))
    # The chain: servers send the CA too, so clients given only ca.pem still build it.
    cert_file.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    return TLSFiles(cert_file=cert_file, key_file=key_file, ca_file=folder / CA_FILE)


def trust_lines(ca_file: Path) -> list[str]:
    """How to make common clients trust ``ca_file`` (for the banner)."""
    return [
        f"export REQUESTS_CA_BUNDLE={ca_file} SSL_CERT_FILE={ca_file}  (Python)",
        f"export NODE_EXTRA_CA_CERTS={ca_file}  (Node)",
        f"keytool -importcert -cacerts -storepass changeit -noprompt -alias mockidp "
        f"-file {ca_file}  (Java)",
    ]


# -- the CA ------------------------------------------------------------------------------


def _ensure_ca(
    folder: Path, moment: datetime.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = folder / CA_FILE, folder / CA_KEY_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot make the TLS folder {folder}: {exc.strerror}") from None
    if not key_path.exists():
        _create_ca(folder, moment)
    # Another process may be between writing the key and the certificate: wait for it.
    for _ in range(100):
        if cert_path.exists():
            break
        time.sleep(0.02)
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(
            f"the local CA in {folder} cannot be read ({exc}); remove {cert_path} and "
            f"{key_path} to make a new one"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or (
        cert.public_key().public_numbers() != key.public_key().public_numbers()  # type: ignore[union-attr]
    ):
        raise ValueError(
            f"{key_path} is not the key of {cert_path}; remove both to make a new local CA"
        )
    if cert.not_valid_after_utc <= moment:
        raise ValueError(f"the local CA {cert_path} has expired; remove it and {key_path}")
    return cert, key


def _create_ca(folder: Path, moment: datetime.datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockidp"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"mockidp local CA {moment:%Y-%m-%d}"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - datetime.timedelta(days=1))
        .not_valid_after(moment + datetime.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    # The key file is claimed with O_EXCL, so of two processes making a CA at once one
    # wins and the other reads the winner's.
    try:
        _write_private(folder / CA_KEY_FILE, _key_pem(key), exclusive=True)
    except FileExistsError:
        return
    except OSError as exc:
        raise ValueError(f"cannot write the local CA into {folder}: {exc.strerror}") from None
    partial = folder / f".{CA_FILE}.{os.getpid()}.{threading.get_ident()}"
    partial.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(partial, folder / CA_FILE)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """Signatures (ECDSA handshakes); a CA also signs certificates and CRLs."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _server_certificate(
    key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    moment: datetime.datetime,
) -> x509.Certificate:
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    names += [x509.IPAddress(ipaddress.ip_address(h)) for h in HOSTS if h != "localhost"]
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - datetime.timedelta(hours=1))
        .not_valid_after(moment + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _remove_at_exit(folder: Path) -> None:
    atexit.register(shutil.rmtree, folder, True)
