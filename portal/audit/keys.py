"""The audit trail's keys: Ed25519 for signing seals, Fernet for personal data in entries.

Keys never live in the repository. When settings name no key, one is generated once into the
var folder with owner-only permissions, the way ``SECRET_KEY`` is. Creation goes through a hard
link from a finished temporary file, so two processes starting at once cannot both write a key
or read a half-written one: the first link wins and the second process reads the winner's key.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal.audit import hashing

ENCRYPTION_KEY_FILENAME = "audit-encryption.fernet"


def _create_once(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` unless it already exists (0600, atomically, race-safe)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process created it first; theirs is the key
    finally:
        os.unlink(temporary)


def public_key_path(private_key_path: Path) -> Path:
    return private_key_path.with_name(private_key_path.stem + ".pub.pem")


def signing_key() -> Ed25519PrivateKey:
    """The seal-signing key, generated on first use (only the sealer calls this)."""
    path = Path(settings.AUDIT_SIGNING_KEY_FILE)
    if not path.exists():
        generated = Ed25519PrivateKey.generate()
        _create_once(
            path,
            generated.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"AUDIT_SIGNING_KEY_FILE {path} does not hold an Ed25519 private key")
    public_path = public_key_path(path)
    if not public_path.exists():
        # Exported for verifiers elsewhere (an archive, an auditor) who must not hold the private key.
        _create_once(
            public_path,
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
    return key


def verification_key() -> Ed25519PublicKey | None:
    """The public key seals are checked with; None when no key exists (verify must not make one)."""
    path = Path(settings.AUDIT_SIGNING_KEY_FILE)
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, Ed25519PrivateKey):
            return key.public_key()
        raise ImproperlyConfigured(f"AUDIT_SIGNING_KEY_FILE {path} does not hold an Ed25519 private key")
    public_path = public_key_path(path)
    if public_path.exists():
        key = serialization.load_pem_public_key(public_path.read_bytes())
        if isinstance(key, Ed25519PublicKey):
            return key
    return None


def public_key_fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashing.sha256_hex(raw)


def _configured_encryption_keys() -> list[str]:
    """AUDIT_ENCRYPTION_KEY may list several keys, newest first, comma-separated, for rotation."""
    configured = [part.strip() for part in (settings.AUDIT_ENCRYPTION_KEY or "").split(",") if part.strip()]
    if configured:
        return configured
    path = Path(settings.VAR_DIR) / "keys" / ENCRYPTION_KEY_FILENAME
    if not path.exists():
        _create_once(path, Fernet.generate_key())
    return [path.read_text().strip()]


@functools.lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured("AUDIT_ENCRYPTION_KEY must be one or more Fernet keys") from error


def fernet() -> MultiFernet:
    return _fernet_for(tuple(_configured_encryption_keys()))
