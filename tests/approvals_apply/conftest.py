"""Online filing tests: the approval personas and items, the browser, a media folder per test, files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.approvals.conftest import *  # noqa: F403
from tests.browser.conftest import browser, page  # noqa: F401  (the browser test's fixtures)
from tests.uploads import samples


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pdf_upload(name: str = "申请书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, samples.pdf_bytes(), content_type="application/pdf")
