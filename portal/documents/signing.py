"""The cryptographic half of the electronic seal: a PAdES signature over the whole PDF.

The visible half (the round red seal) is drawn by the templates; this half proves which organ
sealed the document and that not a byte changed since (DOMAIN.md §4: "一旦生成便不可修改").

The seam. Callers only ever see ``get_signer().sign(pdf, organ_code=…, organ_name=…, reason=…)``:
``settings.DOCUMENT_SIGNER`` names the class, which is built without arguments and must satisfy
``Signer``. ``CertificateFileSigner`` below signs with certificate files under ``PKI_DIR``. A
production deployment following GB/T 38540 swaps in another class without touching a caller,
for example

- a hardware-token signer (a UKey or HSM through PKCS#11: pyHanko's
  ``pyhanko.sign.pkcs11.PKCS11Signer`` takes the place of ``SimpleSigner``), or
- a remote seal-service signer that sends the document's digest (or the PDF) to the city's
  certified electronic-seal platform and embeds the CMS signature it returns (pyHanko's
  ``ExternalSigner`` or an ``async_sign_raw`` override: the digest leaves the portal, the key
  never arrives).

Either must return a complete PDF whose signature covers every byte but its own contents.
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

from portal.documents import pki

SIGNATURE_FIELD_NAME = "ElectronicSeal"


@runtime_checkable
class Signer(Protocol):
    """Seals a PDF on behalf of an organ and returns the signed PDF."""

    def sign(
        self, pdf: bytes, *, organ_code: str, organ_name: str, reason: str, location: str = "江州市"
    ) -> bytes: ...


def get_signer() -> Signer:
    """An instance of the class named by ``settings.DOCUMENT_SIGNER``."""
    return _signer_instance(settings.DOCUMENT_SIGNER)


@functools.lru_cache(maxsize=4)
def _signer_instance(dotted_path: str) -> Signer:
    signer = import_string(dotted_path)()
    if not isinstance(signer, Signer):
        raise TypeError(f"{dotted_path} does not implement portal.documents.signing.Signer")
    return signer


@functools.lru_cache(maxsize=64)
def _load_simple_signer(
    key_path: Path, certificate_path: Path, root_path: Path, _versions: tuple[int, ...]
) -> signers.SimpleSigner:
    # ``_versions`` (file modification times) is part of the cache key: a renewed certificate is
    # picked up by a running worker without a restart.
    simple_signer = signers.SimpleSigner.load(
        key_file=str(key_path), cert_file=str(certificate_path), ca_chain_files=(str(root_path),)
    )
    if simple_signer is None:
        raise pki.MissingCertificate(f"cannot load the seal certificate or key at {certificate_path.parent}")
    return simple_signer


class CertificateFileSigner:
    """Signs with the organ's seal certificate and key from ``PKI_DIR`` (see ``portal.documents.pki``).

    The signature is PAdES baseline B-B (ETSI.CAdES.detached, SHA-256, signing certificate and
    chain embedded, no timestamp authority). The first seal is a certification signature that
    still allows later signatures and timestamps, so that the other organs of a joint approval
    can add theirs and a B-T or B-LTA upgrade stays possible. When the organ has no certificate
    yet and the PKI is the demo one, the certificate is issued on the spot (``create_demo_pki``
    does the same ahead of time).
    """

    def sign(
        self, pdf: bytes, *, organ_code: str, organ_name: str, reason: str, location: str = "江州市"
    ) -> bytes:
        credentials, _created = pki.ensure_seal_certificate(organ_code, organ_name)
        paths = (credentials.key_path, credentials.certificate_path, credentials.root_certificate_path)
        simple_signer = _load_simple_signer(*paths, tuple(path.stat().st_mtime_ns for path in paths))
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        # The first seal certifies the document; a joint approval's further seals (联合审批) are
        # approval signatures, which the certification's permissions allow.
        already_sealed = len(writer.prev.embedded_signatures)
        metadata = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD_NAME if not already_sealed else f"{SIGNATURE_FIELD_NAME}{already_sealed + 1}",
            md_algorithm="sha256",
            subfilter=SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            name=organ_name,
            certify=not already_sealed,
            docmdp_permissions=MDPPerm.FILL_FORMS,
        )
        pdf_signer = signers.PdfSigner(metadata, signer=simple_signer)
        return _outside_any_event_loop(lambda: pdf_signer.sign_pdf(writer).getvalue())


def _outside_any_event_loop(work):
    """pyHanko's synchronous API calls asyncio.run(), which refuses inside a running event loop
    (an ASGI server, a notebook, a browser driver): sign in a short-lived thread there."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()
