"""The electronic seal's signature: valid and trusted for pdfsig, broken by any change."""

import io
import os
import stat
import statistics
import time

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.documents import pki
from portal.documents.rendering import render_pdf
from portal.documents.samples import SAMPLE_ORGAN_CODE, SAMPLE_ORGAN_NAME, sample_context
from portal.documents.signing import CertificateFileSigner, Signer, get_signer
from tests.documents.pdf_tools import pdfsig, text_of

VALID = "Signature Validation: Signature is Valid."
TRUSTED = "Certificate Validation: Certificate is Trusted."
DIGEST_MISMATCH = "Signature Validation: Digest Mismatch."
UNTRUSTED_ISSUER = "Certificate Validation: Certificate issuer isn't Trusted."


@pytest.fixture(scope="module")
def licence_pdf():
    return render_pdf("licence", sample_context("licence"))


def seal(pdf: bytes) -> bytes:
    return get_signer().sign(
        pdf, organ_code=SAMPLE_ORGAN_CODE, organ_name=SAMPLE_ORGAN_NAME, reason="行政许可证件电子签章"
    )


def flip_a_byte_in_a_content_stream(pdf: bytes) -> bytes:
    """Change one byte of the first stream's data: inside the first signed byte range."""
    position = pdf.index(b"stream\n") + len(b"stream\n") + 16
    assert position < pdf.index(b"/ByteRange")
    changed = bytearray(pdf)
    changed[position] ^= 0x01
    return bytes(changed)


def test_a_sealed_pdf_is_valid_and_trusted_for_pdfsig(licence_pdf, trusting_nss_database):
    # when
    signed = seal(licence_pdf)
    # then
    report = pdfsig(signed, trusting_nss_database)
    assert VALID in report
    assert TRUSTED in report
    assert f"Signer Certificate Common Name: {SAMPLE_ORGAN_NAME}" in report
    assert "Signature Type: ETSI.CAdES.detached" in report  # PAdES
    assert "Signing Hash Algorithm: SHA-256" in report
    assert "Total document signed" in report
    # and the document still reads the same
    assert text_of(signed) == text_of(licence_pdf)


def test_a_changed_byte_is_a_digest_mismatch(licence_pdf, trusting_nss_database):
    signed = seal(licence_pdf)

    report = pdfsig(flip_a_byte_in_a_content_stream(signed), trusting_nss_database)

    assert DIGEST_MISMATCH in report
    assert VALID not in report


def test_a_joint_approval_carries_one_valid_seal_per_organ(licence_pdf, trusting_nss_database):
    # given the lead department's sealed document
    sealed_once = seal(licence_pdf)
    # when another department adds its seal
    sealed_twice = get_signer().sign(
        sealed_once, organ_code="C-SCJ", organ_name="江州市市场监督管理局", reason="联合审批电子签章"
    )
    # then both signatures hold, the second covering the whole file
    report = pdfsig(sealed_twice, trusting_nss_database)
    assert report.count(VALID) == 2
    assert report.count(TRUSTED) == 2
    assert "Signer Certificate Common Name: 江州市市场监督管理局" in report
    assert sealed_twice.startswith(sealed_once)


def test_trust_comes_from_the_demo_root_only(licence_pdf):
    # pdfsig without our NSS database: the signature is intact, but no one vouches for the issuer
    report = pdfsig(seal(licence_pdf))

    assert VALID in report
    assert UNTRUSTED_ISSUER in report


def test_signing_is_measured_and_fast(licence_pdf):
    seal(licence_pdf)  # warm-up: the organ's certificate is issued on first use
    durations = []
    for _ in range(5):
        started = time.perf_counter()
        seal(licence_pdf)
        durations.append(time.perf_counter() - started)

    print(f"licence signing: median {statistics.median(durations) * 1000:.1f} ms, max {max(durations) * 1000:.1f} ms")
    assert max(durations) < 1.0


def test_the_signer_issues_a_missing_organ_certificate_on_first_use(settings, licence_pdf):
    seal_path = settings.PKI_DIR / "organs" / SAMPLE_ORGAN_CODE / "seal.pem"
    assert not seal_path.exists()

    seal(licence_pdf)

    certificate = x509.load_pem_x509_certificate(seal_path.read_bytes())
    root = x509.load_pem_x509_certificate((settings.PKI_DIR / "root-ca.pem").read_bytes())
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == SAMPLE_ORGAN_NAME
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "江州市电子印章演示根证书"
    assert certificate.issuer == root.subject
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (usage.digital_signature, usage.content_commitment, usage.key_cert_sign) == (True, True, False)
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_keys_are_readable_by_the_owner_only(settings):
    pki.ensure_seal_certificate(SAMPLE_ORGAN_CODE, SAMPLE_ORGAN_NAME)

    for key in (settings.PKI_DIR / "root-ca.key.pem", settings.PKI_DIR / "organs" / SAMPLE_ORGAN_CODE / "seal.key.pem"):
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(settings.PKI_DIR / "organs" / SAMPLE_ORGAN_CODE).st_mode) == 0o700


def test_a_real_root_without_its_key_never_gets_invented_certificates(settings):
    # given operations placed a real root CA certificate but (rightly) not its key
    pki.ensure_root_ca()
    (settings.PKI_DIR / "root-ca.key.pem").unlink()
    # then an organ without a certificate is an error to fix, not a reason to mint one
    with pytest.raises(pki.MissingCertificate):
        pki.ensure_seal_certificate("A-SPJ", "江城区行政审批局")


def test_organ_codes_cannot_escape_the_pki_folder():
    with pytest.raises(ValueError):
        pki.credentials_for("../root-ca")


def test_get_signer_builds_the_configured_class(settings):
    settings.DOCUMENT_SIGNER = "portal.documents.signing.CertificateFileSigner"
    assert isinstance(get_signer(), CertificateFileSigner)
    assert isinstance(get_signer(), Signer)

    settings.DOCUMENT_SIGNER = "tests.documents.test_signing.RemoteSealServiceStandIn"
    assert isinstance(get_signer(), RemoteSealServiceStandIn)

    settings.DOCUMENT_SIGNER = "tests.documents.test_signing.NotASigner"
    with pytest.raises(TypeError):
        get_signer()


class RemoteSealServiceStandIn:
    """Anything with the right ``sign`` is a signer: the seam a seal service plugs into."""

    def sign(self, pdf, *, organ_code, organ_name, reason, location="江州市"):
        return pdf


class NotASigner:
    pass


@pytest.mark.django_db
def test_create_demo_pki_issues_for_every_department_once(settings, bureau_city, bureau_a):
    call_command("create_demo_pki", stdout=io.StringIO())
    first = (settings.PKI_DIR / "organs" / "A-SPJ" / "seal.pem").read_bytes()

    call_command("create_demo_pki", "--organ", "A-SPJ", stdout=io.StringIO())

    assert (settings.PKI_DIR / "organs" / "C-SPJ" / "seal.pem").exists()
    assert (settings.PKI_DIR / "organs" / "A-SPJ" / "seal.pem").read_bytes() == first
    with pytest.raises(CommandError):
        call_command("create_demo_pki", "--organ", "NO-SUCH")


def test_signing_works_when_the_caller_runs_an_event_loop(trusting_nss_database):
    import asyncio

    from portal.documents.rendering import render_pdf
    from portal.documents.samples import SAMPLES
    from portal.documents.signing import get_signer
    from tests.documents.pdf_tools import pdfsig

    pdf = render_pdf("licence", SAMPLES["licence"])

    async def inside_a_loop() -> bytes:
        return get_signer().sign(pdf, organ_code="C-SPJ", organ_name="江州市行政审批局", reason="测试")

    signed = asyncio.run(inside_a_loop())

    assert "Signature Validation: Signature is Valid." in pdfsig(signed, trusting_nss_database)
