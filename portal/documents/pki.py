"""The demo PKI behind the electronic seal: a root CA and one seal certificate per organ.

Production seals come from a certified seal service (GB/T 38540, SM2/SM3) or from certificate
files that operations place under ``settings.PKI_DIR``; neither is ever committed. For
development, tests and demonstrations this module generates a stand-in with the ``cryptography``
package — ECDSA P-256 with SHA-256, which NSS (and so ``pdfsig``) and Acrobat accept — laid out as

    PKI_DIR/root-ca.pem                 the demo root CA certificate (import it to trust seals)
    PKI_DIR/root-ca.key.pem             its key (0600), used only to issue organ certificates
    PKI_DIR/organs/<code>/seal.pem      the organ's seal certificate
    PKI_DIR/organs/<code>/seal.key.pem  its key (0600)

Real certificates use the same layout, so the signer does not care where they came from. When
a root CA certificate exists without its key (the real case), nothing is generated: a missing
organ certificate is then an error for operations to fix, not something to invent.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ROOT_CA_NAME = "江州市电子印章演示根证书"
ROOT_CA_VALIDITY = datetime.timedelta(days=3650)
SEAL_VALIDITY = datetime.timedelta(days=3 * 365)
# Issued a little in the past, so that a clock a few minutes behind still sees them as valid.
BACKDATING = datetime.timedelta(hours=1)

# Department codes are short ASCII identifiers ("C-SPJ"); anything else must not become a path.
ORGAN_CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class MissingCertificate(ImproperlyConfigured):
    """An organ has no seal certificate and this PKI cannot issue one (no root CA key)."""


@dataclass(frozen=True)
class SealCredentials:
    """Where one organ's seal lives on disk."""

    organ_code: str
    certificate_path: Path
    key_path: Path
    root_certificate_path: Path


def pki_dir() -> Path:
    return Path(settings.PKI_DIR)


def root_certificate_path() -> Path:
    return pki_dir() / "root-ca.pem"


def root_key_path() -> Path:
    return pki_dir() / "root-ca.key.pem"


def organ_dir(organ_code: str) -> Path:
    if not ORGAN_CODE_PATTERN.fullmatch(organ_code) or ".." in organ_code:
        raise ValueError(f"organ code {organ_code!r} is not a plain identifier")
    return pki_dir() / "organs" / organ_code


def credentials_for(organ_code: str) -> SealCredentials:
    folder = organ_dir(organ_code)
    return SealCredentials(
        organ_code=organ_code,
        certificate_path=folder / "seal.pem",
        key_path=folder / "seal.key.pem",
        root_certificate_path=root_certificate_path(),
    )


# --- Files -----------------------------------------------------------------------------------


def _write_atomically(path: Path, content: bytes, mode: int) -> None:
    """Write a complete file or nothing: a reader never sees half a key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".pki-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _pki_lock():
    """One generator at a time across processes (two workers signing for a new organ at once)."""
    folder = pki_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


# --- Issuing ---------------------------------------------------------------------------------


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _issue_root() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "江州市电子印章演示"),
        x509.NameAttribute(NameOID.COMMON_NAME, ROOT_CA_NAME),
    ])
    now = _now()
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATING)
        .not_valid_after(now + ROOT_CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _issue_seal(
    organ_code: str, organ_name: str, issuer: x509.Certificate, issuer_key: ec.EllipticCurvePrivateKey
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organ_name),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organ_code),
        x509.NameAttribute(NameOID.COMMON_NAME, organ_name),
    ])
    now = _now()
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATING)
        .not_valid_after(min(now + SEAL_VALIDITY, issuer.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # A seal signs documents and vouches for them (non-repudiation); it encrypts nothing.
        # No extended key usage: NSS then accepts the certificate for document signing.
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return certificate, key


def _load_or_create_root() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The root CA and its key; generated when neither exists. Call under ``_pki_lock``."""
    certificate_path, key_path = root_certificate_path(), root_key_path()
    if certificate_path.exists():
        if not key_path.exists():
            raise MissingCertificate(
                f"{certificate_path} has no key beside it: seal certificates are issued outside the "
                "portal here, so place each organ's certificate under PKI_DIR/organs/<code>/"
            )
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return certificate, key
    certificate, key = _issue_root()
    _write_atomically(key_path, _key_pem(key), 0o600)
    _write_atomically(certificate_path, _certificate_pem(certificate), 0o644)
    return certificate, key


def ensure_root_ca() -> Path:
    """Create the demo root CA unless one exists; return its certificate's path."""
    with _pki_lock():
        _load_or_create_root()
    return root_certificate_path()


def ensure_seal_certificate(organ_code: str, organ_name: str) -> tuple[SealCredentials, bool]:
    """The organ's seal credentials, issuing them from the demo root CA when missing.

    Returns (credentials, created).
    """
    credentials = credentials_for(organ_code)
    if credentials.certificate_path.exists() and credentials.key_path.exists():
        return credentials, False
    with _pki_lock():
        # Checked again under the lock: another process may have issued it meanwhile.
        if credentials.certificate_path.exists() and credentials.key_path.exists():
            return credentials, False
        root, root_key = _load_or_create_root()
        certificate, key = _issue_seal(organ_code, organ_name, root, root_key)
        credentials.certificate_path.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        credentials.certificate_path.parent.mkdir(exist_ok=True, mode=0o700)
        _write_atomically(credentials.key_path, _key_pem(key), 0o600)
        _write_atomically(credentials.certificate_path, _certificate_pem(certificate), 0o644)
    return credentials, True
