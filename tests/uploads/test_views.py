"""GET /uploads/<uuid>/: the uploader gets an attachment; everyone else learns nothing."""

import uuid

import pytest
from django.urls import reverse

from portal.uploads.services import store_upload
from tests.uploads import samples
from tests.uploads.samples import upload

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.uploads.urls")]


@pytest.fixture
def licence_scan(applicant_enterprise):
    return store_upload(upload(samples.pdf_bytes(), "营业执照副本.pdf"), actor=applicant_enterprise,
                        purpose="material")


def download_url(stored_file) -> str:
    return reverse("uploads:download", args=[stored_file.pk])


def test_uploader_downloads_the_file_as_an_attachment(client, applicant_enterprise, licence_scan):
    client.force_login(applicant_enterprise)

    response = client.get(download_url(licence_scan))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"______.pdf\"; "
        "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%E5%89%AF%E6%9C%AC.pdf"
    )
    assert response["Content-Length"] == str(len(samples.pdf_bytes()))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"


def test_download_name_carries_the_detected_extension(client, applicant_enterprise):
    disguised = store_upload(upload(samples.pdf_bytes(), "page.html"), actor=applicant_enterprise,
                             purpose="material")
    client.force_login(applicant_enterprise)

    response = client.get(download_url(disguised))

    assert response["Content-Disposition"] == "attachment; filename=\"page.pdf\"; filename*=UTF-8''page.pdf"
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("persona", ["applicant_citizen", "clerk_district_a", "admin_city", "outsider"])
def test_anyone_but_the_uploader_gets_404(client, request, licence_scan, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(download_url(licence_scan))

    assert response.status_code == 404
    assert "Content-Disposition" not in response


def test_anonymous_visitor_is_sent_to_sign_in(client, licence_scan):
    response = client.get(download_url(licence_scan))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={download_url(licence_scan)}"


def test_unknown_file_is_404(client, applicant_enterprise):
    client.force_login(applicant_enterprise)

    response = client.get(reverse("uploads:download", args=[uuid.uuid4()]))

    assert response.status_code == 404


def test_file_missing_from_storage_is_404(client, applicant_enterprise, licence_scan, media_root):
    (media_root / licence_scan.file.name).unlink()
    client.force_login(applicant_enterprise)

    response = client.get(download_url(licence_scan))

    assert response.status_code == 404


def test_only_reading_methods_are_answered(client, applicant_enterprise, licence_scan):
    client.force_login(applicant_enterprise)

    response = client.post(download_url(licence_scan))

    assert response.status_code == 405
