"""Fixtures for documents: storage and PKI in a temporary folder, and an NSS database for pdfsig."""

import shutil
import subprocess

import pytest

from portal.documents import pki


@pytest.fixture(autouse=True)
def document_folders(settings, tmp_path):
    """Stored files and seal keys of each test live in its own folder, never in var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PKI_DIR = tmp_path / "pki"
    settings.DOCUMENT_SIGNER = "portal.documents.signing.CertificateFileSigner"
    return tmp_path


@pytest.fixture
def trusting_nss_database(tmp_path):
    """An NSS database (what pdfsig trusts) holding the demo root CA with trust CT,C,C."""
    if shutil.which("certutil") is None:
        pytest.fail("certutil is missing: install the Debian package libnss3-tools (scripts/os-packages.txt)")
    root = pki.ensure_root_ca()
    folder = tmp_path / "nss"
    folder.mkdir()
    subprocess.run(["certutil", "-N", "--empty-password", "-d", f"sql:{folder}"], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{folder}", "-n", "jiangzhou-demo-seal-root", "-t", "CT,C,C", "-i", str(root)],
        check=True,
        capture_output=True,
    )
    return folder
